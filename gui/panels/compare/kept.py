"""The comparison kept with the design (core.design.comparison), as the Compare view knows it:
a run's results and the view's records made into one, and the records a reopened one shows."""

from __future__ import annotations

from core.design.comparison import Comparison, weights_base
from core.training.compared import comparison_of_results
from gui.panels.compare.run import CompareRun
from gui.panels.compare.table import VariantRecord, variant_colour


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
