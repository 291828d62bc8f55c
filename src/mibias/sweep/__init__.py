"""Run grids of independent training runs; finished runs are skipped on re-run."""

from mibias.sweep.runner import (
    Job,
    JobResult,
    RayBackend,
    collect,
    run_grid,
    run_jobs,
    runs_note,
)

__all__ = ["Job", "JobResult", "RayBackend", "collect", "run_grid", "run_jobs", "runs_note"]
