"""One process at a time per run folder."""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mibias.io import InputError

LOCK_NAME = ".lock"


class RunFolderBusy(InputError):
    """Another live process holds the run folder."""


@contextmanager
def run_folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold ``folder`` for this process while the block runs.

    The lock is an ``flock`` on ``folder/.lock``, which also records the holder's process id
    and host. The operating system releases it when the holder exits, however it exits, so a
    lock left by a killed process is simply taken over. (``flock`` is advisory and local: two
    machines sharing a network folder are not kept apart.)

    Raises
    ------
    RunFolderBusy
        When another live process holds the folder; the message names the folder and it.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK_NAME).open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunFolderBusy(
                f"{folder} is in use by {holder}: wait for it to finish or choose another --out"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
