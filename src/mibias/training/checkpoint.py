"""Checkpoints that survive a crash at any point and load with ``weights_only`` semantics."""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mibias.io import DamagedFileError, atomic_path
from mibias.run_folder import previous_path

# what torch.load raises on a truncated or corrupted file
READ_ERRORS = (RuntimeError, EOFError, OSError, pickle.UnpicklingError, zipfile.BadZipFile)


def checksum_path(path: Path) -> Path:
    """The file beside a checkpoint that holds its sha256."""
    return path.with_name(f"{path.name}.sha256")


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes, in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_atomic(state: dict[str, Any], path: Path) -> None:
    """Write ``state`` to ``path``, keeping the checkpoint it replaces until the new one is
    verified.

    The state goes to a temporary file, which is read back in full and hashed; only then do
    the old file (and its checksum) become :func:`previous_path`, the new checksum is written
    (:func:`checksum_path`) and the new file takes its name, each step an atomic rename. A
    crash at any point leaves a readable, verifiable checkpoint under one of the two names.
    """
    with atomic_path(path) as tmp:
        with tmp.open("wb") as handle:
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        load_checkpoint(tmp)
        digest = file_sha256(tmp)
        if path.exists():
            os.replace(path, previous_path(path))
            if checksum_path(path).exists():
                os.replace(checksum_path(path), checksum_path(previous_path(path)))
        with atomic_path(checksum_path(path)) as checksum:
            checksum.write_text(digest + "\n")


def load_checkpoint(path: Path, map_location: torch.device | str = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_atomic`, refusing arbitrary pickled objects.

    The file's sha256 is checked against the one saved beside it (when there is one: a
    checkpoint from before checksums loads unchecked): a flipped byte inside a tensor reads
    without complaint otherwise.

    Raises
    ------
    DamagedFileError
        When the file cannot be read (truncated, corrupted, not a checkpoint) or does not
        match its checksum.
    """
    checksum = checksum_path(path)
    if checksum.exists() and path.exists():
        expected = checksum.read_text().strip()
        if file_sha256(path) != expected:
            raise DamagedFileError(f"{path} is damaged (its sha256 does not match {checksum})")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except READ_ERRORS as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DamagedFileError(f"{path} is damaged ({reason})") from error


def load_latest_checkpoint(path: Path, map_location: torch.device | str = "cpu") -> dict[str, Any]:
    """The checkpoint at ``path``, or the previous good one when ``path`` is damaged or
    missing (saying so on stderr in one line).

    Raises
    ------
    DamagedFileError
        When neither can be read.
    """
    previous = previous_path(path)
    try:
        return load_checkpoint(path, map_location)
    except DamagedFileError as damaged:
        if not previous.exists():
            raise DamagedFileError(
                f"{damaged} and there is no earlier checkpoint: to start over, delete "
                "the run's folder or choose another"
            ) from damaged
        try:
            state = load_checkpoint(previous, map_location)
        except DamagedFileError as also:
            raise DamagedFileError(
                f"{damaged}, and so is the earlier one ({also}): to start over, delete "
                "the run's folder or choose another"
            ) from also
    print(
        f"mibias: {path} is damaged; resuming from the previous checkpoint {previous} "
        f"(epoch {state['epoch']})",
        file=sys.stderr,
    )
    return state


def capture_rng_state(generator: torch.Generator) -> dict[str, Any]:
    """Every random number generator state a run depends on, as checkpoint-safe values."""
    numpy_state = np.random.get_state()  # noqa: NPY002 - user code may draw from it
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "generator": generator.get_state(),
        "numpy_keys": torch.from_numpy(numpy_state[1].astype(np.int64)),
        "numpy_pos": int(numpy_state[2]),
        "python": [list(x) if isinstance(x, tuple) else x for x in random.getstate()],
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any], generator: torch.Generator) -> None:
    """Undo :func:`capture_rng_state`."""
    torch.set_rng_state(state["torch"])
    generator.set_state(state["generator"])
    keys = state["numpy_keys"].numpy().astype(np.uint32)
    np.random.set_state(("MT19937", keys, state["numpy_pos"], 0, 0.0))  # noqa: NPY002
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
