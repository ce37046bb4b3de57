"""SimpleRNN, LSTM and GRU as blocks of a design: shapes, messages, and learning the digits read
row by row (eight time steps of eight pixels)."""

from __future__ import annotations

import pytest

from core.compiler.validation import check_design
from core.design import registry
from core.design.design import Design
from core.training.trainer import Trainer
from tests.core.example_designs import rows_design


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_a_recurrent_block_reads_a_sequence_and_passes_on_its_state(kind):
    design, ids = rows_design(kind, units=16)
    problems, structure = check_design(design)
    assert [p for p in problems if p.severity == "error"] == []
    assert structure.shapes[ids[2]] == (16,)
    design, ids = rows_design(kind, units=16, return_sequences=True)
    structure = check_design(design)[1]
    assert [structure.shapes[i] for i in ids[2:4]] == [(8, 16), (128,)]


def test_a_recurrent_block_on_a_flat_vector_says_what_it_expects():
    design = Design()
    design.set_dataset("digits")
    data = design.add_node("data", {}).id
    lstm = design.add_node("lstm", registry.blocks.get("lstm").default_params()).id
    design.add_connection(data, lstm)
    messages = [p.message for p in check_design(design)[0] if lstm in p.node_ids]
    assert any("LSTM expects a sequence (time steps × features)" in m for m in messages)


@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_the_digits_read_row_by_row_are_learned(kind):
    design, _ids = rows_design(kind, units=32)
    metrics = Trainer(design).train()
    assert metrics.test_accuracy >= 0.85
