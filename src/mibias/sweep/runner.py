"""The local sweep runner: independent runs in parallel processes."""

from __future__ import annotations

import json
import multiprocessing
import os
import traceback
from collections.abc import Callable, Mapping, Sequence
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
    jobs: Sequence[Job], out: str | Path, *, workers: int = 1, progress: bool = True
) -> list[JobResult]:
    """Run every unfinished job, ``workers`` at a time, each in its own process.

    A job whose folder already holds a finished run is skipped; one that fails is reported
    (its traceback saved to ``error.txt`` in its folder) and does not stop the others. Each
    worker gets ``cpu_count // workers`` torch threads.
    """
    out = Path(out)
    keys = [job.key for job in jobs]
    if len(set(keys)) != len(keys):
        raise ValueError("sweep job keys must be unique")
    results = [JobResult(job.key, out / job.key, "finished") for job in jobs]
    pending = [(i, job) for i, job in enumerate(jobs) if not is_finished(out / job.key)]
    if not pending:
        return results
    threads = max(1, (os.cpu_count() or 1) // max(workers, 1))
    bar = tqdm(total=len(pending), desc="sweep", disable=None if progress else True)
    if workers <= 1:
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
