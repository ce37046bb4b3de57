"""What training says when it cannot go on: data too large for the model's precision names its
column and row, and a run that diverges says so in words only (no NumPy warnings on the way)."""

from __future__ import annotations

import warnings

import pytest

from core.compiler.validation import design_problems
from core.design.design import Design
from core.design.errors import DataError, DesignError, TrainingError
from core.files.fileformat import load_design
from core.training.trainer import Trainer
from tests.core.example_designs import EXAMPLES


def csv_design(tmp_path, rows: list[str], task: str = "regression") -> Design:
    """Inputs a, b of a CSV file → one identity neuron predicting column y."""
    path = tmp_path / "table.csv"
    path.write_text("a,b,y\n" + "\n".join(rows) + "\n", encoding="utf-8")
    d = Design()
    d.set_dataset("csv", {"path": str(path), "label": "y", "features": "", "task": task}, seed=0)
    d.set_training(loss="mse", optimizer="sgd", learning_rate=0.01, batch_size=2, epochs=2,
                   test_fraction=0.0)
    d.add_node("input", {"feature": "a"}, node_id="a")
    d.add_node("input", {"feature": "b"}, node_id="b")
    d.add_node("neuron", {"activation": "identity"}, node_id="out")
    d.add_connection("a", "out")
    d.add_connection("b", "out")
    return d


ROWS = ["1,2,3", "2,3,5", "3,4,7", "4,5,9"]


def test_a_value_too_large_for_float32_names_its_column_and_row(tmp_path):
    rows = list(ROWS)
    rows[2] = "3,1e39,7"  # finite in float64, infinite in float32
    design = csv_design(tmp_path, rows)
    with pytest.raises(DesignError) as caught:  # the CSV reader finds it, naming the file's line
        Trainer(design)
    message = str(caught.value)
    assert "table.csv, line 4, column 'b'" in message and "1e39" in message
    assert "too large for float32" in message and "float64" in message and "scale" in message
    assert "learning rate" not in message


def test_the_same_data_trains_in_float64(tmp_path):
    rows = list(ROWS)
    rows[2] = "3,1e39,7"
    design = csv_design(tmp_path, rows)
    design.set_training(dtype="float64")
    Trainer(design)  # fits: no error


def test_a_target_too_large_for_float32_is_named_too(tmp_path):
    rows = list(ROWS)
    rows[1] = "2,3,-5e38"
    with pytest.raises(DesignError, match=r"table.csv, line 3, column 'y': '-5e38' is too large "
                                          r"for float32"):
        Trainer(csv_design(tmp_path, rows))


def test_a_feature_that_overflows_float32_names_the_input(tmp_path):
    rows = list(ROWS)
    rows[3] = "1e20,5,9"
    design = csv_design(tmp_path, rows)
    design.set_node_params("a", feature="a^2")  # 1e40: too large for float32
    with pytest.raises(DataError, match=r"column 'a\^2', data row 4"):
        Trainer(design)


def _runtime_warnings(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, RuntimeWarning)]


def diverging_xor() -> Design:
    design = load_design(EXAMPLES / "xor.ncanvas")
    design.set_training(optimizer="sgd", learning_rate=1e30, target_accuracy=None)
    return design


def test_a_run_that_diverges_says_so_without_numpys_warnings():
    design = diverging_xor()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        trainer = Trainer(design)
        with pytest.raises(TrainingError, match="lower learning rate"):
            trainer.train()
        trainer.evaluate()  # the weights kept are finite; their metrics may not be
    assert _runtime_warnings(record) == []


def test_the_views_of_a_diverging_run_raise_no_warning_either():
    from core.training import probes

    design = diverging_xor()
    trainer = Trainer(design)
    with pytest.raises(TrainingError):
        trainer.train()
    plane = probes.Plane.around(trainer.build.data.X)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        probes.take_snapshot(trainer, plane=plane)
    assert _runtime_warnings(record) == []


def test_the_command_line_says_which_value_does_not_fit_and_exits_2(tmp_path, capsys):
    from core.files.fileformat import save_design
    from main import main

    rows = list(ROWS)
    rows[2] = "3,1e39,7"
    path = tmp_path / "big.ncanvas"
    save_design(csv_design(tmp_path, rows), path)
    assert main(["train", str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "table.csv, line 4, column 'b': '1e39' is too large for float32" in err
    assert "learning rate" not in err and len(err.strip().splitlines()) == 1


def test_a_weight_or_bias_too_large_for_float32_is_refused_naming_it():
    design = load_design(EXAMPLES / "xor.ncanvas")
    wire = next(iter(design.connections))
    design.set_weight(wire, 1e300)
    design.set_node_params("n3", bias=-1e300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "overflow encountered in cast" on the way
        problems = [p for p in design_problems(design) if p.severity == "error"]
    assert [(p.connection_ids, p.node_ids) for p in problems] == [((wire,), ()), ((), ("n3",))]
    assert "weight 1e+300 is too large for float32" in problems[0].message
    assert "bias -1e+300 is too large for float32" in problems[1].message
    assert all("float64" in p.message for p in problems)
    design.set_training(dtype="float64")
    assert not [p for p in design_problems(design) if p.severity == "error"]


def test_a_block_array_too_large_for_float32_is_refused_naming_the_block(tmp_path):
    import numpy as np

    from core.design.errors import FileFormatError
    from core.files.fileformat import save_design

    design = load_design(EXAMPLES / "digits_mlp.ncanvas")
    Trainer(design).build.write_back(design)  # the blocks' weights are kept in the design
    block = next(iter(design.parameters))
    kernel = np.asarray(design.parameters[block]["kernel"], dtype=np.float64).copy()
    kernel[0, 0] = 1e300
    design.set_block_weights(block, {**design.parameters[block], "kernel": kernel})
    problems = [p for p in design_problems(design) if p.severity == "error"]
    assert len(problems) == 1 and problems[0].node_ids == (block,)
    assert "a value in the kernel of the block 1e+300 is too large for float32" in problems[0].message
    with pytest.raises(DesignError):
        Trainer(design)
    path = tmp_path / "huge.ncanvas"
    save_design(design, path)
    with pytest.raises(FileFormatError, match=f"node {block}: a value in the kernel"):
        load_design(path)
