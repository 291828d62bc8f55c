"""Run grids of independent training runs; finished runs are skipped on re-run."""

from mibias.sweep.runner import Job, JobResult, run_jobs

__all__ = ["Job", "JobResult", "run_jobs"]
