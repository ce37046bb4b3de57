"""The training process's loop (core.training.process), driven here through a stand-in pipe: whatever
goes wrong in a run ends it with an "ended" message that says what, and the loop keeps serving."""

from __future__ import annotations

from core.design.design import TrainingState
from core.engine.model import Model
from core.files.fileformat import design_to_dict, load_design
from core.training import process as train_process
from tests.core.example_designs import EXAMPLES


class Pipe:
    """One end of a pipe: what the window sent, waiting; what the process sent, kept. As the
    window does, each run's messages are sent once the run before it has ended."""

    def __init__(self, *runs: list[tuple]) -> None:
        self.incoming, self.later = list(runs[0]), [list(r) for r in runs[1:]]
        self.sent: list[tuple] = []

    def send(self, message: tuple) -> None:
        self.sent.append(message)
        if message[0] == "ended" and self.later:
            self.incoming += self.later.pop(0)

    def poll(self, _timeout: float = 0.0) -> bool:
        return bool(self.incoming)

    def recv(self) -> tuple:
        if not self.incoming:
            raise EOFError
        return self.incoming.pop(0)


def ended(pipe: Pipe) -> list[tuple]:
    return [m for m in pipe.sent if m[0] == "ended"]


def test_a_history_entry_the_trainer_cannot_read_ends_the_run_in_words():
    design = load_design(EXAMPLES / "xor.ncanvas")
    design.state = TrainingState(1, 10, [], {}, 0)
    bad = design_to_dict(design)  # saving refuses an unknown key, so it is put in the message itself
    bad["state"]["history"] = [{"epoch": 1, "train_loss": 0.5, "test_loss": 0.5, "surprise": 3}]
    good = design_to_dict(load_design(EXAMPLES / "xor.ncanvas"))
    pipe = Pipe([("run", bad)], [("run", good), ("stop",)], [("quit",)])
    train_process.serve(pipe)  # returns at "quit": it served both runs
    first, second = ended(pipe)
    assert first[1] == "failed" and "surprise" in first[2] and "history" in first[2]
    assert second[1] == "stopped"


def test_running_out_of_memory_in_the_process_ends_the_run_as_memory(monkeypatch):
    def no_memory(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr(Model, "loss_and_gradients", no_memory)
    pipe = Pipe([("run", design_to_dict(load_design(EXAMPLES / "digits_mlp.ncanvas")))])
    train_process.serve(pipe)
    (message,) = ended(pipe)
    assert message[1] == "memory"
    assert message[2].startswith("training ran out of memory at epoch 1, step 1")
    assert message[3] is not None and message[4].step == 0  # the weights and state it had
