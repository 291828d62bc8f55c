"""The sweep runner: independent runs in local processes, or as tasks on a Ray cluster."""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from mibias.run_folder import (
    JOB_RECORD,
    RECIPE,
    SUMMARY,
    NoRunFinished,
    RunFolderTaken,
    describe_changes,
    read_json,
    run_folder_lock,
    settings_conflict,
    write_json_atomic,
)
from mibias.sweep.workers import WORKER_STATE, picklable, start_worker, stop_workers


@dataclass(frozen=True)
class Job:
    """One run of a sweep.

    Attributes
    ----------
    key : str
        Folder name of the run under the sweep's output folder.
    function : callable
        A module-level function ``function(out_dir, **settings)`` (it must pickle).
    settings : dict
        Its keyword arguments.
    """

    key: str
    function: Callable[..., Any]
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RayBackend:
    """Run each job as a Ray task (the ``[ray]`` extra).

    Attributes
    ----------
    address : str or None
        An existing cluster (``"auto"``, ``"ray://host:10001"``, ...); ``None`` connects to
        the one ``RAY_ADDRESS`` names, or else starts a local Ray instance for the sweep.
    cpus_per_run : float
        CPUs Ray reserves for each run (also its torch thread count, rounded down, at least 1).
    gpus_per_run : float
        GPUs per run; fractions share a GPU between runs.

    The output folder must be visible to every node (a shared file system) on a multi-node
    cluster.
    """

    address: str | None = None
    cpus_per_run: float = 1.0
    gpus_per_run: float = 0.0

    def __post_init__(self) -> None:
        if self.cpus_per_run <= 0 or self.gpus_per_run < 0:
            raise ValueError(
                f"a run needs more than 0 CPUs and at least 0 GPUs; got {self.cpus_per_run} "
                f"CPUs and {self.gpus_per_run} GPUs"
            )


@dataclass
class JobResult:
    """What became of a job: ``finished`` (now or earlier), or ``failed`` with the error."""

    key: str
    out_dir: Path
    status: str
    error: str | None = None


def check_reuse(jobs: Sequence[Job], out: Path) -> None:
    """Refuse to reuse or resume run folders made with other settings, naming each difference.

    A finished run is reused and an interrupted one resumed by folder name; without this check
    a sweep with, say, more epochs would silently report the old runs.
    """
    conflicts = []
    for job in jobs:
        differences = settings_conflict(out / job.key, job.settings)
        if differences:
            conflicts.append(f"{job.key} ({describe_changes(differences)})")
    if conflicts:
        shown = "; ".join(conflicts[:3]) + (
            f"; and {len(conflicts) - 3} more" if len(conflicts) > 3 else ""
        )
        raise RunFolderTaken(
            f"{out} holds runs made with other settings: {shown}. Use another output folder, "
            "or move those run folders away to run them again"
        )


def is_finished(out_dir: Path) -> bool:
    """A run folder whose run.json says the run finished."""
    summary = out_dir / SUMMARY
    if not summary.exists():
        return False
    try:
        return json.loads(summary.read_text()).get("status") == "finished"
    except (OSError, ValueError):
        return False


def run_jobs(
    jobs: Sequence[Job],
    out: str | Path,
    *,
    workers: int = 1,
    progress: bool = True,
    ray: RayBackend | None = None,
) -> list[JobResult]:
    """Run every unfinished job, ``workers`` at a time, each in its own process, or on Ray.

    A job whose folder already holds a finished run is skipped, and an interrupted one is
    resumed by the job, after :func:`check_reuse` has confirmed the folder was made with the
    same settings; one that fails is reported (its traceback saved to ``error.txt`` in its
    folder) and does not stop the others. Each local worker gets an even share of the CPUs
    (:func:`worker_threads`). With ``ray``, the jobs are Ray tasks with the backend's
    resources and ``workers`` is ignored; the folder layout is the same either way. A second
    sweep on the same folder stops at once (:class:`mibias.run_folder.RunFolderBusy`).
    """
    out = Path(out).resolve()
    keys = [job.key for job in jobs]
    if len(set(keys)) != len(keys):
        raise ValueError("sweep job keys must be unique")
    with run_folder_lock(out):
        results = _run_unfinished(jobs, out, workers, progress, ray)
    for result in results:
        if result.status == "failed":
            print(f"sweep: run {result.key} failed: {result.error}")
    return results


def collect(results: Sequence[JobResult]) -> pd.DataFrame:
    """One row per finished run: its ``recipe.json`` settings and ``run.json`` final metrics."""
    rows = []
    for result in results:
        if result.status != "finished":
            continue
        summary = read_json(result.out_dir / SUMMARY)
        recipe = read_json(result.out_dir / RECIPE)
        rows.append({**recipe, **summary["final"], "run": result.key})
    return pd.DataFrame(rows)


def runs_note(results: Sequence[JobResult], frame: pd.DataFrame) -> str:
    """What a results table's note says of its runs: how many finished (``frame``, from
    :func:`collect`), which failed, and which had their estimator re-fitted (and how often)."""
    failed = [r.key for r in results if r.status != "finished"]
    refits = frame.get("estimator_refits", pd.Series(0.0, index=frame.index)).fillna(0.0)
    refitted = [f"{key} ({int(n)})" for key, n in zip(frame["run"], refits, strict=True) if n > 0]
    return (
        f"{len(frame)} runs."
        + (f" Failed runs: {', '.join(failed)}." if failed else "")
        + (
            " Runs whose estimator lost track of the encoder and was re-fitted (times): "
            f"{', '.join(refitted)}."
            if refitted
            else ""
        )
    )


def available_cpus() -> int:
    """The CPUs of this process's affinity mask (what ``taskset`` or a cluster scheduler
    allotted), else every core."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_threads(workers: int) -> int:
    """Threads (torch's, numpy's BLAS and scikit-learn's OpenMP) for each of ``workers``
    local processes: an even share of the threads this process may run, ``OMP_NUM_THREADS``
    where it is set to a positive number, else :func:`available_cpus`. At least one."""
    setting = os.environ.get("OMP_NUM_THREADS", "").strip()
    budget = int(setting) if setting.isdigit() and int(setting) > 0 else available_cpus()
    return max(1, budget // max(workers, 1))


def _run_unfinished(
    jobs: Sequence[Job], out: Path, workers: int, progress: bool, ray: RayBackend | None
) -> list[JobResult]:
    """The body of :func:`run_jobs`, run while it holds the sweep folder."""
    check_reuse(jobs, out)
    results = [JobResult(job.key, out / job.key, "finished") for job in jobs]
    pending = [(i, job) for i, job in enumerate(jobs) if not is_finished(out / job.key)]
    if not pending:
        return results
    threads = worker_threads(workers)
    shown = SweepProgress(len(pending), progress)
    if ray is not None:
        for i, result in _run_on_ray(pending, out, ray):
            results[i] = result
            shown.ended(result)
    elif workers <= 1:
        for i, job in pending:
            results[i] = _run_one(job, out / job.key, threads)
            shown.ended(results[i])
    else:
        running, cpus = min(workers, len(pending)), available_cpus()
        if running > cpus:
            print(
                f"sweep: {running} runs at a time on {cpus} CPU{'s' * (cpus > 1)} share the "
                "cores: each runs slower and the grid ends no sooner than with one run per CPU",
                file=sys.stderr,
            )
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=start_worker,
            initargs=(os.getpid(), picklable(warnings.showwarning)),
        ) as pool:
            try:
                futures = {
                    pool.submit(_run_one, job, out / job.key, threads): i for i, job in pending
                }
                waiting = set(futures)
                while waiting:
                    # a second at most, so that Ctrl-C is acted on even when the signal
                    # reached another thread of this process, which leaves a wait without
                    # a timeout blocked until a run ends
                    done, waiting = wait(waiting, timeout=1.0, return_when=FIRST_COMPLETED)
                    for future in done:
                        results[futures[future]] = future.result()
                        shown.ended(results[futures[future]])
            except BaseException:  # interrupted: leaving the pool would wait for every run
                stop_workers(pool)
                raise
    shown.close()
    return results


class SweepProgress:
    """The runs of a sweep as they end: a live bar on a terminal; elsewhere (a log file, a
    pipe) one plain line a run, ``sweep: KEY finished (3 of 10, 2 min 05 s in)``.

    Parameters
    ----------
    total : int
        Runs to end.
    show : bool
        False: neither.
    """

    def __init__(self, total: int, show: bool) -> None:
        self.total, self.count, self.started = total, 0, time.monotonic()
        self.lines = show and not sys.stderr.isatty()
        self.bar = tqdm(
            total=total, desc="sweep", disable=None if show and not self.lines else True
        )

    def ended(self, result: JobResult) -> None:
        """Count ``result``'s run as ended."""
        self.count += 1
        self.bar.update(1)
        if self.lines:
            minutes, seconds = divmod(int(time.monotonic() - self.started), 60)
            print(
                f"sweep: {result.key} {result.status} ({self.count} of {self.total}, "
                f"{minutes} min {seconds:02d} s in)",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        """Close the bar."""
        self.bar.close()


def run_grid(
    jobs: Sequence[Job],
    out: str | Path,
    *,
    workers: int = 1,
    ray: RayBackend | None = None,
) -> tuple[list[JobResult], pd.DataFrame]:
    """:func:`run_jobs`, then :func:`collect` the finished runs.

    Raises
    ------
    NoRunFinished
        When none finished, with the first failure's error.
    """
    results = refuse_no_run_finished(run_jobs(jobs, out, workers=workers, ray=ray), out)
    return results, collect(results)


def refuse_no_run_finished(results: list[JobResult], out: str | Path) -> list[JobResult]:
    """``results``, when at least one run finished.

    Raises
    ------
    NoRunFinished
        When none did, with the first failure's error.
    """
    if any(result.status == "finished" for result in results):
        return results
    first = f"; the first, {results[0].key}: {results[0].error}" if results else ""
    raise NoRunFinished(
        f"no run finished ({len(results)} failed{first}); each run's traceback is in its "
        f"error.txt under {out}"
    )


def _run_on_ray(
    pending: Sequence[tuple[int, Job]], out: Path, backend: RayBackend
) -> Iterator[tuple[int, JobResult]]:
    """Submit every job as a Ray task; yield (index, result) as they finish."""
    try:
        import ray
    except ImportError as error:
        raise RuntimeError(
            "the Ray backend needs Ray: install the extra with pip install 'mibias[ray]'"
        ) from error
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=backend.address, include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(_run_one).options(
            num_cpus=backend.cpus_per_run, num_gpus=backend.gpus_per_run, max_retries=0
        )
        threads = max(1, int(backend.cpus_per_run))
        index = {task.remote(job, out / job.key, threads): (i, job) for i, job in pending}
        waiting = list(index)
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            i, job = index[done[0]]
            try:
                result = ray.get(done[0])
            except ray.exceptions.RayError as error:  # the task's worker died
                result = JobResult(job.key, out / job.key, "failed", f"{type(error).__name__}")
            yield i, result
    finally:
        if started_here:
            ray.shutdown()


def _run_one(job: Job, out_dir: Path, threads: int) -> JobResult:
    if WORKER_STATE["interrupted"]:  # queued to a worker of an interrupted sweep
        return JobResult(job.key, out_dir, "failed", "the sweep was interrupted")
    WORKER_STATE["running"] = True
    try:
        return _run_job(job, out_dir, threads)
    finally:
        WORKER_STATE["running"] = False


def _run_job(job: Job, out_dir: Path, threads: int) -> JobResult:
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(dict(job.settings), out_dir / JOB_RECORD)
    try:
        # numpy's BLAS and scikit-learn's OpenMP too: the final checks' probes of two runs
        # side by side on 2 cores, each at the BLAS's default 2 threads, took 8-19 times as long
        # as at one thread each (docs/leakage.md)
        with threadpool_limits(limits=threads):
            job.function(out_dir, **job.settings)
    except Exception as error:  # a failed run is reported, the sweep goes on
        (out_dir / "error.txt").write_text(traceback.format_exc())
        return JobResult(job.key, out_dir, "failed", f"{type(error).__name__}: {error}")
    return JobResult(job.key, out_dir, "finished" if is_finished(out_dir) else "failed")
