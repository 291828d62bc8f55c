"""A sweep of jobs that sleep, two at a time, run by tests/sweep/test_runner.py in a process it
kills or interrupts; the first argument is the sweep folder, the second the number of jobs."""

import os
import sys
import time
from pathlib import Path

from mibias.sweep import Job, run_jobs


def sleep_long(out_dir: Path) -> None:
    (out_dir.parent / f"pid-{os.getpid()}").write_text("")
    time.sleep(120)


if __name__ == "__main__":
    jobs = [Job(f"j{i}", sleep_long, {}) for i in range(int(sys.argv[2]))]
    run_jobs(jobs, Path(sys.argv[1]), workers=2, progress=False)
