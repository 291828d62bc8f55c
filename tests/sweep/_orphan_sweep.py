"""A sweep of jobs that sleep, two at a time, run by tests/sweep/test_runner.py in a process it
kills or interrupts. Arguments: the sweep folder, the number of jobs, and optionally
``interrupt-from-a-thread``: once both workers run, a thread of this process other than its
main one sends itself SIGINT, as the kernel may deliver Ctrl-C to any thread."""

import os
import signal
import sys
import threading
import time
from pathlib import Path

from mibias.sweep import Job, run_jobs


def sleep_long(out_dir: Path) -> None:
    (out_dir.parent / f"pid-{os.getpid()}").write_text("")
    time.sleep(120)


def interrupt_from_a_thread(folder: Path) -> None:
    while len(list(folder.glob("pid-*"))) < 2:
        time.sleep(0.1)
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    if sys.argv[3:] == ["interrupt-from-a-thread"]:
        threading.Thread(target=interrupt_from_a_thread, args=(folder,), daemon=True).start()
    jobs = [Job(f"j{i}", sleep_long, {}) for i in range(int(sys.argv[2]))]
    run_jobs(jobs, folder, workers=2, progress=False)
