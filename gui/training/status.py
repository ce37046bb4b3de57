"""What the status bar says about training: its state in a few words, why a run stopped by
itself, and what Play does once the epochs asked for are done."""

from __future__ import annotations

from core.design import registry

STOPPED = {"diverged": "stopped: diverged", "memory": "stopped: out of memory",
           "failed": "stopped: failed", "stopped": "stopped"}


def schedule_end(settings, epoch: int) -> str:
    """', and the cosine schedule has brought the learning rate down to 0' at `epoch` of a run of
    the settings' epochs ('' for a constant rate)."""
    if settings.schedule == "constant" or settings.schedule not in registry.schedules:
        return ""
    schedule = registry.schedules.get(settings.schedule)
    rate = schedule(settings.learning_rate, epoch, settings.epochs, settings.schedule_params)
    return (f", and the {schedule.label.lower()} schedule has brought the learning rate down to "
            f"{rate:.3g}")


def stop_note(kind: str, reason: str, epoch: int, settings) -> str:
    """Why a run that ended by itself (`kind` "finished") stopped, and what Play does next."""
    if kind != "finished":
        return ""
    if epoch >= settings.epochs:
        return (f"Training stopped: all {settings.epochs:,} epochs are done"
                f"{schedule_end(settings, epoch)}. Play trains {settings.epochs:,} more.")
    return f"Training stopped at epoch {epoch:,}: {reason}."


def more_epochs_note(done: int, more: int, settings) -> str:
    """What Play does when all the epochs asked for are done: it asks for `more` (Epochs is raised)."""
    note = f"Epochs raised to {done + more:,}: training {more:,} more"  # (short: the figures
    if settings.schedule != "constant":  # while it trains leave little room at 1280 wide)
        note += f", the schedule over all {done + more:,}"
    return note + "."


def target_met(settings, metrics) -> str:
    """The target the last epoch's metrics already meet ('' for none): a run stops again after its
    first epoch (as core.training.trainer's stop rule has it)."""
    if metrics is None:
        return ""
    if settings.target_loss is not None and metrics.train_loss <= settings.target_loss:
        return f"the training loss is at its target {settings.target_loss:g} already"
    accuracy = metrics.test_accuracy if metrics.test_accuracy is not None else metrics.train_accuracy
    if settings.target_accuracy is not None and accuracy is not None \
            and accuracy >= settings.target_accuracy:
        return f"the accuracy is at its target {settings.target_accuracy:.0%} already"
    return ""


def state_text(running: bool, ended: tuple[str, str] | None, design, can_train: bool) -> str:
    """The state in a few words: "ready to train", "training to epoch 200", "paused",
    "done: all 200 epochs", "done at epoch 31", "stopped: diverged" ('' when it cannot train)."""
    settings, state = design.training, design.state
    if running:
        return f"training to epoch {settings.epochs:,}"
    if not can_train:
        return ""  # the problem count says why
    if ended is not None and ended[0] in STOPPED:
        return STOPPED[ended[0]]
    if state.epoch >= settings.epochs:
        return f"done: all {settings.epochs:,} epochs"
    if ended is not None and ended[0] == "finished":
        return f"done at epoch {state.epoch:,}"
    if state.epoch == 0 and state.step == 0:
        return "ready to train"
    return "paused"


def state_tip(controller, design) -> str:
    """The state's tooltip: why the last run stopped, and what Play does from here."""
    settings = design.training
    if controller.running:
        return ""
    if design.state.epoch >= settings.epochs:
        return f"All {settings.epochs:,} epochs are done: Play trains {settings.epochs:,} more."
    ended = controller.ended
    if ended is None or not ended[1] or ended[0] == "paused":
        return ""
    tip = f"Stopped at epoch {design.state.epoch:,}: {ended[1]}."
    trainer = controller.trainer
    if ended[0] == "finished" and trainer is not None \
            and target_met(settings, trainer.last_metrics()):
        tip += " Play trains one epoch more while the target is met (clear it to train on)."
    return tip
