"""The training controller's timeline: every epoch's weights recorded (here for One Step, in
the training process for a run), a past moment shown in the views without touching the design,
and training resumed from it. A part of TrainingController (gui/training/controller.py)."""

from __future__ import annotations

from core.design.design import TrainingState
from core.training.timeline import Moment, design_key, initial_moment, moment_of, moment_snapshot, weights_at
from core.training.trainer import Trainer


class TimelineActs:
    """Show a moment of the timeline, go back to now, resume from it (TrainingController's)."""

    def show_epoch(self, epoch: int) -> Moment | None:
        """Show the kept moment nearest `epoch` in the views, the design and its undo stack
        untouched (at the present epoch: now); a run pauses first. Returns the moment shown."""
        if self.running:
            self._wanted = epoch
            self.pause()
            return None
        if not self._ensure_trainer():
            return None
        trainer = self.trainer
        moment = self.timeline.nearest(epoch, before_step=trainer.step_count) \
            if epoch < trainer.epoch else None
        if moment is None:
            self.back_to_now()
        elif moment is not self.viewing:
            self.viewing = moment
            snap = moment_snapshot(trainer, moment, self._plane, self._samples)
            self.moment.emit(snap)
            self.moment_shown.emit(snap.weights)
        return self.viewing

    def back_to_now(self) -> None:
        """The views show the present again."""
        if self.viewing is not None:
            self.viewing = None
            self.moment.emit(None)
            self.moment_shown.emit(None)

    def resume_from_here(self) -> bool:
        """Train on from the moment shown: its weights and epoch become the design's (one undo
        step); the epochs after it leave the history and the timeline; the optimizer starts
        afresh (its state is not kept per epoch); then Play."""
        moment, trainer = self.viewing, self.trainer
        if moment is None or self.running or trainer is None:
            return False
        history = [h for h in trainer.history if h.get("epoch", 0) <= moment.epoch]
        self._take(weights_at(trainer, moment), TrainingState(moment.epoch, moment.step, history),
                   f"Resume from epoch {moment.epoch}")
        self.timeline.cut_after(moment.epoch)
        self.trainer = None
        return self._ensure_trainer() and self.play()

    def _sync_timeline(self, trainer: Trainer, fresh: bool, at_epoch_end: bool) -> None:
        """The timeline for a new trainer: kept while it is the same design and history,
        begun again otherwise (from the initial weights, and now when now is an epoch's end)."""
        key = design_key(trainer.design)
        if fresh or key != self.timeline.key:
            self.timeline.clear(key)
        self.timeline.keep_history(trainer.history)
        if not len(self.timeline):
            initial = trainer.design.initial_weights
            if not fresh and initial:
                self.timeline.record(initial_moment(trainer, initial))
            if fresh or at_epoch_end:
                self.timeline.record(moment_of(trainer))
        trainer.on_epoch.append(lambda _metrics: self._epoch_ended(trainer))
        self.timeline_changed.emit()

    def _epoch_ended(self, trainer: Trainer) -> None:
        """An epoch ended here (One Step): its weights join the timeline."""
        self.timeline.record(moment_of(trainer))
        self.timeline_changed.emit()
