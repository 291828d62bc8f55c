"""The life of a sweep's local pool workers: each ends when the sweep process is gone, its first
SIGINT stops the run under way (which resumes from its last checkpoint when the sweep starts
again) and the runs queued after it, and the sweep stops them all when it is interrupted."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

# exit status of a worker whose sweep process was killed
EXIT_ORPHANED = 70


def stop_workers(pool: ProcessPoolExecutor, grace: float = 10.0) -> None:
    """Cancel ``pool``'s runs that have not started and interrupt its workers' runs under way,
    which resume from their last checkpoints when the sweep is started again.

    Each worker gets SIGINT (Ctrl-C reaches the whole process group, and a worker ignores any
    after its first: :func:`start_worker`), ends its run, skips the runs already queued to it
    and leaves; one still there after ``grace`` seconds is terminated. Without this an
    interrupted sweep went on training until every queued run had finished."""
    pool.shutdown(wait=False, cancel_futures=True)
    workers = multiprocessing.active_children()
    for worker in workers:
        with contextlib.suppress(ProcessLookupError):  # one that has just left
            os.kill(worker.pid, signal.SIGINT)
    deadline = time.monotonic() + grace
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    for worker in workers:
        if worker.is_alive():
            worker.terminate()
            worker.join()


# a pool worker's state: whether SIGINT came, and whether a run is under way (start_worker)
WORKER_STATE = {"interrupted": False, "running": False}


def picklable(function: Callable[..., Any]) -> Callable[..., Any] | None:
    """``function`` if it can be sent to another process, else None."""
    try:
        pickle.dumps(function)
    except (pickle.PicklingError, AttributeError, TypeError):
        return None
    return function


def start_worker(parent: int, show_warning: Callable[..., None] | None = None) -> None:
    """Set up a local pool worker of the sweep process ``parent``: it ends when that process
    is gone (:func:`exit_with_parent`), and its first SIGINT stops the run under way (a
    KeyboardInterrupt, as in a run of its own) and every later run before it starts. A worker
    of a sweep that ignores SIGINT (started under nohup) ignores it too. ``show_warning`` is
    the sweep process's ``warnings.showwarning`` (a spawned process starts with Python's: a
    file name, a line number and a line of code, where ``mibias`` shows one line)."""
    if show_warning is not None:
        warnings.showwarning = show_warning

    def interrupt(signum: int, frame: object) -> None:
        first = not WORKER_STATE["interrupted"]
        WORKER_STATE["interrupted"] = True
        if first and WORKER_STATE["running"]:
            raise KeyboardInterrupt

    exit_with_parent(parent)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # inherited from the sweep
        signal.signal(signal.SIGINT, interrupt)


def exit_with_parent(parent: int, every: float = 1.0) -> None:
    """Make this worker process end when the sweep process ``parent`` is gone (killed, not
    interrupted): a daemon thread checks every ``every`` seconds. Its run resumes from the last
    checkpoint when the sweep is started again."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(EXIT_ORPHANED)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
