import os
import stat
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch

from mibias.io import (
    InputError,
    atomic_path,
    check_writable,
    held_lock,
    load_array,
    write_csv_atomic,
    write_text_atomic,
)


def test_reads_npy_csv_and_pt(tmp_path):
    values = np.arange(12, dtype=np.float64).reshape(4, 3)
    np.save(tmp_path / "a.npy", values)
    (tmp_path / "b.csv").write_text("x,y,z\n" + "\n".join(",".join(map(str, r)) for r in values))
    (tmp_path / "c.csv").write_text("\n".join(",".join(map(str, r)) for r in values))
    torch.save(torch.tensor(values), tmp_path / "d.pt")
    for name in ("a.npy", "b.csv", "c.csv", "d.pt"):
        assert np.array_equal(load_array(tmp_path / name), values), name


@pytest.mark.parametrize(
    "text",
    [
        "x;y;z\n0;1,5;-2\n3;4,25;5e-1\n",  # a spreadsheet's export where 0,5 is a half
        "0;1.5;-2\n3;4.25;5e-1\n",
        "x\ty\tz\n0\t1.5\t-2\n3\t4.25\t5e-1\n",
    ],
    ids=["semicolons, decimal commas, header", "semicolons", "tabs, header"],
)
def test_reads_csv_separated_by_semicolons_or_tabs(tmp_path, text):
    """Was: one column of text (and a header read as a row), so that the audit said the row
    counts differ."""
    (tmp_path / "z.csv").write_text(text)
    assert np.array_equal(load_array(tmp_path / "z.csv"), [[0, 1.5, -2], [3, 4.25, 0.5]])


def test_the_column_numbers_pandas_writes_for_an_array_are_a_header(tmp_path):
    """Was: read as a first row of data, and the audit said Z has one row more than C."""
    values = np.random.default_rng(0).normal(size=(5, 3))
    pd.DataFrame(values).to_csv(tmp_path / "z.csv", index=False)  # first line: 0,1,2
    assert np.allclose(load_array(tmp_path / "z.csv"), values)
    # above whole numbers the same line may be data (a one-hot row): it stays
    pd.DataFrame(np.eye(2, dtype=int)).to_csv(tmp_path / "onehot.csv", index=False)
    assert load_array(tmp_path / "onehot.csv").tolist() == [[0, 1], [1, 0], [0, 1]]


def test_text_labels_with_commas_inside_quotes_stay_one_column(tmp_path):
    (tmp_path / "labels.csv").write_text('group\n"a, b"\nc\n"a, b"\nc\n')
    assert load_array(tmp_path / "labels.csv").ravel().tolist() == ["a, b", "c", "a, b", "c"]


def test_reads_a_bfloat16_tensor_as_float32(tmp_path):
    values = torch.tensor([[0.5, -1.25], [3.0, 8.0]])  # exact in bfloat16
    torch.save(values.bfloat16(), tmp_path / "z.pt")
    loaded = load_array(tmp_path / "z.pt")
    assert loaded.dtype == np.float32 and np.array_equal(loaded, values.numpy())


def test_reads_string_labels(tmp_path):
    (tmp_path / "labels.csv").write_text("group\nred\nblue\nred\nblue\n")
    assert load_array(tmp_path / "labels.csv").ravel().tolist() == ["red", "blue", "red", "blue"]
    (tmp_path / "bare.csv").write_text("red\nblue\nred\nblue\n")
    assert load_array(tmp_path / "bare.csv").ravel().tolist() == ["red", "blue", "red", "blue"]


def test_a_label_left_empty_keeps_its_row_and_the_header_its_place(tmp_path):
    # pandas writes a missing label of one column as "" (a blank line would be skipped)
    (tmp_path / "labels.csv").write_text('group\nred\n""\nblue\nred\nblue\n')
    labels = load_array(tmp_path / "labels.csv").ravel()
    assert len(labels) == 5 and pd.isna(labels[1])
    assert labels[[0, 2, 3, 4]].tolist() == ["red", "blue", "red", "blue"]


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.npy", None, "no such file"),
        ("empty.csv", b"", "the file is empty"),
        ("table.xlsx", b"x", "unsupported file type"),
        ("broken.npy", b"not numpy", "cannot be read"),
        ("broken.pt", b"garbage", "cannot be read"),  # torch's error runs to many lines
    ],
)
def test_bad_files_are_named_in_one_line(tmp_path, name, content, message):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError, match=message) as error:
        load_array(tmp_path / name)
    assert name in str(error.value) and "\n" not in str(error.value)


def test_pickled_objects_are_not_loaded(tmp_path):
    torch.save({"not": "a tensor"}, tmp_path / "obj.pt")
    with pytest.raises(InputError, match="expected a saved tensor"):
        load_array(tmp_path / "obj.pt")


def test_check_writable_makes_the_folder_and_leaves_nothing_in_it(tmp_path):
    check_writable(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir() and not list((tmp_path / "a" / "b").iterdir())
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError):
        check_writable(tmp_path / "file" / "c")


def test_success_replaces_the_file(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("new")
        assert not target.exists()
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_a_written_file_has_the_permissions_of_any_new_file(tmp_path, umask):
    # results and erased vectors are handed on: readable by others where the umask allows
    previous = os.umask(umask)
    try:
        write_text_atomic(tmp_path / "table.md", "shared\n")
        with atomic_path(tmp_path / "vectors.npy", suffix=".npy") as tmp:
            np.save(tmp, np.zeros(3))
    finally:
        os.umask(previous)
    for name in ("table.md", "vectors.npy"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask


def test_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer broke")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


# holds the lock on argv[1] for a while, writes argv[2] and lets go
HOLDER = """
import sys, time
from pathlib import Path
from mibias.io import held_lock
with held_lock(Path(sys.argv[1]), busy=lambda holder: None):
    print("held", flush=True)
    time.sleep(1.5)
    Path(sys.argv[2]).write_text("done")
"""


def test_a_second_holder_is_told_who_holds_the_lock_and_waits_for_it(tmp_path):
    path, done = tmp_path / ".lock", tmp_path / "done"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(done)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        told = []
        with held_lock(path, busy=told.append):
            assert done.exists()  # the block ran only once the holder had finished its own
        assert len(told) == 1 and told[0].startswith(f"process {holder.pid} on ")
    finally:
        holder.kill()
        holder.wait()


def test_a_free_lock_is_taken_without_a_word_and_busy_may_give_up(tmp_path):
    path = tmp_path / ".lock"

    def give_up(holder: str) -> None:
        raise RuntimeError(f"held by {holder}")

    start = time.monotonic()
    with held_lock(path, busy=give_up):
        with pytest.raises(RuntimeError, match="held by process") as refused:
            with held_lock(path, busy=give_up):
                pass
        assert refused.value.__context__ is None  # one message, not chained to flock's
    assert time.monotonic() - start < 5


def test_text_and_tables_are_written_whole_or_not_at_all(tmp_path):
    path = tmp_path / "table.csv"
    write_csv_atomic(pd.DataFrame({"a": [1, 2]}), path, index=False)
    write_text_atomic(tmp_path / "note.md", "kept\n")

    class Broken:
        def __str__(self):
            raise RuntimeError("the writer died half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        write_csv_atomic(pd.DataFrame({"a": [Broken()]}), path, index=False)
    assert path.read_text() == "a\n1\n2\n"  # the old table, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.md", "table.csv"]  # no leftovers
    assert (tmp_path / "note.md").read_text() == "kept\n"
