"""Run grids of independent training runs; finished runs are skipped on re-run."""

from mibias.sweep.runner import Job, JobResult, check_settings, collect, run_jobs

__all__ = ["Job", "JobResult", "check_settings", "collect", "run_jobs"]
