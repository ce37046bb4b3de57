"""The confusion panel while the digits MLP trains: the matrix counts the whole test set, the strip
shows twelve samples with probabilities, mistakes are marked; two-input data gets a note."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QPalette

from core.training.process import SAMPLES_SHOWN
from gui.document.document import Document
from gui.panels.confusion import NOTE_PLANAR, ConfusionPanel
from gui.training.controller import TrainingController

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def open_panel(qtbot, example: str):
    document = Document()
    document.open(str(EXAMPLES / example))
    controller = TrainingController(document)
    panel = ConfusionPanel(controller)
    panel.resize(760, 620)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    return document, controller, panel


@pytest.fixture
def digits(qtbot):
    document, controller, panel = open_panel(qtbot, "digits_mlp.ncanvas")
    yield document, controller, panel
    controller.shutdown()
    document.autosave_timer.stop()


def test_training_the_digits_fills_the_matrix_and_the_strip(digits, qtbot):
    document, controller, panel = digits
    assert panel.counts is None and not panel.cards
    document.set_training(epochs=2)
    assert controller.play()
    qtbot.waitUntil(lambda: not controller.running, timeout=60000)
    trainer = controller.trainer
    n_test = len(trainer.test_idx)

    counts = panel.counts
    assert counts is not None and counts.shape == (10, 10) and counts.sum() == n_test
    np.testing.assert_array_equal(counts.sum(axis=1), np.bincount(trainer.labels_test, minlength=10))
    assert panel.accuracy == pytest.approx(controller.last.metrics.test_accuracy, abs=1e-6)
    assert f"of {n_test} right" in panel.caption.text()
    assert panel.matrix.class_names == tuple(str(d) for d in range(10))

    cards = panel.cards
    assert len(cards) == SAMPLES_SHOWN == 12 and all(c.isVisible() for c in cards)
    for card, index in zip(cards, controller.last.sample_indices, strict=True):
        assert card.index == index and card.image is not None and card.image.size().width() == 8
        assert card.probabilities.shape == (10,) and card.probabilities.sum() == pytest.approx(1, abs=1e-5)
        assert card.true_class == trainer.labels_test[index]
        assert card.predicted == int(np.argmax(card.probabilities))
        assert card.misclassified == (card.predicted != card.true_class)
    # the pictures are the test samples themselves
    first = cards[0]
    pixels = trainer.build.data.X[trainer.test_idx[first.index]].reshape(8, 8)
    brightest = np.unravel_index(np.argmax(pixels), pixels.shape)
    darkest = np.unravel_index(np.argmin(pixels), pixels.shape)
    ink, paper = first.image.pixelColor(*brightest[::-1]), first.image.pixelColor(*darkest[::-1])
    page, pen = panel.palette().color(QPalette.ColorRole.Base), panel.palette().color(QPalette.ColorRole.Text)
    assert paper.rgb() == page.rgb()  # an empty pixel is the page
    assert abs(ink.lightness() - pen.lightness()) < abs(paper.lightness() - pen.lightness())  # ink


def test_a_mistake_is_framed_in_red_and_names_the_wrong_class(digits, qtbot):
    _document, controller, panel = digits
    assert controller.step_once()  # one step in: the network still makes many mistakes
    wrong = [c for c in panel.cards if c.misclassified]
    right = [c for c in panel.cards if not c.misclassified]
    assert wrong, "after one step some of the twelve samples should still be wrong"
    card = wrong[0]
    image = card.grab().toImage()
    red = image.pixelColor(1, card.height() // 2)
    assert red.red() > 150 and red.green() < 110 and red.blue() < 110
    assert f"true class {card.name(card.true_class)}" in card.toolTip()
    if right:
        edge = right[0].grab().toImage().pixelColor(1, right[0].height() // 2)
        assert not (edge.red() > 150 and edge.green() < 110)

    before = panel.counts.copy()
    for _ in range(20):
        controller.step_once()
    assert panel.counts.sum() == before.sum() and not np.array_equal(panel.counts, before)
    assert np.trace(panel.counts) > np.trace(before)  # it learns: more on the diagonal


def test_two_input_data_shows_a_note_instead(qtbot):
    document, controller, panel = open_panel(qtbot, "xor.ncanvas")
    try:
        assert controller.step_once()
        assert panel.counts is None and panel.pages.currentWidget() is panel.note
        assert panel.note.text() == NOTE_PLANAR
    finally:
        controller.shutdown()
        document.autosave_timer.stop()
