"""Draws Neural Canvas's icon (a small network: two inputs, three hidden neurons, one output, the
wires coloured and thickened by their weights as on the canvas) as neuralcanvas.svg, and renders
it to the PNG sizes an icon theme and a window's title bar ask for. Run it after changing the
drawing: python resources/icons/render.py"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAME = "neuralcanvas"
SIZES = (16, 32, 48, 64, 128, 256)
BLUE, ORANGE = "#3b82f6", "#f97316"  # positive and negative weights, as the canvas draws them
INPUTS = [(60, 92), (60, 164)]
HIDDEN = [(128, 56), (128, 128), (128, 200)]
OUTPUT = (196, 128)
WEIGHTS = {  # (from, to): weight; the stroke's colour is its sign, its width its size
    (0, 0): 0.9, (0, 1): -0.5, (0, 2): 0.35, (1, 0): -0.4, (1, 1): 0.8, (1, 2): -0.95,
    (0, 3): 1.0, (1, 3): -0.6, (2, 3): 0.7,
}


def wire(start: tuple[int, int], end: tuple[int, int], weight: float) -> str:
    (x1, y1), (x2, y2) = start, end
    bend = (x2 - x1) * 0.45
    colour = BLUE if weight > 0 else ORANGE
    return (f'  <path d="M{x1} {y1} C{x1 + bend:g} {y1} {x2 - bend:g} {y2} {x2} {y2}" '
            f'stroke="{colour}" stroke-width="{3 + 9 * abs(weight):g}" stroke-linecap="round" '
            f'fill="none"/>')


def node(centre: tuple[int, int], radius: int, fill: str) -> str:
    x, y = centre
    return (f'  <circle cx="{x}" cy="{y}" r="{radius}" fill="{fill}" stroke="#e6e8eb" '
            f'stroke-width="6"/>')


def svg() -> str:
    lines = ['<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" '
             'viewBox="0 0 256 256">',
             '  <title>Neural Canvas</title>',
             '  <rect x="8" y="8" width="240" height="240" rx="52" fill="#1f2329"/>']
    for (source, target), weight in WEIGHTS.items():
        if target < 3:
            lines.append(wire(INPUTS[source], HIDDEN[target], weight))
        else:
            lines.append(wire(HIDDEN[source], OUTPUT, weight))
    lines += [node(centre, 17, "#2a2f37") for centre in INPUTS]
    lines += [node(centre, 19, "#3a404a") for centre in HIDDEN]
    lines.append(node(OUTPUT, 23, BLUE))
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


def main() -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(["render", "-platform", "offscreen"])  # to paint
    source = HERE / f"{NAME}.svg"
    source.write_text(svg(), encoding="utf-8")
    renderer = QSvgRenderer(str(source))
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        image.save(str(HERE / f"{NAME}-{size}.png"))
    return 0 if app else 1


if __name__ == "__main__":
    sys.exit(main())
