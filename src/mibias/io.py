"""File input and output: reading user-supplied arrays (.npy, .csv, .pt) with errors that name
the problem, atomic writes (readers see the old file or the whole new one, never a partial
one) and locks that keep a second process out of a file's work."""

from __future__ import annotations

import csv
import fcntl
import os
import secrets
import socket
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


class InputError(ValueError):
    """User input that cannot be used; the message names the file and the problem."""


class DamagedFileError(RuntimeError):
    """A file the project or a download wrote is damaged and cannot be rebuilt here; the
    message names the file and what to do."""


def load_array(path: str | Path) -> np.ndarray:
    """Load a matrix or vector from ``.npy``, ``.csv`` (header optional; commas, semicolons or
    tabs between values) or ``.pt``.

    Raises
    ------
    InputError
        When the file is missing, empty, unreadable or of an unsupported type.
    """
    return load_table(path)[0]


def load_table(path: str | Path) -> tuple[np.ndarray, list[str] | None]:
    """:func:`load_array`'s matrix and the column names of a ``.csv`` with a header (else
    None).

    Raises
    ------
    InputError
        As :func:`load_array`.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, expected a .npy, .csv or .pt file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    header = None
    try:
        if suffix == ".npy":
            array = np.load(path, allow_pickle=False)
        elif suffix == ".csv":
            array, header = _read_csv(path)
        elif suffix == ".pt":
            import torch  # here, not above: the command line's parser imports this module

            loaded = torch.load(path, map_location="cpu", weights_only=True)
            if not isinstance(loaded, torch.Tensor):
                raise InputError(f"{path}: expected a saved tensor, found {type(loaded).__name__}")
            array = tensor_as_array(loaded)
        else:
            raise InputError(f"{path}: unsupported file type {suffix!r} (use .npy, .csv or .pt)")
    except InputError:
        raise
    except Exception as error:
        # the first line: torch's unpickling errors run to a dozen lines of advice
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise InputError(f"{path}: cannot be read ({type(error).__name__}: {reason})") from error
    if array.size == 0:
        raise InputError(f"{path}: the file holds no values")
    return array, header


def tensor_as_array(tensor: Any) -> np.ndarray:
    """A torch tensor (on any device, with or without gradient) as a numpy array; bfloat16,
    which numpy has no type for (an encoder's output as it came), as float32."""
    import torch  # here, not above: the command line's parser imports this module

    tensor = tensor.detach().cpu()
    return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()


def _first_line_is_header(frame: pd.DataFrame, first: pd.Series, rest: pd.DataFrame) -> bool:
    """A first line of text above numbers, or of values that never occur again below it, or
    of the column numbers 0, 1, ... (the names pandas writes for a frame made from an array,
    two columns or more) above numbers that are not all whole. ``first``, ``rest``: the
    frame's first line and its other lines as numbers (:func:`_as_numbers`)."""
    if first.isna().all() and not rest.isna().all().all():
        return True
    if frame.shape[1] > 1 and first.tolist() == list(range(frame.shape[1])):
        values = rest.to_numpy(dtype=float)
        return bool(np.any(values[np.isfinite(values)] % 1 != 0))
    repeated = frame.iloc[1:].apply(lambda column: column.dropna().duplicated(keep=False).all())
    return bool(
        first.isna().all()
        and repeated.all()
        and all(frame.iloc[0, j] not in set(frame.iloc[1:, j]) for j in range(frame.shape[1]))
    )


# what may separate a CSV file's values: a comma, a semicolon (what spreadsheets write where
# the comma is the decimal mark) or a tab
SEPARATORS = ",;\t"
# how much of the file the separator is sniffed from
SNIFFED_BYTES = 65536


def _separator(path: Path) -> str:
    """The file's separator among :data:`SEPARATORS`, as :class:`csv.Sniffer` finds it in its
    first lines; a comma where it finds none (one column)."""
    with path.open(newline="", errors="replace") as file:
        sample = file.read(SNIFFED_BYTES)
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        return ","


def _as_numbers(frame: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """The frame's first line and its other lines as numbers (NaN where a value is not one),
    apart: a header's texts would make whole numbers below them floats."""
    return (
        pd.to_numeric(frame.iloc[0], errors="coerce"),
        frame.iloc[1:].apply(pd.to_numeric, errors="coerce"),
    )


def _count(numbers: tuple[pd.Series, pd.DataFrame]) -> int:
    """How many values of :func:`_as_numbers`' two parts are numbers."""
    first, rest = numbers
    return int(first.notna().sum() + rest.notna().sum().sum())


def _decimal_points(column: pd.Series) -> pd.Series:
    """A column with the decimal commas of its texts made points (its other values kept)."""
    if pd.api.types.is_numeric_dtype(column):
        return column
    replaced = column.str.replace(",", ".", regex=False)  # NaN where a value is not a text
    return column.where(replaced.isna(), replaced)


def _read_csv(path: Path) -> tuple[np.ndarray, list[str] | None]:
    """Read a CSV (values separated by commas, semicolons or tabs; with semicolons the decimal
    mark may be a comma) and its column names; its first line is taken as a header when
    :func:`_first_line_is_header` (else the names are None)."""
    separator = _separator(path)
    try:
        with warnings.catch_warnings():
            # read in chunks, a column under a text header holds numbers and texts, which
            # pandas warns of: the conversion below reads both (in one piece it would parse
            # every number as a text, twice as slow)
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            frame = pd.read_csv(path, header=None, sep=separator)
    except pd.errors.EmptyDataError as error:
        raise InputError(f"{path}: the file is empty") from error
    numbers = _as_numbers(frame)  # once: on a file of text columns it is most of the reading
    if separator == ";":
        points = frame.apply(_decimal_points)
        if _count(point_numbers := _as_numbers(points)) > _count(numbers):
            frame, numbers = points, point_numbers
    first, rest = numbers
    if len(frame) > 1 and _first_line_is_header(frame, first, rest):
        header = [str(name) for name in frame.iloc[0]]
        frame, numeric = frame.iloc[1:].reset_index(drop=True), rest.reset_index(drop=True)
    else:
        header = None
        numeric = pd.concat([first.to_frame().T, rest]).infer_objects()
    if numeric.notna().all().all() or (frame.isna() == numeric.isna()).all().all():
        return numeric.to_numpy(), header
    return frame.to_numpy(), header


@contextmanager
def atomic_path(path: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` if the block succeeds
    and is removed if it fails.

    ``suffix`` is the temporary file's ending, for writers that insist on one (``np.savez``
    appends ``.npz`` to any other name).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_file(path.parent, f".{path.name}.", suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def check_writable(folder: Path) -> None:
    """Make ``folder`` where it is missing and create (and remove) a file in it: before a long
    computation whose result goes there, not after it.

    Raises
    ------
    OSError
        What making the folder or the file raised.
    """
    folder.mkdir(parents=True, exist_ok=True)
    _new_file(folder, ".mibias-check.", "").unlink()


def _new_file(folder: Path, prefix: str, suffix: str) -> Path:
    """Create an empty file of a new name in ``folder`` with the permissions any new file gets
    (read and write for all, less the umask), not ``mkstemp``'s owner-only ones: the file
    replaces a result others may need to read."""
    while True:
        name = folder / f"{prefix}{secrets.token_hex(8)}{suffix}"
        try:
            os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return name


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename: a reader, or a
    process killed half-way, sees the old file or the whole new one."""
    with atomic_path(path, suffix=path.suffix) as tmp:
        tmp.write_text(text)


def write_csv_atomic(frame: pd.DataFrame, path: Path, **options: Any) -> None:
    """``frame.to_csv(path, **options)`` through a temporary file and an atomic rename."""
    with atomic_path(path, suffix=".csv") as tmp:
        frame.to_csv(tmp, **options)


@contextmanager
def held_lock(path: Path, busy: Callable[[str], None]) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for this process while the block runs.

    The lock is an ``flock`` on ``path`` (created if needed), which also records the holder's
    process id and host. When another process holds it, ``busy(holder)`` is called first: it
    raises to give up, or returns to wait until the holder lets go. The operating system
    releases the lock when the holder exits, however it exits, so a lock left by a killed
    process is simply taken over. (``flock`` is advisory and local: two machines sharing a
    network folder are not kept apart.)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            free = True
        except BlockingIOError:
            free = False
        if not free:  # outside the except clause: what busy raises is not chained to it
            handle.seek(0)
            busy(handle.read().strip() or "another process")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
