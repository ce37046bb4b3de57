"""A CSV data set chosen in the dialog, as a person would: File → Import shows the file's first
rows, a column choice makes the data set (one undo step), a file with bad rows lists them by line
and changes nothing, Cancel changes nothing; the data panel and the inspector open it too."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QPushButton, QToolButton

from gui.panels.data.csv_dialog import CsvDialog

LEFT = Qt.MouseButton.LeftButton
IRIS = """sepal_length,sepal_width,petal_length,petal_width,species
5.1,3.5,1.4,0.2,setosa
4.9,3.0,1.4,0.2,setosa
7.0,3.2,4.7,1.4,versicolor
6.4,3.2,4.5,1.5,versicolor
6.3,3.3,6.0,2.5,virginica
5.8,2.7,5.1,1.9,virginica

5.0,3.6,1.4,0.2,setosa
6.9,3.1,4.9,1.5,versicolor
7.1,3.0,5.9,2.1,virginica
5.4,3.9,1.7,0.4,setosa
"""
BAD = """a,b,y
1,2,0
3,x,1
4,5
6,7,1
"""


def write(tmp_path, text: str, name: str = "data.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def choose_file(monkeypatch, path: str) -> list:
    """The open dialog answers `path`; the list records each time it was asked."""
    asked = []

    def answer(parent, title, folder, file_filter):
        asked.append(title)
        return path, file_filter
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(answer))
    return asked


def in_dialog(monkeypatch, act) -> list[CsvDialog]:
    """The CSV dialog, when it opens, is driven by `act(dialog)`, which returns its answer."""
    seen: list[CsvDialog] = []

    def run(dialog):
        seen.append(dialog)
        return act(dialog)
    monkeypatch.setattr(CsvDialog, "exec", run)
    return seen


def feature_item(dialog: CsvDialog, name: str):
    found = dialog.feature_list.findItems(name, Qt.MatchFlag.MatchExactly)
    assert len(found) == 1, name
    return found[0]


def cells(dialog: CsvDialog) -> list[list[str]]:
    model = dialog.model
    return [[model.data(model.index(r, c)) for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def problems(dialog: CsvDialog) -> list[str]:
    return [dialog.problems.item(i).text() for i in range(dialog.problems.count())]


def import_menu_action(window):
    actions = {a.text(): a for a in window.import_menu.actions()}
    assert "&CSV Data Set…" in actions
    return actions["&CSV Data Set…"]


def test_import_previews_the_file_and_two_chosen_columns_make_the_data_set(
        window, qtbot, monkeypatch, tmp_path):
    path = write(tmp_path, IRIS)
    choose_file(monkeypatch, path)
    document = window.document
    before, steps = document.design.dataset, document.undo_stack.count()

    def pick_petals(dialog: CsvDialog):
        model = dialog.model
        header = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
        assert header == ["sepal_length", "sepal_width", "petal_length", "petal_width",
                          "species (label)"]  # the last column is taken for the label at first
        assert cells(dialog)[0] == ["5.1", "3.5", "1.4", "0.2", "setosa"]
        lines = [model.headerData(r, Qt.Orientation.Vertical) for r in range(model.rowCount())]
        assert lines == ["2", "3", "4", "5", "6", "7", "9", "10"]  # the file's lines (8 is blank)
        assert dialog.rows_text.text() == "10 data rows; the first 8 shown"
        assert dialog.classification.isChecked()  # words in the label: classes
        assert not feature_item(dialog, "species").flags() & Qt.ItemFlag.ItemIsEnabled
        for name in ("sepal_length", "sepal_width"):  # a person unticks the sepals
            feature_item(dialog, name).setCheckState(Qt.CheckState.Unchecked)
        assert "10 samples of 2 features in 3 classes" in dialog.summary.text()
        assert dialog.ok_button.isEnabled() and not dialog.problems.isVisibleTo(dialog)
        qtbot.mouseClick(dialog.ok_button, LEFT)
        return dialog.result()

    seen = in_dialog(monkeypatch, pick_petals)
    import_menu_action(window).trigger()
    assert len(seen) == 1
    choice = document.design.dataset
    assert choice.name == "csv"
    assert choice.params == {**choice.params, "path": path, "label": "species",
                             "features": "petal_length,petal_width", "task": "classification"}
    assert choice.seed == before.seed
    assert document.undo_stack.count() == steps + 1  # one undo step
    data = window.live.data  # two inputs: the data panel draws the points
    qtbot.waitUntil(lambda: data.views.currentWidget() is data.plot)
    assert sum(len(item.getData()[0]) for item in (data.plot.train_points, data.plot.test_points)) == 10
    assert data.csv_button.isVisibleTo(data) and data.csv_button.text().startswith("Change")
    document.undo_stack.undo()
    assert document.design.dataset.name == before.name
    assert document.design.dataset.params == before.params


def test_bad_rows_are_listed_with_their_line_numbers_and_nothing_changes(
        window, qtbot, monkeypatch, tmp_path):
    path = write(tmp_path, BAD, "bad.csv")
    choose_file(monkeypatch, path)
    document = window.document
    before, steps = document.design.dataset, document.undo_stack.count()
    shown: list[list[str]] = []

    def try_ok(dialog: CsvDialog):
        shown.append(problems(dialog))
        assert cells(dialog)[1] == ["3", "x", "1"] and cells(dialog)[2] == ["4", "5", ""]
        assert not dialog.ok_button.isEnabled()
        qtbot.mouseClick(dialog.ok_button, LEFT)  # disabled: nothing happens
        assert dialog.isVisible() or dialog.result() != QDialog.DialogCode.Accepted.value
        return QDialog.DialogCode.Accepted.value  # even an OK forced through changes nothing

    in_dialog(monkeypatch, try_ok)
    import_menu_action(window).trigger()
    assert shown == [["Line 3, column 'b': 'x' is not a number",
                      "Line 4: 2 cells, but the header has 3"]]
    assert document.design.dataset is before
    assert document.undo_stack.count() == steps


def test_a_column_that_is_not_a_number_is_named_with_its_line_when_chosen(
        window, monkeypatch, tmp_path):
    path = write(tmp_path, "x,name,y\n1,ann,0.5\n2,bob,1.5\n3,cy,2.5\n", "people.csv")
    choose_file(monkeypatch, path)
    seen = []

    def look(dialog: CsvDialog):
        assert dialog.regression.isChecked()  # a label of fractions: a number to predict
        seen.append(problems(dialog))
        feature_item(dialog, "name").setCheckState(Qt.CheckState.Unchecked)
        seen.append(problems(dialog))
        dialog.reject()
        return dialog.result()

    in_dialog(monkeypatch, look)
    import_menu_action(window).trigger()
    assert seen[0][:3] == ["Line 2, column 'name': 'ann' is not a number",
                           "Line 3, column 'name': 'bob' is not a number",
                           "Line 4, column 'name': 'cy' is not a number"]
    assert seen[1] == []
    assert window.document.design.dataset.name != "csv"


def test_cancel_changes_nothing(window, qtbot, monkeypatch, tmp_path):
    document = window.document
    before, steps = document.design.dataset, document.undo_stack.count()
    asked = choose_file(monkeypatch, "")  # the file dialog cancelled: no CSV dialog at all
    seen = in_dialog(monkeypatch, lambda dialog: dialog.result())
    import_menu_action(window).trigger()
    assert len(asked) == 1 and seen == []

    choose_file(monkeypatch, write(tmp_path, IRIS))

    def cancel(dialog: CsvDialog):
        feature_item(dialog, "sepal_width").setCheckState(Qt.CheckState.Unchecked)
        dialog.regression.click()
        qtbot.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Cancel), LEFT)
        return dialog.result()

    seen = in_dialog(monkeypatch, cancel)
    import_menu_action(window).trigger()
    assert len(seen) == 1
    assert document.design.dataset is before and document.undo_stack.count() == steps


def test_the_data_panel_reopens_the_designs_file_with_its_columns(window, qtbot, monkeypatch,
                                                                    tmp_path):
    path = write(tmp_path, IRIS)
    document, data = window.document, window.live.data
    assert not data.csv_button.isVisibleTo(data)
    qtbot.mouseClick(data.strip.buttons["csv"], LEFT)  # the CSV thumbnail: no file yet
    assert data.csv_button.isVisibleTo(data) and data.csv_button.text() == "Choose a CSV file…"
    asked = choose_file(monkeypatch, path)
    in_dialog(monkeypatch, lambda dialog: (qtbot.mouseClick(dialog.ok_button, LEFT),
                                           dialog.result())[1])
    qtbot.mouseClick(data.csv_button, LEFT)
    assert len(asked) == 1
    assert document.design.dataset.params["path"] == path
    assert document.design.dataset.params["features"] == ""  # every column but the label

    def relabel(dialog: CsvDialog):
        assert dialog.path_edit.text() == path and dialog.label == "species"
        dialog.label_box.setCurrentText("petal_width")  # a person picks another label
        assert feature_item(dialog, "species").checkState() == Qt.CheckState.Checked
        assert not feature_item(dialog, "petal_width").flags() & Qt.ItemFlag.ItemIsEnabled
        assert dialog.regression.isChecked()  # fractions: a number to predict
        feature_item(dialog, "species").setCheckState(Qt.CheckState.Unchecked)
        qtbot.mouseClick(dialog.ok_button, LEFT)
        return dialog.result()

    in_dialog(monkeypatch, relabel)
    qtbot.mouseClick(data.csv_button, LEFT)  # the design's own file: no file dialog this time
    assert len(asked) == 1
    params = document.design.dataset.params
    assert (params["label"], params["task"]) == ("petal_width", "regression")
    assert params["features"] == "sepal_length,sepal_width,petal_length"
    qtbot.mouseClick(data.strip.buttons["moons"], LEFT)
    qtbot.mouseClick(data.strip.buttons["csv"], LEFT)  # the CSV choice comes back as it was
    assert document.design.dataset.params == params


def test_the_inspectors_file_button_opens_the_dialog(window, qtbot, monkeypatch, tmp_path):
    path = write(tmp_path, IRIS)
    document = window.document
    document.set_dataset("csv", {"path": "", "label": ""})
    field = next(w for w in window.inspector.findChildren(QToolButton)
                 if w.parent() is not None and w.parent().objectName() == "dataset.path")
    choose_file(monkeypatch, path)
    in_dialog(monkeypatch, lambda dialog: (qtbot.mouseClick(dialog.ok_button, LEFT),
                                           dialog.result())[1])
    qtbot.mouseClick(field, LEFT)
    assert document.design.dataset.params["path"] == path
    assert document.design.dataset.params["label"] == "species"


def test_the_choose_button_in_the_dialog_shows_another_file(window, qtbot, monkeypatch, tmp_path):
    first, second = write(tmp_path, IRIS), write(tmp_path, "u,v,w\n1,2,a\n3,4,b\n", "other.csv")
    choose_file(monkeypatch, first)

    def switch(dialog: CsvDialog):
        choose_file(monkeypatch, second)
        qtbot.mouseClick(dialog.findChild(QPushButton, "csv_browse"), LEFT)
        assert dialog.path_edit.text() == second and cells(dialog) == [["1", "2", "a"],
                                                                       ["3", "4", "b"]]
        assert dialog.label == "w" and dialog.features == ["u", "v"]
        qtbot.mouseClick(dialog.ok_button, LEFT)
        return dialog.result()

    in_dialog(monkeypatch, switch)
    import_menu_action(window).trigger()
    assert window.document.design.dataset.params["path"] == second
