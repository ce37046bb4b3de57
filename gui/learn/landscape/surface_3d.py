"""The loss landscape as a 3-D surface (pyqtgraph.opengl), with the path and the point on it —
where OpenGL can start; `unavailable()` says why not (no PyOpenGL, no screen, no context) — and
the two views side by side."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QOpenGLContext, QVector3D
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from core.training.landscape import Surface
from gui.learn.landscape.plot import ContourView, colour_image, display_scale, path_colour
from gui.panels.plot_style import PlotColours

HEIGHT = 1.0  # the surface's height, with its x and y running from -1 to 1
LIFT = 0.015  # the path floats this much above the surface, so it is never hidden in it


def unavailable() -> str | None:
    """Why the 3-D view cannot be shown here (None: it can)."""
    platform = QGuiApplication.platformName()
    if platform in ("offscreen", "minimal"):
        return f"the window is drawn without a screen ({platform})"
    try:
        import pyqtgraph.opengl  # noqa: F401 - needs PyOpenGL
    except Exception:  # noqa: BLE001 - ImportError, or PyOpenGL failing to find a GL library
        return "PyOpenGL is not installed (pip install PyOpenGL)"
    context = QOpenGLContext()
    if not context.create():
        return "no OpenGL context could be created"
    return None


def _forget_compiled_shaders() -> None:
    """pyqtgraph compiles its shaders once, for the first GL context (in its shader table and in
    some item classes); a new context (the dock floated or docked again) needs them afresh."""
    import pyqtgraph.opengl as gl  # PyOpenGL is an optional extra (3d)
    from pyqtgraph.opengl import shaders

    for program in shaders.ShaderProgram.names.values():
        program.prog = None
        for shader in program.shaders:
            shader.compiled = None
    for kind in vars(gl).values():
        if isinstance(kind, type) and "_shaderProgram" in vars(kind):
            kind._shaderProgram = None


class SurfaceView(QWidget):
    """A GLViewWidget with the surface (coloured as the contours are), the path and the point.

    Its GL context is new whenever the widget moves to another window (a dock floats or docks):
    the items' buffers die with the old one, so the view is then made again from the data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colours = PlotColours.from_palette()
        self.surface: Surface | None = None
        self._scale: tuple | None = None  # (centre x, centre y, span, low, high, log)
        self._path = np.zeros((0, 2))
        self._mark: tuple[float, float] | None = None
        self.view = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._make_view()

    def _make_view(self) -> None:
        import pyqtgraph.opengl as gl  # PyOpenGL is an optional extra (3d)

        owner = self

        class View(gl.GLViewWidget):
            def initializeGL(self) -> None:  # noqa: N802 - Qt's override
                if getattr(self, "started", False):  # a second context: draw nothing, remake
                    _forget_compiled_shaders()
                    for item in self.items:
                        item.setVisible(False)
                    QTimer.singleShot(0, owner._remake)
                self.started = True
                super().initializeGL()

        if self.view is not None:
            self._layout.removeWidget(self.view)
            self.view.deleteLater()
        self.view = View()
        self.view.setCameraPosition(pos=QVector3D(0, 0, HEIGHT / 2), distance=3.3, elevation=30,
                                    azimuth=-60)
        self.mesh = gl.GLSurfacePlotItem(smooth=True, computeNormals=False)
        self.mesh.setVisible(False)
        self.path = gl.GLLinePlotItem(width=2.5, antialias=True, mode="line_strip")
        self.mark = gl.GLScatterPlotItem(size=12, pxMode=True)
        self.grid = gl.GLGridItem()
        self.grid.setSize(2, 2)
        self.grid.setSpacing(0.25, 0.25)
        for item in (self.grid, self.mesh, self.path, self.mark):
            self.view.addItem(item)
        from OpenGL import GL  # PyOpenGL, there when pyqtgraph.opengl imports

        on_top = {GL.GL_DEPTH_TEST: False, GL.GL_BLEND: True, GL.GL_CULL_FACE: False,
                  "glBlendFunc": (GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA)}
        for item in (self.path, self.mark):  # never hidden behind a hill of the surface
            item.setGLOptions(on_top)
            item.setDepthValue(10)
        self._layout.addWidget(self.view)
        self.set_colours(self.colours)

    def _remake(self) -> None:
        camera = {k: self.view.opts[k] for k in ("distance", "elevation", "azimuth")}
        self._make_view()
        self.view.setCameraPosition(**camera)

    def set_colours(self, colours: PlotColours) -> None:
        self.colours = colours
        self.view.setBackgroundColor(colours.background)
        grid = colours.muted
        self.grid.setColor((grid.red(), grid.green(), grid.blue(), 90))
        if self.surface is not None:
            self.show_surface(self.surface)
        else:
            self._redraw_path()

    def show_surface(self, surface: Surface) -> None:
        self.surface = surface
        values, lo, hi, log = display_scale(surface.loss)
        self._scale = (surface.centre[0], surface.centre[1], surface.span, lo, hi, log)
        x = (surface.xs - surface.centre[0]) / surface.span
        y = (surface.ys - surface.centre[1]) / surface.span
        z = (values - lo) / (hi - lo) * HEIGHT
        rgb = colour_image(values, lo, hi, self.colours.value_table()) / 255.0
        rgba = np.concatenate([rgb, np.ones(rgb.shape[:2] + (1,))], axis=2)
        self.mesh.setData(x=x, y=y, z=z.T, colors=rgba.transpose(1, 0, 2))
        self.mesh.setVisible(True)
        self._redraw_path()

    def _lift(self, points: np.ndarray) -> np.ndarray:
        """Weight pairs → 3-D points on the surface (its loss there, by interpolation)."""
        cx, cy, span, lo, hi, log = self._scale
        loss = np.atleast_1d(self.surface.at(points[:, 0], points[:, 1]))
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.log10(loss) if log else loss
        heights = np.where(np.isfinite(value), np.clip((value - lo) / (hi - lo), 0, 1), 1.0)
        return np.column_stack([(points[:, 0] - cx) / span, (points[:, 1] - cy) / span,
                                heights * HEIGHT + LIFT])

    def show_path(self, xs: np.ndarray, ys: np.ndarray) -> None:
        self._path = np.column_stack([xs, ys]) if len(xs) else np.zeros((0, 2))
        self._redraw_path()

    def show_mark(self, point: tuple[float, float] | None) -> None:
        self._mark = point
        self._redraw_path()

    def _redraw_path(self) -> None:
        if self.surface is None:
            return
        colour = path_colour(self.colours)
        rgba = (colour.redF(), colour.greenF(), colour.blueF(), 1.0)
        s, p = self.surface, self._path
        inside = p[(p[:, 0] >= s.xs[0]) & (p[:, 0] <= s.xs[-1]) & (p[:, 1] >= s.ys[0])
                   & (p[:, 1] <= s.ys[-1])]
        if len(inside) >= 2:
            self.path.setData(pos=self._lift(inside), color=rgba)
            self.path.setVisible(True)
        else:
            self.path.setVisible(False)
        if self._mark is not None and self.surface.contains(*self._mark):
            self.mark.setData(pos=self._lift(np.array([self._mark])), color=rgba, size=12)
            self.mark.setVisible(True)
        else:
            self.mark.setVisible(False)

    def clear(self) -> None:
        self.surface = None
        self.mesh.setVisible(False)
        self.path.setVisible(False)
        self.mark.setVisible(False)


class LandscapeViews(QSplitter):
    """The contours, and the 3-D surface beside them where OpenGL starts (`gl_reason` says why
    not otherwise); each call goes to both."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setChildrenCollapsible(False)
        self.contours = ContourView()
        self.contours.setObjectName("landscape_contours")
        self.addWidget(self.contours)
        self.surface_view: SurfaceView | None = None
        self.gl_reason = unavailable()
        if self.gl_reason is None:
            try:
                self.surface_view = SurfaceView()
            except Exception as exc:  # noqa: BLE001 - a GL view that fails to start: contours only
                self.gl_reason = f"the 3-D view failed to start ({exc})"
        if self.surface_view is not None:
            self.surface_view.setMinimumWidth(160)
            self.addWidget(self.surface_view)
            self.setStretchFactor(0, 1)
            self.setStretchFactor(1, 1)
            self.setSizes([1000, 1000])  # half and half

    def _views(self) -> list:
        return [self.contours] + ([self.surface_view] if self.surface_view is not None else [])

    def show_surface(self, surface: Surface) -> None:
        for view in self._views():
            view.show_surface(surface)

    def show_path(self, points: np.ndarray, mark: tuple[float, float] | None) -> None:
        for view in self._views():
            view.show_path(points[:, 0], points[:, 1])
            view.show_mark(mark)

    def set_colours(self, colours: PlotColours) -> None:
        for view in self._views():
            view.set_colours(colours)

    def clear(self) -> None:
        for view in self._views():
            view.clear()
