"""What the data panel shows instead of a plane for data with more than two inputs: the set's
name, size, inputs and classes, and a few of its samples when they are images (the digits)."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from core.design import registry
from gui.panels.data.thumbnails import to_qimage
from gui.panels.plot_style import PlotColours

SAMPLES = 6  # sample images shown, one of each class first
SAMPLE_PX = 34
_FEATURES_SHOWN = 6


class AboutData(QWidget):
    """A short description of a data set that is not drawn on a plane."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setObjectName("data_about_title")
        self.title.setWordWrap(True)  # a long name on two lines in a narrow dock
        self.text = QLabel()
        self.text.setObjectName("data_about_text")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.samples_row = QHBoxLayout()
        self.samples_row.setSpacing(4)
        self.sample_labels: list[QLabel] = []
        for i in range(SAMPLES):
            label = QLabel()
            label.setObjectName(f"data_sample_{i}")
            label.setFixedSize(SAMPLE_PX, SAMPLE_PX)
            self.sample_labels.append(label)
            self.samples_row.addWidget(label)
        self.samples_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addLayout(self.samples_row)
        layout.addStretch(1)
        self.setMinimumSize(120, 60)  # a narrow dock clips the samples rather than widen

    def _show_title(self, name: str) -> object:
        spec = registry.datasets.get(name) if name in registry.datasets else None
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.title.setText(spec.label if spec is not None else name)
        return spec

    def show_note(self, name: str, problem: str) -> None:
        """A data set that cannot be loaded as it is set (a CSV file not chosen yet)."""
        spec = self._show_title(name)
        lines = [html.escape(spec.description)] if spec is not None else []
        if name == "csv":
            lines.append("Choose the file and its label column in the Inspector (click an empty "
                         "part of the canvas to see the design's settings).")
        lines.append(f"<span style='color:#d9534f'>{html.escape(problem)}</span>")
        self.text.setText("<br>".join(lines))
        for label in self.sample_labels:
            label.hide()

    def show_data(self, name: str, data) -> None:
        """Name, size, inputs and classes of a data set with more than two inputs."""
        spec = self._show_title(name)
        names = list(data.feature_names)
        inputs = ", ".join(names[:_FEATURES_SHOWN]) + (" …" if len(names) > _FEATURES_SHOWN else "")
        if data.image_shape:
            inputs = f"{' × '.join(str(s) for s in data.image_shape[:2])} pixel images"
        target = (f"{data.num_classes} classes" if data.task == "classification"
                  else f"{len(data.target_names) or 1} value(s) to predict")
        if data.task == "regression" and data.target_names == data.feature_names:
            target = "its own inputs as the target (an autoencoder)"
        lines = [f"{data.num_samples} samples · {data.num_features} inputs ({html.escape(inputs)})"
                 f" · {target}"]
        if spec is not None:
            lines.append(html.escape(spec.description))
        lines.append("Not drawn on a plane: it has more than two inputs. The train/test split "
                     "above still applies.")
        self.text.setText("<br>".join(lines))
        self._show_samples(data)

    def _show_samples(self, data) -> None:
        rows = _sample_rows(data) if data.image_shape else []
        colours = PlotColours.from_palette()
        ink, paper = np.array(colours.text.getRgb()[:3], float), colours.background_rgb
        h, w = data.image_shape[:2] if data.image_shape else (0, 0)
        for i, label in enumerate(self.sample_labels):
            if i >= len(rows):
                label.hide()
                continue
            pixels = np.asarray(data.X[rows[i]], dtype=np.float64).reshape(h, w, -1)[..., 0]
            span = max(float(pixels.max() - pixels.min()), 1e-12)
            shade = ((pixels - pixels.min()) / span)[..., None]
            image = to_qimage(np.rint(paper + (ink - paper) * shade).astype(np.uint8))
            label.setPixmap(QPixmap.fromImage(image).scaled(
                SAMPLE_PX, SAMPLE_PX, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation))
            classes = data.y if data.task == "classification" else data.labels
            if data.class_names and classes is not None:
                label.setToolTip(f"class {data.class_names[int(classes[rows[i]])]}")
            label.show()


def _sample_rows(data) -> list[int]:
    """The first sample of each class, then the next ones, SAMPLES in all."""
    if data.task != "classification":
        return list(range(min(SAMPLES, data.num_samples)))
    firsts = [int(np.flatnonzero(data.y == k)[0]) for k in range(data.num_classes)
              if np.any(data.y == k)]
    chosen = set(firsts)
    rest = (i for i in range(data.num_samples) if i not in chosen)
    return (firsts + [next(rest) for _ in range(max(SAMPLES - len(firsts), 0))])[:SAMPLES]
