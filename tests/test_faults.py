"""Faults done for real on small data: each ends in one line on stderr, no traceback, the
documented exit status, and data on disk that is still usable afterwards."""

import errno
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mibias.cli import EXIT_BAD_INPUT, EXIT_CANNOT_WRITE, EXIT_DAMAGED, main
from mibias.data import mnist
from mibias.data.fetch import FetchError
from mibias.experiments.demo import demo_grid
from mibias.run_folder import RunFolderBusy, run_folder_lock
from mibias.sweep import run_jobs
from mibias.training import checkpoint
from tests.experiments.test_digits import TINY_RUN, tiny_data  # noqa: F401 - a fixture

# float32: the faults are the same in either precision, and bf16 asked of a CPU without
# bfloat16 instructions adds a warning line (training.precision) to the one line these tests count
DIGITS = ["digits", "--method", "mi", *TINY_RUN, "--k", "2", "--no-compile", "--no-bf16"]


def one_line_error(capsys):
    err = capsys.readouterr().err
    # off a terminal every finished epoch prints a progress line, and the last epoch announces
    # its final checks and says what they found; the error is the rest
    progress = (": task loss ", ": final checks after epoch ", ": the check of z on ")
    lines = [
        line for line in err.splitlines() if line.strip() and not any(p in line for p in progress)
    ]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def flip_a_byte(path, offset=None):
    data = bytearray(path.read_bytes())
    offset = len(data) // 2 if offset is None else offset
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.fixture
def cached_mnist(tmp_path, monkeypatch):
    """A small MNIST cache whose content hash the loader accepts, and a verified source
    that rebuilds it."""
    rng = np.random.default_rng(0)
    arrays = {
        key: rng.integers(0, 255, (40, 28, 28) if key.endswith("images") else 40, np.uint8)
        for key in mnist.ARRAYS
    }
    monkeypatch.setattr(mnist, "CONTENT_SHA256", mnist.content_sha256(arrays))
    monkeypatch.setattr(mnist, "_from_idx", lambda home, progress: dict(arrays))
    np.savez(tmp_path / mnist.CACHE_NAME, **arrays)
    return tmp_path / mnist.CACHE_NAME, arrays


def test_a_flipped_byte_in_the_mnist_cache_is_reported_and_rebuilt(cached_mnist, capsys):
    cache, arrays = cached_mnist
    flip_a_byte(cache)
    status = main(["data", "verify", "mnist", "--data-home", str(cache.parent)])
    assert status == EXIT_DAMAGED
    assert str(cache) in one_line_error(capsys)
    loaded = mnist.load_mnist(cache.parent)
    assert "damaged; rebuilding" in one_line_error(capsys)
    for key in mnist.ARRAYS:
        np.testing.assert_array_equal(loaded[key], arrays[key])
    assert mnist.verify_mnist(cache.parent) == []


def test_a_truncated_mnist_cache_is_rebuilt(cached_mnist, capsys):
    cache, _ = cached_mnist
    cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])
    assert main(["data", "verify", "mnist", "--data-home", str(cache.parent)]) == EXIT_DAMAGED
    one_line_error(capsys)
    mnist.load_mnist(cache.parent)
    assert mnist.verify_mnist(cache.parent) == []


@pytest.fixture
def two_epoch_run(tiny_data, tmp_path, capsys):  # noqa: F811
    """A finished two-epoch digits run; returns its folder and its latest checkpoint."""
    out = tmp_path / "run"
    assert main([*DIGITS, "--epochs", "2", "--out", str(out)]) == 0
    capsys.readouterr()
    return out, out / "checkpoint.pt"


def test_resume_after_a_damaged_checkpoint_continues_from_the_one_before(two_epoch_run, capsys):
    out, latest = two_epoch_run
    previous = checkpoint.previous_path(latest)
    assert checkpoint.load_checkpoint(previous)["epoch"] == 1
    latest.write_bytes(latest.read_bytes()[: latest.stat().st_size // 2])
    assert main([*DIGITS, "--epochs", "3", "--resume", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "resuming from the previous checkpoint" in err and "(epoch 1)" in err
    assert checkpoint.load_checkpoint(latest)["epoch"] == 3


def test_resume_with_every_checkpoint_damaged_stops_in_one_line(two_epoch_run, capsys):
    out, latest = two_epoch_run
    for path in (latest, checkpoint.previous_path(latest)):
        flip_a_byte(path, offset=40)
    assert main([*DIGITS, "--epochs", "3", "--resume", "--out", str(out)]) == EXIT_DAMAGED
    line = one_line_error(capsys)
    assert str(latest) in line and "to start over, delete the run's folder" in line


def test_a_folder_holding_a_run_takes_only_that_run_resumed(two_epoch_run, capsys):
    out, latest = two_epoch_run
    written = latest.read_bytes()
    assert main([*DIGITS, "--epochs", "2", "--out", str(out)]) == EXIT_BAD_INPUT
    assert "already holds a run (finished: 2 of 2 epochs done)" in one_line_error(capsys)
    other = [*DIGITS, "--epochs", "3", "--resume", "--sigma", "0.035", "--out", str(out)]
    assert main(other) == EXIT_BAD_INPUT
    assert "its run was made with other settings (sigma 0.02 -> 0.035)" in one_line_error(capsys)
    assert latest.read_bytes() == written  # neither touched the run


HOLDER = """
import sys, time
from mibias.run_folder import run_folder_lock
with run_folder_lock(sys.argv[1]):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_process_on_a_run_folder_stops_and_a_stale_lock_is_taken_over(
    tiny_data,  # noqa: F811
    tmp_path,
    capsys,
):
    out = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main([*DIGITS, "--epochs", "1", "--out", str(out)]) == EXIT_BAD_INPUT
        line = one_line_error(capsys)
        assert str(out) in line and f"process {holder.pid}" in line
    finally:
        os.kill(holder.pid, signal.SIGKILL)  # dies holding the lock
        holder.wait()
    assert main([*DIGITS, "--epochs", "1", "--out", str(out)]) == 0


def test_the_lock_refuses_a_second_holder_in_one_process(tmp_path):
    with run_folder_lock(tmp_path), pytest.raises(RunFolderBusy, match="is in use by process"):
        with run_folder_lock(tmp_path):
            pass


def test_a_sweep_started_twice_on_one_folder_stops_at_once(tmp_path):
    jobs = demo_grid(lams=(0.0,), seeds=(0,), epochs=1)
    with run_folder_lock(tmp_path), pytest.raises(RunFolderBusy, match=str(tmp_path)):
        run_jobs(jobs, tmp_path, progress=False)
    assert not (tmp_path / jobs[0].key).exists()


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_full_disk_or_read_only_folder_stops_with_the_last_checkpoint_intact(
    tiny_data,  # noqa: F811
    tmp_path,
    capsys,
    monkeypatch,
    code,
):
    """The write error is simulated (as root, permission bits do not stop writes): the
    second epoch's checkpoint cannot be written."""
    out = tmp_path / "run"
    real_save = checkpoint.torch.save
    calls = []

    def failing_save(state, handle):
        calls.append(time.time())
        if len(calls) > 1:
            raise OSError(code, os.strerror(code), str(out / "checkpoint.pt"))
        real_save(state, handle)

    monkeypatch.setattr(checkpoint.torch, "save", failing_save)
    assert main([*DIGITS, "--epochs", "2", "--out", str(out)]) == EXIT_CANNOT_WRITE
    line = one_line_error(capsys)
    assert str(out / "checkpoint.pt") in line and os.strerror(code) in line
    monkeypatch.setattr(checkpoint.torch, "save", real_save)
    assert checkpoint.load_checkpoint(out / "checkpoint.pt")["epoch"] == 1
    assert not [p for p in out.iterdir() if p.name.startswith(".checkpoint.pt")]


@pytest.mark.parametrize(
    ("name", "damage"),
    [("run.json", b'{"status": "fini'), ("metrics.csv", b"epoch,mi\n1,\x00\xff\n")],
)
def test_a_damaged_run_record_is_named_in_one_line(two_epoch_run, capsys, name, damage):
    out, _ = two_epoch_run
    (out / name).write_bytes(damage)
    assert main(["select", str(out)]) == EXIT_DAMAGED
    line = one_line_error(capsys)
    assert str(out / name) in line and "run it again" in line


def test_data_that_cannot_be_fetched_or_rebuilt_stops_in_one_line(monkeypatch, tmp_path, capsys):
    def unavailable(*args, **kwargs):
        raise FetchError("MNIST is unavailable.\nthe cache: missing\nthe mirrors: no network")

    monkeypatch.setattr("mibias.experiments.digits.make_colored_mnist", unavailable)
    assert main([*DIGITS, "--epochs", "1", "--out", str(tmp_path / "run")]) == EXIT_DAMAGED
    line = one_line_error(capsys)
    assert "MNIST is unavailable" in line and "no network" in line
