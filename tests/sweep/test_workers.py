"""The sweep's local pool workers: they show warnings as the sweep process does, end when it is
killed, stop when it is interrupted, and go on when it ignores SIGINT."""

import functools
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from mibias.sweep import Job, run_jobs
from tests.sweep.test_runner import write_finished


def warn_and_finish(out_dir):
    warnings.warn("the estimator lost track", RuntimeWarning, stacklevel=1)
    write_finished(out_dir, 0)


def one_line(tag, message, category, filename, lineno, file=None, line=None):
    print(f"{tag}: {category.__name__}: {message}", file=sys.stderr, flush=True)


def test_pool_workers_show_warnings_as_the_sweeps_process_does(tmp_path, monkeypatch, capfd):
    monkeypatch.setattr(warnings, "showwarning", functools.partial(one_line, "mibias table1"))
    run_jobs([Job(f"j{i}", warn_and_finish) for i in range(2)], tmp_path, workers=2)
    err = capfd.readouterr().err
    assert err.count("mibias table1: RuntimeWarning: the estimator lost track\n") == 2
    assert "warnings.warn(" not in err  # not Python's format, which shows the line of code


def start_sleeping_sweep(folder, jobs, *options):
    """A sweep of ``jobs`` sleeping jobs, two at a time, in a process of its own session
    (``options``: tests/sweep/_orphan_sweep.py's); returns it and its two workers' process ids
    once both have started."""
    sweep = subprocess.Popen(
        [sys.executable, "-m", "tests.sweep._orphan_sweep", str(folder), str(jobs), *options],
        cwd=Path(__file__).resolve().parents[2],
        start_new_session=True,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(list(folder.glob("pid-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = [int(path.name.removeprefix("pid-")) for path in folder.glob("pid-*")]
    assert len(workers) == 2, "the workers did not start"
    return sweep, workers


def assert_ended(workers, within):
    deadline = time.monotonic() + within
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [pid for pid in workers if _running(pid)]
    assert not alive, f"workers {alive} outlived their sweep"


def test_workers_end_when_the_sweep_process_is_killed(tmp_path):
    sweep, workers = start_sleeping_sweep(tmp_path, 2)
    sweep.send_signal(signal.SIGKILL)
    sweep.wait()
    assert_ended(workers, within=20)


@pytest.mark.parametrize(
    "whom", ["the process group (Ctrl-C)", "the sweep process alone", "a thread not the main one"]
)
def test_an_interrupted_sweep_ends_its_runs_and_starts_no_other(tmp_path, whom):
    """Before, the sweep went on until every queued run had finished (the jobs sleep 120 s);
    and a signal that reached another thread than the main one went unheeded until a run
    ended, the main thread blocked in a wait without a timeout."""
    options = ["interrupt-from-a-thread"] if whom.startswith("a thread") else []
    sweep, workers = start_sleeping_sweep(tmp_path, 4, *options)
    if whom.startswith("the process group"):
        os.killpg(sweep.pid, signal.SIGINT)
    elif whom.startswith("the sweep process"):
        sweep.send_signal(signal.SIGINT)
    assert sweep.wait(timeout=30) != 0
    assert_ended(workers, within=5)
    assert len(list(tmp_path.glob("pid-*"))) == 2  # the queued jobs never started


def test_a_sweep_that_ignores_sigint_goes_on_as_do_its_workers(tmp_path):
    sweep, workers = start_sleeping_sweep(tmp_path, 4, "ignore-sigint")
    try:
        os.killpg(sweep.pid, signal.SIGINT)
        time.sleep(3)
        assert sweep.poll() is None and all(_running(pid) for pid in workers)
    finally:
        os.killpg(sweep.pid, signal.SIGKILL)
        sweep.wait()


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a worker that exited but was not reaped yet (its parent is gone) is a zombie
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
