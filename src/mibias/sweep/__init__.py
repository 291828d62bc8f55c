"""Run grids of independent training runs; finished runs are skipped on re-run."""

from mibias.sweep.runner import Job, JobResult, collect, run_jobs

__all__ = ["Job", "JobResult", "collect", "run_jobs"]
