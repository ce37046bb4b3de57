"""The comparison kept with the design (core.design.comparison), as the Compare view knows it:
a run's results and the view's records made into one, and the records a reopened one shows."""

from __future__ import annotations

from core.design.comparison import Comparison, weights_base
from core.design.errors import NeuralCanvasError
from core.training.compared import comparison_of_results, kept_outputs, kept_variant_design
from gui.panels.compare.run import CompareRun
from gui.panels.compare.table import VariantRecord, variant_colour

NOT_KEPT = ("their weights were not kept with the design: picking a variant needs training again "
            "(Training → Compare…)")


def comparison_of_run(run: CompareRun, records: list[VariantRecord]) -> Comparison:
    """What the run's variants are now (the run paused first), with the view's labels and states;
    ValueError when it is more than a design keeps."""
    results = run.results()
    return comparison_of_results(results, run.epochs, [r.labels for r in records],
                                 [(r.state, r.reason) for r in records],
                                 base=weights_base(run.design))


def records_of(comparison: Comparison) -> list[VariantRecord]:
    """The view's records of a kept comparison: the table, the curves and the tiles draw these.
    A variant kept while it trained is paused now: nothing of a reopened comparison trains."""
    count = len(comparison.variants)
    return [VariantRecord(i, dict(v.labels), dict(v.changes), variant_colour(i, count),
                          [dict(h) for h in v.history],
                          "paused" if v.state == "training" else v.state, v.reason, v.epoch)
            for i, v in enumerate(comparison.variants)]


class KeptWithDesign:
    """The Compare panel's part that keeps a comparison with the design and shows a kept one
    (mixed into ComparePanel: its document, run, records, table, curves and tiles)."""

    def keep(self) -> bool:
        """The run's results kept with the design it compares (one undo command, as a run's
        trained weights are): when it pauses or ends, and before the design is saved."""
        run = self.run
        if run is None or self._run_of is not self.document.design or not self.records:
            return False
        try:
            comparison = comparison_of_run(run, self.records)
        except ValueError as exc:  # more than a design keeps
            self._say(f"not kept with the design: {exc}")
            return False
        kept = self.document.take_comparison(comparison, "Keep the comparison's results")
        self._unkept = False
        return kept

    def _keep_before_saving(self) -> None:
        """What the variants are now goes into the file too, when they moved on since they were
        last kept (results the person took back with Undo stay out); a running comparison goes on."""
        running = self.run is not None and self.run.running
        if not (running or self._unkept):
            return
        self.keep()
        if running and self.run is not None and not self.run.running:
            self.run.play()

    def _comparison_changed(self) -> None:
        """The design keeps another comparison (an undo, a redo): without a run the dock shows
        the one it keeps now, or nothing; a run's own view stays."""
        if self.run is not None or self.document.design.comparison is self.kept:
            return
        self.records = []
        self.table_model.set_records([])
        self.curves.set_records([])
        self.tiles.set_data(None, None)
        self.tiles.set_order([])
        self._show_kept()
        if self.kept is None:
            self._say()
            self._enable()

    def _show_kept(self) -> None:
        """The comparison the design keeps (a design opened): its curves, table and boundaries."""
        comparison = self.document.design.comparison
        self.kept, self._kept_build = comparison, None
        if comparison is None:
            return
        self.records = records_of(comparison)
        self.table_model.set_records(self.records)
        self.curves.set_records(self.records)
        self._kept_build, plane, maps = kept_outputs(self.document.design, comparison)
        self.tiles.set_data(self._kept_build, plane)
        self.tiles.setVisible(plane is not None)
        self.tiles.set_maps(maps)
        self._redraw("" if comparison.pickable else NOT_KEPT)

    def _pick_kept(self, index: int) -> bool:
        """A reopened comparison's variant, from its kept weights, becomes the design."""
        if self.kept is None:
            return False
        try:
            design = kept_variant_design(self.document.design, self.kept, index)
            self.document.take_variant(design, f"Use variant {index + 1} "
                                               f"({self.records[index].name})")
        except (NeuralCanvasError, ValueError) as exc:
            self._say(f"variant {index + 1} cannot become the design: {exc}")
            return False
        self.table.selectRow(self.table_model.row_of(index))
        return True
