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
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mibias.io import DamagedFileError, InputError, held_lock, write_text_atomic

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
# settings that may differ between an interrupted run and its resumption: those above, and the
# epoch count (a run may be extended)
RESUMABLE_CHANGES = RUNTIME_SETTINGS | {"epochs"}


def write_json_atomic(data: dict[str, Any], path: Path) -> None:
    """Write ``data`` as indented JSON through a temporary file and an atomic rename."""
    write_text_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


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


def read_metrics(run_dir: Path, needs: str | None = None) -> list[dict[str, float]]:
    """The per-epoch rows of a run's ``metrics.csv`` as floats; cells left empty (a metric
    some epochs lack) are omitted from their row. ``needs``: a metric that a finished run
    logs, which at least one row must hold.

    Raises
    ------
    DamagedFileError
        When a cell is not a number, the file is not text, or no row holds ``needs``; the
        message names the file.
    """
    path = run_dir / METRICS
    try:
        with path.open(newline="") as handle:
            rows = [
                {k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(handle)
            ]
    except (UnicodeDecodeError, ValueError, TypeError, csv.Error) as error:
        raise DamagedFileError(
            f"{path} is damaged ({error}): delete its run folder and run it again"
        ) from error
    if needs is not None and not any(needs in row for row in rows):
        raise DamagedFileError(
            f"{path} logs no epoch's {needs.replace('_', ' ')}, though the run finished: it is "
            "damaged; delete its run folder and run it again"
        )
    return rows


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` holds a run's ``run.json``."""
    return (path / SUMMARY).exists()


def settings_conflict(
    out_dir: Path,
    settings: Mapping[str, Any],
    *,
    records: Collection[str] = (JOB_RECORD, RECIPE),
    allowed: Collection[str] = RUNTIME_SETTINGS,
) -> dict[str, tuple[Any, Any]]:
    """The settings a run folder was made with that differ from ``settings``.

    Reads the first of ``records`` the folder holds (a sweep's job record, written when the
    sweep starts a run, or else the run's ``recipe.json``); only settings both name are
    compared, and ``allowed`` not at all. Returns ``{name: (recorded, requested)}``, empty for
    a new or a matching folder.

    Raises
    ------
    InputError
        When the record cannot be read; the message names it.
    """
    for name in records:
        path = out_dir / name
        if path.exists():
            try:
                recorded = json.loads(path.read_text())
            except (OSError, ValueError) as error:
                raise InputError(f"{path}: cannot be read ({error})") from error
            requested = json.loads(json.dumps(dict(settings), default=str))  # as JSON reads back
            return {
                key: (recorded[key], value)
                for key, value in requested.items()
                if key in recorded and recorded[key] != value and key not in allowed
            }
    return {}


def describe_changes(differences: Mapping[str, tuple[Any, Any]]) -> str:
    """``{name: (recorded, requested)}`` as ``"name recorded -> requested, ..."``."""
    return ", ".join(f"{key} {old!r} -> {new!r}" for key, (old, new) in sorted(differences.items()))


def previous_path(path: Path) -> Path:
    """Where the previous good checkpoint of ``path`` is kept."""
    return path.with_name(f"{path.stem}.previous{path.suffix}")


def holds_checkpoint(path: Path) -> bool:
    """Whether the checkpoint ``path``, or the previous good one kept beside it, exists."""
    return path.exists() or previous_path(path).exists()


class RunFolderTaken(InputError):
    """The output folder holds another run, or the same run under other settings."""


def claim_run_folder(out_dir: str | Path, record: Mapping[str, Any], *, resume: bool) -> None:
    """Check that ``out_dir`` may take the run ``record`` describes, then write the record as
    its ``recipe.json``.

    A folder that holds a run (its ``run.json`` or checkpoint) takes that run resumed and
    nothing else: starting afresh there would overwrite its checkpoint, and resuming it under
    other settings would continue its network on another recipe while ``recipe.json`` named
    the new one. A resumed run may change :data:`RESUMABLE_CHANGES` (a larger epoch count
    extends it; a smaller one than it has done is refused, as its results would pass for the
    shorter run's).

    Raises
    ------
    RunFolderTaken
        When ``resume`` is false and the folder holds a run, or when it is true and the
        folder's ``recipe.json`` names other settings or its run has done more epochs than
        ``record`` asks for; the message says which and what to do.
    """
    out = Path(out_dir)
    if not resume and (is_run_folder(out) or holds_checkpoint(out / CHECKPOINT)):
        raise RunFolderTaken(
            f"{out} already holds a run{run_progress(out)}: --resume continues it (a larger "
            "--epochs extends it); to train from the start, choose another --out or delete "
            "the folder"
        )
    if resume:
        differences = settings_conflict(out, record, records=(RECIPE,), allowed=RESUMABLE_CHANGES)
        if differences:
            raise RunFolderTaken(
                f"cannot resume {out}: its run was made with other settings "
                f"({describe_changes(differences)}); give the run's own settings, or choose "
                "another --out"
            )
        done = len(read_json(out / SUMMARY).get("epochs", [])) if is_run_folder(out) else 0
        if done > record.get("epochs", done):
            raise RunFolderTaken(
                f"cannot resume {out}: its run has {done} epochs done, more than --epochs "
                f"{record['epochs']}; give --epochs {done} or more, or choose another --out"
            )
    write_json_atomic(dict(record), out / RECIPE)


def run_progress(out: Path) -> str:
    """How far the run in ``out`` got, as its ``run.json`` says: `` (finished: 3 of 3 epochs
    done)``; empty without one."""
    if not is_run_folder(out):
        return ""
    summary = read_json(out / SUMMARY)
    status = {"running": "unfinished"}.get(summary.get("status"), summary.get("status"))
    planned = summary.get("config", {}).get("epochs", "?")
    return f" ({status}: {len(summary.get('epochs', []))} of {planned} epochs done)"


class NoRunFinished(RuntimeError):
    """Every run of a grid failed; the message gives the first failure and where each run's
    traceback is (its folder's ``error.txt``)."""


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
