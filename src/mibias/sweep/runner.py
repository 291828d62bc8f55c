"""The sweep runner: independent runs in local processes, or as tasks on a Ray cluster."""

from __future__ import annotations

import json
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm


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


def check_settings(recipe: type, settings: Mapping[str, Any], what: str) -> None:
    """Refuse ``settings`` that are not fields of the dataclass ``recipe``, naming them."""
    unknown = set(settings) - {f.name for f in fields(recipe)}
    if unknown:
        raise ValueError(f"unknown {what} settings: {', '.join(sorted(unknown))}")


def is_finished(out_dir: Path) -> bool:
    """A run folder whose run.json says the run finished."""
    summary = out_dir / "run.json"
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

    A job whose folder already holds a finished run is skipped; one that fails is reported
    (its traceback saved to ``error.txt`` in its folder) and does not stop the others. Each
    local worker gets ``cpu_count // workers`` torch threads. With ``ray``, the jobs are Ray
    tasks with the backend's resources and ``workers`` is ignored; the folder layout is the
    same either way.
    """
    out = Path(out).resolve()
    keys = [job.key for job in jobs]
    if len(set(keys)) != len(keys):
        raise ValueError("sweep job keys must be unique")
    results = [JobResult(job.key, out / job.key, "finished") for job in jobs]
    pending = [(i, job) for i, job in enumerate(jobs) if not is_finished(out / job.key)]
    if not pending:
        return results
    threads = max(1, (os.cpu_count() or 1) // max(workers, 1))
    bar = tqdm(total=len(pending), desc="sweep", disable=None if progress else True)
    if ray is not None:
        for i, result in _run_on_ray(pending, out, ray, bar):
            results[i] = result
    elif workers <= 1:
        for i, job in pending:
            results[i] = _run_one(job, out / job.key, threads)
            bar.update(1)
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {pool.submit(_run_one, job, out / job.key, threads): i for i, job in pending}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update(1)
    bar.close()
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
        summary = json.loads((result.out_dir / "run.json").read_text())
        recipe = json.loads((result.out_dir / "recipe.json").read_text())
        rows.append({**recipe, **summary["final"], "run": result.key})
    return pd.DataFrame(rows)


def run_grid(
    jobs: Sequence[Job],
    out: str | Path,
    *,
    workers: int = 1,
    ray: RayBackend | None = None,
) -> tuple[list[JobResult], pd.DataFrame]:
    """:func:`run_jobs`, then :func:`collect` the finished runs; raises ``RuntimeError`` when
    none finished."""
    results = run_jobs(jobs, out, workers=workers, ray=ray)
    frame = collect(results)
    if frame.empty:
        raise RuntimeError(f"no run finished; see error.txt in the run folders under {out}")
    return results, frame


def _run_on_ray(
    pending: Sequence[tuple[int, Job]], out: Path, backend: RayBackend, bar: tqdm
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
            bar.update(1)
            yield i, result
    finally:
        if started_here:
            ray.shutdown()


def _run_one(job: Job, out_dir: Path, threads: int) -> JobResult:
    import torch

    torch.set_num_threads(threads)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        job.function(out_dir, **job.settings)
    except Exception as error:  # a failed run is reported, the sweep goes on
        (out_dir / "error.txt").write_text(traceback.format_exc())
        return JobResult(job.key, out_dir, "failed", f"{type(error).__name__}: {error}")
    return JobResult(job.key, out_dir, "finished" if is_finished(out_dir) else "failed")
