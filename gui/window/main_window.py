"""The main window: canvas, docks, menus, toolbar and status bar around one Document."""

from __future__ import annotations

import json

from PySide6.QtCore import QByteArray, QEvent, QMimeData, QSettings, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
)

from gui.canvas import CanvasScene, CanvasView
from gui.canvas.palette import MAX_COLUMN_ENTRIES, Palette, dataset_columns
from gui.document.clipboard import CLIPBOARD_MIME, read_clipboard, release_clipboard
from gui.document.document import Document
from gui.inspector.dock import Inspector
from gui.learn import install_all as install_learning_views
from gui.training.live import LiveTraining
from gui.widgets.theme import appearance, icon, set_appearance
from gui.window.add_layer import OUTPUT_LABEL, AddLayerDialog, LayerChoice
from gui.window.dialogs import plain, shortcuts_text
from gui.window.file_actions import FileActions
from gui.window.geometry import place_first
from gui.window.model_files import ModelFiles
from gui.window.start_page import StartPage, Step

EMPTY_TEXT = ("Nothing on the canvas yet: open an example or build a network with the steps on "
              "the canvas.")


class MainWindow(FileActions, ModelFiles, QMainWindow):
    """One design at a time; every edit goes through its Document."""

    def __init__(self, restore_settings: bool = True) -> None:
        super().__init__()
        place_first(self)  # fits the screen (before the docks come: room for each); the settings
        # may then bring back the last size
        # A window that restores settings also keeps them, and owns the recovery file.
        self.persistent = restore_settings
        self.document = Document(parent=self)
        self.scene = CanvasScene(self.document, parent=self)
        self.view = CanvasView(self.scene)
        self.setCentralWidget(self.view)
        self.palette_panel = Palette(self.document)
        self.inspector = Inspector(self.document)
        self.problems = QListWidget()
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.palette_dock = self.add_dock("Palette", self.palette_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector_dock = self.add_dock("Inspector", self.inspector,
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.problems_dock = self.add_dock("Problems", self.problems,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        for corner, area in ((Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea),
                             (Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)):
            self.setCorner(corner, area)  # the side panels run full height; Problems sits between
        self.resizeDocks([self.palette_dock, self.inspector_dock], [210, 340],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.problems_dock], [110], Qt.Orientation.Vertical)
        self.problem_count = QLabel()
        self.layer_dialog: AddLayerDialog | None = None  # the Add a Layer dialog while it is open
        self.statusBar().addPermanentWidget(self.problem_count)
        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self.live = LiveTraining(self)
        install_learning_views(self)
        self.start_page = StartPage(self.view, self.start_steps)
        self._connect()
        self._tab_problems_when_shown = True  # unless the settings bring back an arrangement
        self._shown_before = False
        if restore_settings:
            self._restore_settings()
        self._refresh_title()
        self._show_problems(self.document.problems)
        self._update_regroup_actions()

    # ------------------------------------------------------------------ building
    def add_dock(self, title: str, widget, area: Qt.DockWidgetArea) -> QDockWidget:
        """A dock named `title` holding `widget`, added in `area` (its object name, kept with the
        window's layout in the settings: the title in lower case, then "_dock")."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.lower()}_dock")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot, shortcut=None, icon_name: str = "", tip: str = "") -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
            action.setProperty("icon_name", icon_name)  # recoloured when the look changes
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(f"{text.replace('&', '').rstrip('…')} — {tip}")
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def add_learn_action(self, text: str, slot, icon_name: str = "", tip: str = "") -> QAction:
        """An entry in the Learn menu (a teaching view in gui/learn adds its own) that calls `slot`."""
        action = self._action(text, slot, None, icon_name, tip)
        self.learn_menu.addAction(action)
        return action

    def _make_actions(self) -> None:
        K = QKeySequence.StandardKey
        a = self._action
        stack = self.document.undo_stack
        self.act_new = a("&New", self.new_design, K.New, "mdi6.file-outline", "an empty design")
        self.act_open = a("&Open…", self.open_dialog, K.Open, "mdi6.folder-open-outline",
                          "open a .ncanvas design")
        self.act_example = a("Open &Example…", self.open_example, None, "mdi6.school-outline",
                             "a ready-made design to learn from")
        self.act_save = a("&Save", self.save, K.Save, "mdi6.content-save-outline", "save the design")
        self.act_save_as = a("Save &As…", self.save_as, K.SaveAs, "", "save under a new name")
        self.act_quit = a("&Quit", self.close, K.Quit)
        self.act_import_csv = a("&CSV Data Set…", self.import_csv_dataset, None,
                                "mdi6.table-arrow-left", "train on the columns of your own table")
        self.act_export_svg = a("Canvas as &SVG…", self.export_canvas_svg, None,
                                "mdi6.vector-square", "the whole design as a vector picture")
        self.act_export_png = a("Canvas as &PNG…", self.export_canvas_png, None,
                                "mdi6.image-outline", "the whole design as a picture, at 2×")
        self.act_export_history = a("Training &History as CSV…", self.export_history_csv, None,
                                    "mdi6.table-arrow-right", "every epoch's loss and accuracy")
        self.act_undo = stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(QKeySequence(K.Undo))
        self.act_undo.setIcon(icon("mdi6.undo"))
        self.act_undo.setProperty("icon_name", "mdi6.undo")
        self.act_redo = stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcut(QKeySequence(K.Redo))
        self.act_redo.setIcon(icon("mdi6.redo"))
        self.act_redo.setProperty("icon_name", "mdi6.redo")
        self.act_cut = a("Cu&t", self.cut, K.Cut)
        self.act_copy = a("&Copy", self.copy, K.Copy)
        self.act_paste = a("&Paste", self.paste, K.Paste)
        self.act_duplicate = a("D&uplicate", self.duplicate, "Ctrl+D")
        self.act_delete = a("&Delete", self.delete_selection, K.Delete)
        self.act_select_all = a("Select &All", self.select_all, K.SelectAll)
        self.act_add_inputs = a("Add the Data Set's &Inputs", self.add_inputs, "Ctrl+I",
                                "mdi6.import", "one input per column of the data set, selected "
                                "for the next layer")
        self.act_add_layer = a("Add a &Layer of Neurons…", self.add_layer, "Ctrl+L",
                               "mdi6.dots-vertical", "a column of neurons wired to the selection")
        self.act_connect = a("&Fully Connect the Selection", self.fully_connect, "Ctrl+K",
                             "mdi6.vector-polyline", "wire each column of the selection to the next")
        self.act_expand = a("&Expand Dense into Neurons", self.expand_dense, None,
                            "mdi6.arrow-expand-vertical",
                            "replace the selected Dense block by its neurons, weights kept")
        self.act_collapse = a("C&ollapse Neurons into Dense", self.collapse_to_dense, None,
                              "mdi6.arrow-collapse-vertical",
                              "replace the selected column of neurons by one Dense block")
        self.act_zoom_in = a("Zoom &In", self.view.zoom_in, K.ZoomIn, "mdi6.magnify-plus-outline")
        self.act_zoom_out = a("Zoom &Out", self.view.zoom_out, K.ZoomOut,
                              "mdi6.magnify-minus-outline")
        self.act_fit = a("&Fit to View", self.view.fit_to_view, "Ctrl+0", "mdi6.fit-to-screen-outline",
                         "show the whole design")
        self.act_layout = a("Auto-&Layout", self.document.auto_layout, "Ctrl+Shift+L",
                            "mdi6.sitemap-outline", "arrange the nodes in columns by depth")
        self.act_shortcuts = a("&Keyboard Shortcuts", self.show_shortcuts, K.HelpContents)
        self.act_about = a("&About Neural Canvas", self.show_about)

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for act in (self.act_new, self.act_open, self.act_example):
            file_menu.addAction(act)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addSeparator()
        file_menu.addActions([self.act_save, self.act_save_as])
        file_menu.addSeparator()
        self.import_menu = file_menu.addMenu("&Import")
        self.import_menu.addAction(self.act_import_csv)
        self.export_menu = file_menu.addMenu("&Export")
        self.export_menu.addActions([self.act_export_svg, self.act_export_png])
        self.export_menu.addSeparator()
        self.export_menu.addAction(self.act_export_history)
        self.add_model_actions(self._action)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        edit.addActions([self.act_cut, self.act_copy, self.act_paste, self.act_duplicate,
                         self.act_delete, self.act_select_all])
        edit.addSeparator()
        edit.addActions([self.act_add_inputs, self.act_add_layer, self.act_connect, self.act_expand,
                         self.act_collapse])
        self.canvas_menu = QMenu(self)  # the canvas's right click: what applies to the selection
        self.canvas_menu.addActions([self.act_expand, self.act_collapse])
        self.canvas_menu.addSeparator()
        self.canvas_menu.addActions([self.act_duplicate, self.act_delete])
        self.view_menu = view = bar.addMenu("&View")
        view.addActions([self.act_zoom_in, self.act_zoom_out, self.act_fit, self.act_layout])
        view.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.problems_dock):
            view.addAction(dock.toggleViewAction())
        self.view_separator = view.addSeparator()  # the training panels' toggles go before it
        looks = view.addMenu("&Appearance")
        group = QActionGroup(self)
        self.appearance_actions: dict[str, QAction] = {}
        for key, text in (("system", "Follow the &System"), ("light", "&Light"), ("dark", "&Dark")):
            action = looks.addAction(text)
            action.setCheckable(True)
            action.setChecked(key == appearance())
            action.triggered.connect(lambda _checked=False, k=key: self.set_appearance(k))
            group.addAction(action)
            self.appearance_actions[key] = action
        self.learn_menu = bar.addMenu("&Learn")  # the teaching views (gui/learn) fill it
        self.help_menu = help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.act_shortcuts, self.act_about])
        self._refresh_recent()

    def _make_toolbar(self) -> None:
        bar = self.addToolBar("Main")
        bar.setObjectName("main_toolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        bar.addActions([self.act_new, self.act_open, self.act_save])
        bar.addSeparator()
        bar.addActions([self.act_undo, self.act_redo])
        bar.addSeparator()
        bar.addActions([self.act_add_inputs, self.act_add_layer, self.act_connect, self.act_layout])
        bar.addSeparator()
        bar.addActions([self.act_zoom_in, self.act_zoom_out, self.act_fit])

    def _connect(self) -> None:
        doc = self.document
        doc.changed.connect(self._refresh_title)
        doc.validated.connect(self._show_problems)
        self.scene.status_message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        doc.refused.connect(lambda text: self.statusBar().showMessage(text, 10000))
        doc.autosave_failed.connect(lambda text: self.statusBar().showMessage(text, 30000))
        doc.undo_stack.indexChanged.connect(lambda _index: self._update_regroup_actions())
        self.view.menu_requested.connect(self.canvas_menu.popup)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.view.file_dropped.connect(self.open_path_asking)
        self.palette_panel.add_requested.connect(
            lambda entry: self.view.add_at_centre(entry["kind"], entry.get("params", {}),
                                                  entry.get("label", "")))
        doc.design_replaced.connect(lambda: self.view.fit_to_view())
        doc.design_replaced.connect(self._update_regroup_actions)
        self.start_page.example_chosen.connect(self.open_chosen_example)
        doc.design_changed.connect(self._show_start_page)
        doc.design_replaced.connect(self._show_start_page)
        self._show_start_page()

    # ------------------------------------------------------------------ view state
    def _refresh_title(self) -> None:
        self.setWindowTitle(f"{self.document.title} — Neural Canvas")

    def _show_problems(self, problems) -> None:
        self.problems.clear()
        if not self.document.design.nodes:  # nothing drawn yet is a start, not an error
            item = QListWidgetItem(icon("mdi6.information-outline"), EMPTY_TEXT)
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.problems.addItem(item)
            self.problem_count.hide()
            return
        for problem in problems:
            item = QListWidgetItem(icon("mdi6.alert-circle-outline" if problem.severity == "error"
                                        else "mdi6.alert-outline"), str(problem))
            self.problems.addItem(item)
        if not problems:
            item = QListWidgetItem(icon("mdi6.check-circle-outline"),
                                   "No problems: the design is ready to train.")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.problems.addItem(item)
        errors = sum(p.severity == "error" for p in problems)
        warnings = len(problems) - errors
        self.problem_count.setText(f"{errors} problem(s), {warnings} warning(s)")
        self.problem_count.setVisible(bool(problems))  # none: training's state says what's next

    def _show_start_page(self) -> None:
        """The start page while the design has no node; it goes with the first one."""
        self.start_page.setVisible(not self.document.design.nodes)

    def start_steps(self) -> list[Step]:
        """Building XOR yourself, step by step, with the keys the actions have now."""

        def keys(action: QAction) -> str:
            return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)

        def name(action: QAction) -> str:
            return plain(action.text()).rstrip("…")

        layer, play = self.act_add_layer, self.live.bar.act_play
        output = QKeySequence.mnemonic(OUTPUT_LABEL).toString(QKeySequence.SequenceFormat.NativeText)
        return [Step(keys(self.act_add_inputs), f"{name(self.act_add_inputs)}: x1 and x2"),
                Step(keys(layer), f"{name(layer)}: type how many, Tab, the activation's first "
                                  "letters, Enter"),
                Step(keys(layer), f"again for the output: 1, {output} for Output layer, Enter"),
                Step("", "Choose the data set in the Data panel"),
                Step(keys(play), f"{name(play)}: train it and watch it learn")]

    def open_chosen_example(self, path: str) -> None:
        if self.maybe_save():
            self.open_example_path(path)

    def _selection_changed(self) -> None:
        self.inspector.show_selection(self.scene.selected_node_ids(),
                                      self.scene.selected_connection_ids())
        self._update_regroup_actions()

    def _update_regroup_actions(self) -> None:
        """Expand for one selected Dense, Collapse for selected neurons; a refusal says why."""
        nodes = self.document.design.nodes
        kinds = [nodes[n].kind for n in self.selected_nodes() if n in nodes]
        self.act_expand.setEnabled(kinds == ["dense"])
        self.act_collapse.setEnabled(bool(kinds) and set(kinds) == {"neuron"})

    # ------------------------------------------------------------------ edit
    def selected_nodes(self) -> list[str]:
        return self.scene.selected_node_ids()

    def copy(self) -> None:
        data = self.document.copy_data(self.selected_nodes())
        mime = QMimeData()
        mime.setData(CLIPBOARD_MIME, QByteArray(json.dumps(data).encode()))
        QApplication.clipboard().setMimeData(mime)

    def cut(self) -> None:
        self.copy()
        self.delete_selection()

    def paste(self) -> None:
        mime = QApplication.clipboard().mimeData()
        if mime is None or not mime.hasFormat(CLIPBOARD_MIME):
            return
        data, problem = read_clipboard(bytes(mime.data(CLIPBOARD_MIME)))
        if data is None:
            QMessageBox.warning(self, "Cannot paste", f"The nodes on the clipboard cannot be "
                                f"pasted: {problem}.")
            return
        self.scene.select_ids(self.document.paste_data(data))

    def duplicate(self) -> None:
        data = self.document.copy_data(self.selected_nodes())
        self.scene.select_ids(self.document.paste_data(data))

    def delete_selection(self) -> None:
        self.document.remove(self.scene.selected_node_ids(), self.scene.selected_connection_ids())

    def select_all(self) -> None:
        self.scene.select_ids(list(self.document.design.nodes))

    def add_inputs(self) -> None:
        """One input per column of the data set (x1 and x2 for the plane's sets), or a Data node
        when it has many; those already on the canvas are kept, and all of them are selected so
        that the next layer is wired from them."""
        design = self.document.design
        columns = dataset_columns(design)
        if columns is None:
            self.statusBar().showMessage("The data set cannot be read: choose another in the Data "
                                         "panel first", 8000)
            return
        nodes = list(design.nodes.values())
        x = min((n.position[0] for n in nodes), default=self.view.centre_scene_pos()[0]) - 160
        y = (sum(n.position[1] for n in nodes) / len(nodes)) if nodes else self.view.centre_scene_pos()[1]
        if len(columns) > MAX_COLUMN_ENTRIES:  # digits' 64 pixels: one Data node carries them
            have = [n.id for n in nodes if n.kind == "data"]
            chosen = have or self.document.add_column("data", [{}], (x, y), "Add the data set's inputs")
        else:
            have_by_feature = {n.params.get("feature"): n.id for n in nodes if n.kind == "input"}
            missing = [c for c in columns if c not in have_by_feature]
            added = iter(self.document.add_column("input", [{"feature": c} for c in missing], (x, y),
                                                  "Add the data set's inputs") if missing else [])
            chosen = [have_by_feature[c] if c in have_by_feature else next(added) for c in columns]
        self.scene.select_ids(chosen)

    def add_layer(self) -> None:
        """Ask for the layer (count, activation, output or not); Enter adds it, wired from the
        selected inputs and neurons, as one undo step."""
        dialog = AddLayerDialog(self.document.design, self)
        dialog.finished.connect(lambda result: self._layer_dialog_done(dialog, result))
        self.layer_dialog = dialog
        dialog.open()

    def _layer_dialog_done(self, dialog: AddLayerDialog, result: int) -> None:
        self.layer_dialog = None
        dialog.deleteLater()
        if result == AddLayerDialog.DialogCode.Accepted:
            self.add_layer_as(dialog.choice())

    def add_layer_as(self, choice: LayerChoice) -> list[str]:
        """The chosen layer, right of the selected inputs and neurons and wired from each; it is
        selected, so that the next layer is wired from it."""
        design = self.document.design
        previous = [n for n in self.selected_nodes() if design.nodes[n].kind in ("input", "neuron")]
        if previous:
            x = max(design.nodes[n].position[0] for n in previous) + 160
            y = sum(design.nodes[n].position[1] for n in previous) / len(previous)
        else:
            x, y = self.view.centre_scene_pos()
        created = self.document.add_layer(choice.count, previous, (x, y), choice.activation)
        self.scene.select_ids(created)
        return created

    def expand_dense(self) -> None:
        selected = self.selected_nodes()
        created = self.document.expand_dense(selected[0]) if len(selected) == 1 else []
        if created:
            self.scene.select_ids(created)
            self.statusBar().showMessage(f"Expanded into {len(created)} neurons", 4000)

    def collapse_to_dense(self) -> None:
        block = self.document.collapse_to_dense(self.selected_nodes())
        if block is not None:
            self.scene.select_ids([block])
            self.statusBar().showMessage("Collapsed into a Dense block", 4000)

    def fully_connect(self) -> None:
        made = self.document.fully_connect(self.selected_nodes())
        self.statusBar().showMessage(f"{made} connection(s) made", 4000)

    # ------------------------------------------------------------------ look
    def set_appearance(self, choice: str) -> None:
        """Light, dark or the system's look, now and at the next launch."""
        set_appearance(choice)
        self.appearance_actions[choice].setChecked(True)
        QSettings().setValue("appearance", choice)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # light ↔ dark: icons in the new colour
            for action in self.findChildren(QAction):
                name = action.property("icon_name")
                if name:
                    action.setIcon(icon(name))
            self._show_problems(self.document.problems)

    # ------------------------------------------------------------------ help
    def show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", shortcuts_text(self))

    def show_about(self) -> None:
        QMessageBox.about(self, "About Neural Canvas",
                          "<b>Neural Canvas</b><p>Build neural networks by hand and watch them "
                          "learn.</p><p>NumPy engine (CuPy on a GPU), PySide6 and pyqtgraph.</p>")

    # ------------------------------------------------------------------ settings and closing
    def _restore_settings(self) -> None:
        settings = QSettings()
        geometry = settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)  # made to fit this screen if saved on a larger one
        state = settings.value("window_state")
        if state is not None and self.restoreState(state):
            self._tab_problems_when_shown = False

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's override
        super().showEvent(event)
        if not self._shown_before:
            self._shown_before = True
            self.live.first_shown(self, arrange=self._tab_problems_when_shown)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's override
        self.live.settle()  # training stops first: what it learned is then a change to save
        if not self.maybe_save():
            event.ignore()
            return
        self.live.shutdown()
        if self.persistent:
            settings = QSettings()
            settings.setValue("geometry", self.saveGeometry())
            settings.setValue("window_state", self.saveState())
            self.document.discard_recovery()
        release_clipboard()
        event.accept()
