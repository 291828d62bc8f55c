"""The run folder: the files a run leaves behind and how they are read and written.

A run folder holds ``metrics.csv`` (one row an epoch), ``run.json`` (status, settings,
versions, every epoch's metrics and the final ones), ``recipe.json`` (the recipe's settings,
as the run used them), ``checkpoint.pt`` (with ``checkpoint.previous.pt`` and their
``.sha256``) and, for a run a sweep started, ``sweep_job.json`` (the job's settings). Every
JSON file is written through a temporary file and an atomic rename. ``.lock`` keeps a second
process out of a folder in use (:func:`run_folder_lock`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mibias.io import DamagedFileError, InputError, atomic_path, held_lock

METRICS = "metrics.csv"
SUMMARY = "run.json"
RECIPE = "recipe.json"
CHECKPOINT = "checkpoint.pt"
JOB_RECORD = "sweep_job.json"
LOCK_NAME = ".lock"
# settings that change where or how fast a run computes, not what it computes: a run folder
# made with other values of these is still the same run (to resume, or to reuse in a sweep)
RUNTIME_SETTINGS = frozenset(
    {"device", "progress", "tensorboard", "compile_estimator", "channels_last", "loader_workers"}
)


def write_json_atomic(data: dict[str, Any], path: Path) -> None:
    """Write ``data`` as indented JSON through a temporary file and an atomic rename."""
    with atomic_path(path) as tmp, tmp.open("w") as handle:
        json.dump(data, handle, indent=2, default=str)
        handle.write("\n")


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object a run wrote (``run.json``, ``recipe.json``, a sweep's job record).

    Raises
    ------
    DamagedFileError
        When the file is not a readable JSON object; the message names it.
    """
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DamagedFileError(
            f"{path} is damaged ({error}): delete its run folder and run it again"
        ) from error
    if not isinstance(data, dict):
        raise DamagedFileError(f"{path} is damaged (not a JSON object)")
    return data


def read_metrics(run_dir: Path) -> list[dict[str, float]]:
    """The per-epoch rows of a run's ``metrics.csv`` as floats; cells left empty (a metric
    some epochs lack) are omitted from their row.

    Raises
    ------
    DamagedFileError
        When a cell is not a number or the file is not text; the message names the file.
    """
    path = run_dir / METRICS
    try:
        with path.open(newline="") as handle:
            return [
                {k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(handle)
            ]
    except (UnicodeDecodeError, ValueError, TypeError, csv.Error) as error:
        raise DamagedFileError(
            f"{path} is damaged ({error}): delete its run folder and run it again"
        ) from error


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` holds a run's ``run.json``."""
    return (path / SUMMARY).exists()


class RunFolderBusy(InputError):
    """Another live process holds the run folder."""


@contextmanager
def run_folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold ``folder`` for this process while the block runs: :func:`mibias.io.held_lock` on
    ``folder/.lock``, which records the holder's process id and host; a lock left by a killed
    process is simply taken over.

    Raises
    ------
    RunFolderBusy
        When another live process holds the folder; the message names the folder and it.
    """
    folder = Path(folder)

    def busy(holder: str) -> None:
        raise RunFolderBusy(
            f"{folder} is in use by {holder}: wait for it to finish or choose another --out"
        )

    with held_lock(folder / LOCK_NAME, busy):
        yield
