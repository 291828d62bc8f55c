"""A sweep of jobs that sleep, two at a time, run by tests/sweep/test_workers.py in a process it
kills or interrupts. Arguments: the sweep folder, the number of jobs, and optionally
``interrupt-from-a-thread`` (once both workers run, a thread of this process other than its
main one sends itself SIGINT, as the kernel may deliver Ctrl-C to any thread) or
``ignore-sigint`` (as under nohup).

SIGINT is otherwise handled as in a command run in the foreground of a terminal, whatever the
test process had: started in the background by a shell without job control (as a CI runner
may start the suite), every process of the suite inherits SIGINT ignored."""

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
    ignored = sys.argv[3:] == ["ignore-sigint"]
    signal.signal(signal.SIGINT, signal.SIG_IGN if ignored else signal.default_int_handler)
    if sys.argv[3:] == ["interrupt-from-a-thread"]:
        threading.Thread(target=interrupt_from_a_thread, args=(folder,), daemon=True).start()
    jobs = [Job(f"j{i}", sleep_long, {}) for i in range(int(sys.argv[2]))]
    run_jobs(jobs, folder, workers=2, progress=False)
