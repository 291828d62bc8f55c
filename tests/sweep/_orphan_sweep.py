"""A sweep of two jobs that sleep, run by tests/sweep/test_runner.py in a process it kills."""

import os
import sys
import time
from pathlib import Path

from mibias.sweep import Job, run_jobs


def sleep_long(out_dir: Path) -> None:
    (out_dir.parent / f"pid-{os.getpid()}").write_text("")
    time.sleep(120)


if __name__ == "__main__":
    jobs = [Job(f"j{i}", sleep_long, {}) for i in range(2)]
    run_jobs(jobs, Path(sys.argv[1]), workers=2, progress=False)
