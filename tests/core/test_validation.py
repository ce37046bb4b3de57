"""Validation: every problem at once, without raising, each naming its nodes, wires or setting."""

from __future__ import annotations

import pytest

from core.compiler.compile import compile_design
from core.compiler.validation import design_problems
from core.design.design import Connection, Design, Node
from core.design.errors import DesignError, Problem
from tests.core.example_designs import gaussian_dense_design, plane_design, xor_design


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def only(problems: list[Problem], *words: str) -> Problem:
    """The one problem whose message contains every word."""
    found = [p for p in problems if all(w.lower() in p.message.lower() for w in words)]
    assert len(found) == 1, f"expected one problem about {words}, got {problems}"
    return found[0]


@pytest.mark.parametrize("make", [xor_design, gaussian_dense_design, plane_design])
def test_the_example_designs_are_valid(make):
    assert design_problems(make()) == []


# ---------------------------------------------------------------------------- the graph
def test_a_cycle_names_the_nodes_and_wires_in_it_and_nothing_below_it():
    d = Design()
    d.set_dataset("xor", {"n": 50})
    d.set_training(loss="binary_cross_entropy")
    d.add_node("input", {"feature": "x1"}, node_id="x1")
    for nid in ("a", "b", "c"):
        d.add_node("neuron", {"activation": "sigmoid"}, node_id=nid)
    d.add_connection("x1", "a", connection_id="x1-a")
    d.add_connection("a", "b", connection_id="a-b")
    d.add_connection("b", "a", connection_id="b-a")
    d.add_connection("b", "c", connection_id="b-c")
    cycle = only(design_problems(d), "cycle")
    assert cycle.severity == "error"
    assert set(cycle.node_ids) == {"a", "b"}
    assert set(cycle.connection_ids) == {"a-b", "b-a"}


def test_a_loop_back_from_the_output_is_a_cycle():
    d = xor_design()
    d.add_connection("out", "h1", connection_id="back")
    cycle = only(design_problems(d), "cycle")
    assert set(cycle.node_ids) == {"h1", "out"}
    assert set(cycle.connection_ids) == {"h1-out", "back"}


def test_a_neuron_with_no_incoming_connection_is_named():
    d = xor_design()
    d.add_node("neuron", node_id="lonely")
    d.add_connection("lonely", "out", connection_id="lonely-out")
    problem = only(design_problems(d), "no incoming connection")
    assert problem.node_ids == ("lonely",) and problem.severity == "error"


def test_no_input():
    d = Design()
    d.set_dataset("xor", {"n": 50})
    d.set_training(loss="binary_cross_entropy")
    d.add_node("neuron", node_id="a")
    d.add_node("neuron", {"activation": "sigmoid"}, node_id="b")
    d.add_connection("a", "b")
    problems = design_problems(d)
    assert only(problems, "no input").severity == "error"
    assert only(problems, "no incoming connection").node_ids == ("a",)


def test_no_output():
    d = Design()
    d.set_dataset("xor", {"n": 50})
    d.add_node("input", {"feature": "x1"}, node_id="x1")
    d.add_node("input", {"feature": "x2"}, node_id="x2")
    problems = design_problems(d)
    assert only(problems, "no output").severity == "error"
    unwired = [p for p in problems if "not connected" in p.message]
    assert {p.node_ids for p in unwired} == {("x1",), ("x2",)}
    assert all(p.severity == "warning" for p in unwired)


def test_two_separate_output_blocks_are_named_together():
    d = gaussian_dense_design()
    d.add_node("dense", {"units": 3, "activation": "softmax"}, node_id="second")
    d.add_connection("hidden", "second")
    problem = only(design_problems(d), "one output")
    assert set(problem.node_ids) == {"out", "second"}


def test_a_neuron_fed_from_a_dense_block_is_refused_with_a_way_out():
    d = Design()
    d.set_dataset("xor", {"n": 50})
    d.set_training(loss="binary_cross_entropy")
    d.add_node("data", node_id="data")
    d.add_node("dense", {"units": 4}, node_id="dense")
    d.add_node("neuron", {"activation": "sigmoid"}, node_id="out")
    d.add_connection("data", "dense")
    d.add_connection("dense", "out")
    problem = only(design_problems(d), "single numbers")
    assert problem.node_ids[0] == "out" and "dense" in problem.node_ids
    assert "Dense block" in problem.message
    with pytest.raises(DesignError):
        compile_design(d)


def test_a_neuron_fed_from_a_dense_block_not_yet_wired_itself_is_refused_all_the_same():
    """Building left to right, the Dense block has no input yet when its output is wired into a
    neuron: the wire is wrong whatever comes before the block, so it is named at once."""
    d = Design()
    d.set_dataset("xor", {"n": 50})
    d.set_training(loss="binary_cross_entropy")
    d.add_node("dense", {"units": 4}, node_id="dense")
    d.add_node("neuron", {"activation": "sigmoid"}, node_id="out")
    d.add_connection("dense", "out")
    problem = only(design_problems(d), "single numbers")
    assert problem.severity == "error"
    assert problem.node_ids[0] == "out" and "dense" in problem.node_ids
    only(design_problems(d), "dense", "no incoming connection")  # and the block's own problem


def test_a_wire_to_a_missing_node_is_reported_not_raised():
    d = xor_design()
    d.insert_connection(Connection("ghost-wire", "h1", "ghost"))
    problem = only(design_problems(d), "does not exist")
    assert problem.connection_ids == ("ghost-wire",) and "ghost" in problem.message


# ---------------------------------------------------------------------------- node parameters
def test_an_unknown_activation_is_named():
    d = xor_design()
    d.set_node_params("h2", activation="wobble")
    problem = only(design_problems(d), "wobble")
    assert problem.node_ids == ("h2",) and "activation" in problem.message


def test_an_output_activation_that_is_not_a_name_is_named_not_raised():
    """A file opened unchecked (as the window opens one) may hold a list as an activation."""
    d = xor_design()
    d.nodes["out"].params["activation"] = [[0]]
    problem = only(design_problems(d), "activation")
    assert problem.node_ids == ("out",) and "unknown activation [[0]]" in problem.message


def test_a_parameter_out_of_range_is_named():
    d = gaussian_dense_design()
    d.set_node_params("hidden", units=0)
    problem = only(design_problems(d), "units")
    assert problem.node_ids == ("hidden",) and "0" in problem.message


def test_an_unknown_kind_is_named():
    d = xor_design()
    d.insert_node(Node("q", "quantum_gate"))
    d.add_connection("h1", "q")
    problem = only(design_problems(d), "unknown kind")
    assert problem.node_ids == ("q",) and "quantum_gate" in problem.message


def test_a_feature_the_data_set_lacks_is_named():
    d = xor_design()
    d.set_node_params("x2", feature="x9")
    problem = only(design_problems(d), "x9")
    assert problem.node_ids == ("x2",) and "x1" in problem.message  # says what there is


# ---------------------------------------------------------------------------- output and data
def test_an_output_too_narrow_for_the_classes_is_named():
    d = gaussian_dense_design()
    d.set_node_params("out", units=2)
    problem = only(design_problems(d), "3 classes")
    assert problem.node_ids == ("out",) and "not 2" in problem.message


def test_softmax_cross_entropy_with_a_single_output():
    d = xor_design()
    d.set_node_params("out", activation="identity")
    d.set_training(loss="softmax_cross_entropy")
    problem = only(design_problems(d), "softmax cross-entropy needs one output per class")
    assert problem.node_ids == ("out",) and "binary cross-entropy" in problem.message


def test_a_regression_set_with_a_classification_loss():
    d = plane_design()
    d.set_training(loss="binary_cross_entropy")
    problem = only(design_problems(d), "regression")
    assert problem.path == "training.loss" and "binary_cross_entropy" in problem.message


# ---------------------------------------------------------------------------- settings
@pytest.mark.parametrize(("field", "value"), [
    ("learning_rate", 0.0), ("learning_rate", -0.1), ("batch_size", -4), ("batch_size", 2.5),
    ("epochs", -1), ("test_fraction", 0.95), ("seed", -1), ("dtype", "float16"),
    ("target_accuracy", 1.5), ("l2", -0.01),
])
def test_a_bad_training_setting_names_its_path(field, value):
    d = xor_design()
    d.set_training(**{field: value})
    problems = design_problems(d)
    assert len(problems) == 1, problems
    assert problems[0].path == f"training.{field}" and repr(value) in problems[0].message


def test_an_unknown_data_set_parameter_names_the_data_set():
    d = xor_design()
    d.set_dataset(params={"n": 50, "colour": "red"})
    problem = only(design_problems(d), "colour")
    assert problem.path == "dataset" and problem.severity == "error"


def test_an_unknown_data_set():
    d = xor_design()
    d.set_dataset("mnist_please")
    problem = only(design_problems(d), "mnist_please")
    assert problem.path == "dataset"


# ---------------------------------------------------------------------------- warnings
def test_zero_initial_weights_in_a_hidden_neuron_warn_but_compile():
    d = xor_design()
    d.set_node_params("h3", initializer="zeros")
    problems = design_problems(d)
    assert errors(problems) == []
    warning = only(problems, "zero initial weights")
    assert warning.severity == "warning" and warning.node_ids == ("h3",)
    build = compile_design(d)
    assert warning in build.warnings
    kernel = build.model.ops[0].params["kernel"]
    assert not kernel[:, 2].any() and kernel[:, 0].any()  # h3's column starts at zero


def test_zeros_on_the_output_neuron_does_not_warn():
    d = xor_design()
    d.set_node_params("out", initializer="zeros")
    assert design_problems(d) == []


# ---------------------------------------------------------------------------- all at once
def test_several_problems_are_reported_in_one_call():
    d = xor_design()
    d.set_node_params("h1", activation="wobble")
    d.set_node_params("x2", feature="x9")
    d.set_node_params("h4", initializer="zeros")
    d.add_node("neuron", {"activation": "sigmoid"}, node_id="lonely")
    d.add_connection("lonely", "out", connection_id="lonely-out")
    d.set_training(learning_rate=0, batch_size=-1)
    d.set_dataset(params={"n": 50, "colour": "red"})
    problems = design_problems(d)
    assert only(problems, "wobble").node_ids == ("h1",)
    assert only(problems, "no incoming connection").node_ids == ("lonely",)
    assert only(problems, "zero initial weights").severity == "warning"
    assert only(problems, "colour").path == "dataset"
    paths = {p.path for p in problems}
    assert {"training.learning_rate", "training.batch_size", "dataset"} <= paths
    # the data set could not be made, so the feature cannot be checked against it yet
    d.set_dataset(params={"n": 50})
    problems = design_problems(d)
    assert only(problems, "x9").node_ids == ("x2",)
    assert only(problems, "wobble").node_ids == ("h1",)
    assert len(errors(problems)) == 5
    for problem in problems:
        assert problem.node_ids or problem.connection_ids or problem.path


def test_compile_raises_design_error_with_exactly_the_errors():
    d = xor_design()
    d.set_node_params("h4", initializer="zeros")  # a warning: not among the errors
    d.set_node_params("h1", activation="wobble")
    d.set_training(learning_rate=-1.0)
    d.add_connection("out", "h2", connection_id="back")
    problems = design_problems(d)
    with pytest.raises(DesignError) as caught:
        compile_design(d)
    assert caught.value.problems == errors(problems)
    assert len(caught.value.problems) == 3
    assert all(p.severity == "error" for p in caught.value.problems)
    text = str(caught.value)
    assert "wobble" in text and "training.learning_rate" in text and "cycle" in text


def test_validate_does_not_change_the_design():
    d = xor_design()
    d.set_node_params("h1", activation="wobble")
    before = d.copy()
    design_problems(d)
    assert d == before


# ---------------------------------------------------------------------------- loss meets output
def test_hinge_wants_an_output_around_plus_minus_one():
    d = xor_design()  # sigmoid output: always above hinge's threshold 0
    d.set_training(loss="hinge")
    problem = only(design_problems(d), "hinge")
    assert problem.node_ids == ("out",) and problem.severity == "error"
    d.set_node_params("out", activation="tanh")
    assert errors(design_problems(d)) == []


def test_a_step_output_refuses_hinge_and_takes_mse():
    d = xor_design()
    d.set_node_params("out", activation="step")
    d.set_training(loss="hinge")
    assert only(design_problems(d), "perceptron rule").node_ids == ("out",)
    d.set_training(loss="mse")
    assert errors(design_problems(d)) == []


def test_early_stopping_without_a_test_set_is_a_warning():
    d = xor_design()
    d.set_training(early_stopping_patience=3, test_fraction=0.0)
    problem = only(design_problems(d), "early stopping")
    assert problem.severity == "warning" and problem.path == "training.early_stopping_patience"
    compile_design(d)  # a warning does not block


# ---------------------------------------------------------------------------- settings a person types
@pytest.mark.parametrize("schedule, params", [
    ("cosine", {"min_lr": "x"}), ("cosine", {"min_lr": -0.1}), ("step", {"step_size": True}),
    ("step", {"gamma": 0}), ("step", {"warmup": 3}),
])
def test_bad_schedule_settings_are_problems_not_crashes(schedule, params):
    d = xor_design()
    d.set_training(schedule=schedule, schedule_params=params)
    problem = only(design_problems(d), "schedule")
    assert problem.path == "training.schedule"


@pytest.mark.parametrize("optimizer, params, word", [
    ("adam", {"beta1": 1.0}, "beta1"), ("adam", {"eps": 0.0}, "eps"),
    ("rmsprop", {"rho": 1.0}, "rho"), ("momentum", {"momentum": "fast"}, "momentum"),
])
def test_optimizer_settings_that_would_divide_by_zero_are_refused(optimizer, params, word):
    d = xor_design()
    d.set_training(optimizer=optimizer, optimizer_params=params)
    assert only(design_problems(d), word).path == "training.optimizer_params"


def test_a_negative_data_seed_is_a_problem():
    d = xor_design()
    d.set_dataset(seed=-1)
    assert only(design_problems(d), "seed").path == "dataset"


def test_a_data_set_with_nothing_left_to_train_on_is_a_problem(tmp_path):
    csv = tmp_path / "one.csv"
    csv.write_text("x1,x2,y\n1.0,2.0,0.5\n")
    d = plane_design()
    d.set_dataset("csv", {"path": str(csv), "label": "y", "features": "x1,x2",
                          "task": "regression"})
    d.set_training(test_fraction=0.6)
    problems = design_problems(d)
    assert only(problems, "none is left to train on").path == "dataset"
