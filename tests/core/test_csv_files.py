"""A CSV file named by a design is untrusted: a FIFO or a device is refused at once, a file too
large is refused, an unclosed quote is named as such, a first line that is no header is never
echoed, hostile bytes give a DataError naming the file, and reading takes little memory."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import core
from core.data import csv_source
from core.data.csv_import import read_preview, read_table
from core.data.datasets import read_csv
from core.design.errors import DataError, DataFileRefused, FileFormatError
from tests.hang_guard import run_isolated


def write(folder: Path, text: str | bytes, name: str = "data.csv") -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def data_error(path, reader=read_csv, **kwargs) -> str:
    kwargs.setdefault("label", "label")
    with pytest.raises(DataError) as caught:
        reader(path, **kwargs) if reader is read_csv else reader(path)
    return str(caught.value)


# ---- a FIFO or a device as the CSV file ------------------------------------------------------

EVERY_ENTRY = """
import json, sys
import core
from core.data.datasets import read_csv
from core.design.design import Design
from core.design.errors import NeuralCanvasError
from core.files.fileformat import dumps

csv_path, design_path = sys.argv[1], sys.argv[2]
d = Design()
a = d.add_node("input", {"feature": "a"})
out = d.add_node("neuron", {"activation": "sigmoid"})
d.add_connection(a.id, out.id)
d.set_dataset("csv", {"path": csv_path, "label": "label", "features": "a",
                      "task": "classification"})
d.set_training(loss="binary_cross_entropy", epochs=1)
with open(design_path, "w", encoding="utf-8") as f:
    f.write(dumps(d, weights=False))
found = {}
for name, call in (("read_csv", lambda: read_csv(csv_path, "label")),
                   ("core.load", lambda: core.load(design_path)),
                   ("core.train", lambda: core.train(d))):
    try:
        call()
        found[name] = "no error"
    except NeuralCanvasError as exc:
        found[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(found))
"""


@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_a_fifo_or_a_device_as_the_csv_is_refused_at_once_by_read_load_and_train(tmp_path, special):
    if special == "fifo":
        path = tmp_path / "data.csv"
        os.mkfifo(path)  # no one ever writes to it: opening it to read would wait for ever
        kind = "FIFO"
    else:
        path, kind = Path(special), "device"
    found = run_isolated(EVERY_ENTRY, str(path), str(tmp_path / "design.ncanvas"))
    assert found["read_csv"].startswith("DataFileRefused")
    assert found["core.load"].startswith("FileFormatError")
    assert found["core.train"].startswith("DesignError")
    for message in found.values():
        assert str(path) in message and kind in message and "regular file" in message


def test_a_fifo_is_refused_without_opening_it_for_a_preview_too(tmp_path, no_hang):
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    for reader in (read_preview, lambda p: read_table(p, "label")):
        with pytest.raises(DataFileRefused, match="pipe.csv: is a FIFO"):
            reader(path)


def test_a_file_over_the_size_limit_is_refused_naming_the_file_and_the_limit(tmp_path,
                                                                            monkeypatch):
    monkeypatch.setattr(csv_source, "MAX_CSV_BYTES", 64)
    path = write(tmp_path, "a,label\n" + "1,0\n2,1\n" * 20, "big.csv")
    message = data_error(path)
    assert "big.csv" in message and "168 bytes" in message and "at most 64 bytes" in message
    small = write(tmp_path, "a,label\n1,0\n2,1\n", "small.csv")
    assert read_csv(small, "label").num_samples == 2


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_a_file_that_says_it_is_empty_is_read_no_further_than_the_limit(monkeypatch, no_hang):
    monkeypatch.setattr(csv_source, "MAX_CSV_BYTES", 64)
    assert os.stat("/proc/self/status").st_size == 0  # a regular file of size 0, with text
    with pytest.raises(DataFileRefused, match=r"status: is larger than 64 bytes"):
        read_csv("/proc/self/status", "label")


# ---- messages --------------------------------------------------------------------------------


@pytest.mark.parametrize("text, line", [
    ('a,b,label\n1,2,"0\n3,4,1\n', 2),
    ('a,b,label\n1,2,x\n3,"4,1\n5,6,y', 3),  # no newline at the end
    ('a,b,label\r\n1,2,x\r\n3,4,"y\r\n5,6,z\r\n', 3),
    ('a,b,label\n1,2,"two\nlines"\n3,4,"open\n5,6,z\n', 4),  # a closed quote first
    ('a,b,label\n\n1,2,x\n3,4,"', 4),  # a blank line counts, and the quote ends the file
])
def test_an_unclosed_quote_is_named_with_the_line_it_opens_on(tmp_path, text, line):
    path = write(tmp_path, text)
    for reader in (read_csv, read_preview):
        message = data_error(path, reader)
        assert message == (f"data.csv, line {line}: a quote opens a cell that is never closed "
                           "(the file ends inside it)")


SHADOW = ("root:$6$c2FsdHNhbHQ$SECRETHASHSECRETHASH:19700:0:99999:7:::\n"
          "daemon:*:19700:0:99999:7:::\n")
PASSWD = "alice:x:1000:1000:Alice Secret,,,:/home/alice:/bin/bash\nbob:x:1001:1001::/home/bob:/bin/sh\n"


@pytest.mark.parametrize("text, secret", [
    (SHADOW, "SECRETHASH"),
    (PASSWD, "Alice Secret"),
    ("token\x01hidden,b,label\n1,2,3\n", "hidden"),  # a control character is no column name
    ("x,y\x00zsecret\n1,2\n", "zsecret"),
    ("ab," + "k" * 300 + "\n1,2\n", "kkkk"),  # no column is named by 300 characters
])
def test_a_first_line_that_is_no_header_is_never_echoed(tmp_path, text, secret):
    path = write(tmp_path, text, "shadow")
    for reader in (read_csv, read_preview):
        message = data_error(path, reader)
        assert message.startswith("shadow: is not a CSV file with a header row")
        assert secret not in message and "root" not in message and "alice" not in message


TEXT_FILES = {  # first lines that hold commas, in files that are not CSV tables
    "shell history": ("export TOKEN=ghp_SECRET123, echo ok\nmysql -u root -pHUNTER2\nls\n",
                      "its first line has 2 cells but line 2, the first row below it, has 1"),
    "shell, two commands a line": ("export TOKEN=ghp_SECRET123, echo ok\ncurl -u bob:pw, https://x\n",
                                   "line 2, the first row below its first line, holds no number"),
    ".env": ("API_KEY=sk_live_SECRET,DEBUG=1\nDB_PASSWORD=hunter2,PORT=5432\n",
             "line 2, the first row below its first line, holds no number"),
    ".netrc, one line": ("machine example.com login bob password SECRET, x\n",
                         "there are no data rows below its first line"),
    ".netrc": ("machine example.com login bob password SECRET, x\n\n"
               "machine other.org login amy password hunter2, y\n",
               "line 3, the first row below its first line, holds no number"),
    "/etc/passwd": ("root:x:0:0:SECRET Root,room 1:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin\n",
                    "its first line has 2 cells but line 2, the first row below it, has 1"),
}


@pytest.mark.parametrize("kind", list(TEXT_FILES))
def test_a_text_file_whose_first_line_holds_commas_is_not_taken_for_a_csv_file(tmp_path, kind):
    text, why = TEXT_FILES[kind]
    path = write(tmp_path, text, "notes.txt")
    messages = [data_error(path, read_csv, label="y"), data_error(path, read_preview)]
    with pytest.raises(FileFormatError) as caught:  # a design someone sent naming the file
        core.load(str(csv_design(tmp_path, path, label="y")))
    messages.append(str(caught.value).split("$.dataset: ", 1)[1])
    for message in messages:
        assert message == f"notes.txt: is not a CSV file with a header row; {why}"
        assert "SECRET" not in message and "column" not in message


def csv_design(folder: Path, csv_path: Path, label: str = "label") -> Path:
    """A design file whose data set is the CSV file `csv_path`."""
    from core.design.design import Design
    from core.files.fileformat import dumps

    d = Design()
    a = d.add_node("input", {"feature": "a"})
    out = d.add_node("neuron", {"activation": "sigmoid"})
    d.add_connection(a.id, out.id)
    d.set_dataset("csv", {"path": str(csv_path), "label": label, "task": "classification"})
    path = folder / "sent.ncanvas"
    path.write_text(dumps(d, weights=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("text", [
    "a,label\n1,x\n2,y\n",
    ",a,label\n0,1.5,x\n1,2,y\n",  # a row index, written by pandas
    "name,a,label\nann,1,x\nbob,2,y\n",  # a word, and numbers
    "a,label\n\n\n1,x\n2,y\n",  # blank lines before the first row
    "a,label\n1,x\n2\n3,y\n",  # a short row after the first one: named by its line below
])
def test_a_real_csv_file_is_still_read(tmp_path, text):
    path = write(tmp_path, text)
    if text.endswith("2\n3,y\n"):
        assert read_preview(path).count == 3
        assert "data.csv, line 3: 1 cell, but the header has 2" in data_error(path)
    else:
        assert read_preview(path).count == len(read_csv(path, "label", ["a"]).X) == 2


def test_long_column_names_are_cut_in_messages(tmp_path):
    long_name = "n" + "a" * 199
    path = write(tmp_path, f"{long_name},b\n1,2\n")
    message = data_error(path, label="l" * 5000)
    assert "no label column 'llllll" in message and "'naaaa" in message
    assert "a" * 60 not in message and "l" * 60 not in message and len(message) < 300
    many = write(tmp_path, ",".join(f"c{i}" for i in range(500)) + "\n" + ",".join("1" * 500) + "\n")
    message = data_error(many, label="nope")
    assert "'c19'" in message and "'c20'" not in message and "and 480 more" in message


def test_a_value_beyond_float32_is_refused_unless_read_in_float64(tmp_path):
    path = write(tmp_path, "a,label\n1e39,x\n2,y\n")
    assert ("data.csv, line 2, column 'a': '1e39' is too large for float32 numbers"
            in data_error(path))
    data = read_csv(path, "label", dtype="float64")
    assert data.X.dtype == np.float64 and data.X[0, 0] == 1e39


def test_labels_that_are_numbers_and_non_finite_are_named(tmp_path):
    path = write(tmp_path, "a,label\n1,0\n2,nan\n3,1\n4,inf\n")
    message = data_error(path)
    assert "line 3, column 'label': 'nan' is not a finite number" in message
    assert "line 5, column 'label': 'inf' is not a finite number" in message
    words = write(tmp_path, "a,label\n1,cat\n2,nan\n", "words.csv")  # 'nan' is a word here
    assert read_csv(words, "label").class_names == ("cat", "nan")


def test_a_very_long_cell_is_named_by_its_line(tmp_path):
    path = write(tmp_path, "a,label\n1,x\n" + "2," + "y" * 200_000 + "\n")
    assert "data.csv, line 3: a cell is longer than 131,072 characters" in data_error(path)


def test_a_line_too_long_to_hold_as_text_is_refused_by_its_number(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_source, "MAX_LINE_CHARS", 100)
    path = write(tmp_path, "a,label\n1,x\n" + "2," * 60 + "y\n")
    assert data_error(path) == "data.csv, line 3: is longer than 100 characters"
    assert read_csv(write(tmp_path, "a,label\n1,x\n2,y\n", "short.csv"), "label").num_samples == 2


# ---- hostile contents ------------------------------------------------------------------------

PIECES = ["a", "label", "1", "-2.5", "1e39", "nan", ",", ",", '"', '""', "\n", "\r\n", "\r",
          "\x00", " ", "\ufeff", "é", "\u2028", "\x1e"]
hostile_text = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
header_then_text = hostile_text.map(lambda t: "a,label\n" + t)
hostile_bytes = st.one_of(
    st.binary(max_size=300),
    header_then_text.map(lambda t: t.encode("utf-8")),
    st.tuples(header_then_text, st.binary(max_size=8)).map(lambda p: p[0].encode() + p[1]),
    st.integers(1, 3).map(lambda n: b"a,label\n" + b"1," + b'"' * n + b"x" * 140_000 + b"\n"),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=hostile_bytes, task=st.sampled_from(["classification", "regression"]))
def test_hostile_contents_load_or_raise_a_data_error_naming_the_file(tmp_path, no_hang, content,
                                                                      task):
    path = tmp_path / "hostile.csv"
    path.write_bytes(content)
    for read in (lambda: read_csv(path, "label", task=task), lambda: read_preview(path)):
        try:
            read()
        except DataError as exc:
            assert "hostile.csv" in str(exc)


# ---- memory ----------------------------------------------------------------------------------

PEAK_OF_READ = """
import json, sys
from core.data.csv_import import read_preview
from core.data.datasets import read_csv

def status(key):  # in bytes, from Linux's account of this process
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key))

with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak (VmHWM) starts again from here
before = status("VmRSS:")
if sys.argv[2] == "preview":  # what the CSV dialog reads first, to show and to guess from
    rows = read_preview(sys.argv[1]).count
else:
    rows = read_csv(sys.argv[1], "label").num_samples
print(json.dumps({"used": status("VmHWM:") - before, "rows": rows}))
"""


def narrow_file(path: Path) -> int:
    """About 15 MB: 150,000 rows of ten numbers with six decimals and a word."""
    rng = np.random.default_rng(0)
    block = "".join(",".join(f"{v:.6f}" for v in row) + f",{('cat', 'dog', 'emu')[i % 3]}\n"
                    for i, row in enumerate(rng.uniform(-10, 10, (5000, 10))))
    with path.open("w", encoding="utf-8") as out:
        out.write(",".join(f"x{j}" for j in range(10)) + ",label\n")
        for _ in range(30):
            out.write(block)
    return 150_000


def wide_file(path: Path) -> int:
    """About 15 MB: 1,500 rows of 2,000 short numbers (an image a row, say) and a class."""
    row = ",".join(["0.25", "0.75"] * 1000)
    with path.open("w", encoding="utf-8") as out:
        out.write(",".join(f"p{j}" for j in range(2000)) + ",label\n")
        for i in range(1500):
            out.write(f"{row},{i % 10}\n")
    return 1500


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize("make, read", [(narrow_file, "table"), (wide_file, "table"),
                                        (wide_file, "preview")])
def test_reading_a_csv_takes_less_memory_than_the_file_holds_text(tmp_path, make, read):
    path = tmp_path / "big.csv"
    rows = make(path)
    size = path.stat().st_size  # float32 arrays of either take about 0.4 and 0.8 of it
    found = run_isolated(PEAK_OF_READ, str(path), read)
    assert found["rows"] == rows
    assert found["used"] < 3 * size  # about 1 time the file; 11 times when each cell was a str


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_design_trains_on_its_csv_numbers_in_its_own_dtype(tmp_path, dtype):
    from core.compiler.compile import compile_design
    from core.design.design import Design

    rows = "".join(f"{0.1 * i:.1f},{i % 2}\n" for i in range(1, 21))
    path = write(tmp_path, "a,label\n" + rows)
    d = Design()
    a = d.add_node("input", {"feature": "a"})
    out = d.add_node("neuron", {"activation": "sigmoid"})
    d.add_connection(a.id, out.id)
    d.set_dataset("csv", {"path": str(path), "label": "label", "features": "a",
                          "task": "classification"})
    d.set_training(loss="binary_cross_entropy", dtype=dtype)
    X = compile_design(d).data.X
    assert X.dtype == np.dtype(dtype) and X[0, 0] == np.dtype(dtype).type("0.1")


def test_a_csv_name_holding_a_nul_is_refused_at_the_data_set(tmp_path):
    """No file name holds a NUL: the design says so at its data set, not as a failed check."""
    import core
    from core.design.design import Design
    from core.design.errors import FileFormatError
    from core.files.fileformat import save_design

    design = Design()
    design.set_dataset("csv", {"path": str(tmp_path / "a\x00b.csv"), "label": "y", "features": "",
                               "task": "classification"})
    path = tmp_path / "nul.ncanvas"
    save_design(design, path)
    with pytest.raises(FileFormatError) as caught:
        core.load(path)
    assert "$.dataset:" in str(caught.value) and "is not a file name" in str(caught.value)
