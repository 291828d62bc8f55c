"""Colored MNIST (Kim et al., "Learning Not to Learn", CVPR 2019) and its bias attribute."""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import zipfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np

from mibias.data.fetch import data_home, made_once
from mibias.data.mnist import load_mnist
from mibias.io import atomic_path

# approximate class mean colours of the published code (0-255), decoded from sample images
KIM_PALETTE = np.array(
    [
        (216, 26, 73),
        (30, 133, 164),
        (232, 211, 67),
        (40, 117, 187),
        (226, 173, 56),
        (151, 45, 156),
        (69, 215, 222),
        (226, 178, 190),
        (211, 230, 51),
        (121, 12, 39),
    ],
    dtype=np.float64,
)
SIGMAS = (0.020, 0.025, 0.030, 0.035, 0.040, 0.045, 0.050)
TestColours = Literal["palette", "uniform"]
# the share of MNIST's training digits held out as the validation split (the last 10,000):
# coloured by the test rules, they are where settings are chosen, so the test set is read once
VALIDATION_FRACTION = 1 / 6


def random_palette(seed: int, n_classes: int = 10) -> np.ndarray:
    """A palette of ``n_classes`` uniformly random colours (0-255), for untuned checks."""
    return np.random.default_rng(seed).uniform(0, 255, size=(n_classes, 3))


def colourise(
    gray: np.ndarray,
    labels: np.ndarray,
    *,
    sigma: float,
    palette: np.ndarray,
    rng: np.random.Generator,
    random_class: bool = False,
    uniform: bool = False,
) -> np.ndarray:
    """Colour gray digits: stroke intensity times a colour; background stays black.

    Each digit's colour is its class's palette colour (or a random class's with
    ``random_class``) plus Gaussian jitter of variance ``sigma`` per channel, clipped to
    [0, 1]; with ``uniform`` the colour is uniformly random instead.

    Returns uint8 images of shape ``(N, 28, 28, 3)``.
    """
    n = len(gray)
    if uniform:
        colours = rng.uniform(0, 1, size=(n, 3))
    else:
        classes = rng.integers(0, len(palette), size=n) if random_class else labels
        jitter = rng.normal(0.0, np.sqrt(sigma), size=(n, 3))
        colours = np.clip(palette[classes] / 255.0 + jitter, 0.0, 1.0)
    strokes = gray.astype(np.float32)[..., None] / 255.0
    return np.round(strokes * colours[:, None, None, :].astype(np.float32) * 255).astype(np.uint8)


def colour_bins(images: np.ndarray, bins: int = 8) -> np.ndarray:
    """The bias attribute: each channel's maximum over the image, binned (edges 0, 32, ...).

    Returns integer codes of shape ``(N, 3)`` in ``range(bins)``.
    """
    maxima = images.reshape(len(images), -1, 3).max(axis=1).astype(np.int64)
    return np.minimum(maxima * bins // 256, bins - 1)


def one_hot_bins(codes: np.ndarray, bins: int = 8) -> np.ndarray:
    """The authors' encoding of c: one 8-way one-hot per channel, concatenated (24 dims)."""
    return np.eye(bins, dtype=np.float32)[codes].reshape(len(codes), -1)


def binary_colour(images: np.ndarray) -> np.ndarray:
    """The paper's text's encoding of c: each channel's maximum as 8 bits (24 dims)."""
    maxima = images.reshape(len(images), -1, 3).max(axis=1).astype(np.uint8)
    return np.unpackbits(maxima[:, :, None], axis=2).reshape(len(images), 24).astype(np.float32)


def colour_class(images: np.ndarray, palette: np.ndarray = KIM_PALETTE) -> np.ndarray:
    """Which palette colour each digit's colour is nearest to (codes ``0..len(palette)-1``).

    A digit's colour is read as each channel's maximum over the image. On unbiased digits this
    10-way attribute is independent of the label, so a probe that reads it from z reads colour.
    """
    colours = images.reshape(len(images), -1, 3).max(axis=1).astype(np.float64)
    distances = ((colours[:, None, :] - np.asarray(palette)[None]) ** 2).sum(axis=2)
    return distances.argmin(axis=1)


@dataclass
class ColoredMNIST:
    """Generated Colored MNIST: coloured training digits, and the validation digits (held-out
    training digits) and test digits, each under both test-colour rules (uint8 images
    ``(N, 28, 28, 3)``)."""

    train_images: np.ndarray
    train_labels: np.ndarray
    validation_labels: np.ndarray
    validation_images_palette: np.ndarray
    validation_images_uniform: np.ndarray
    test_labels: np.ndarray
    test_images_palette: np.ndarray
    test_images_uniform: np.ndarray

    def validation_images(self, rule: TestColours) -> np.ndarray:
        """The validation digits coloured by ``rule`` (``palette`` or ``uniform``)."""
        return self._by_rule("validation", rule)

    def test_images(self, rule: TestColours) -> np.ndarray:
        """The test digits coloured by ``rule`` (``palette`` or ``uniform``)."""
        return self._by_rule("test", rule)

    def _by_rule(self, split: str, rule: TestColours) -> np.ndarray:
        if rule not in ("palette", "uniform"):
            raise ValueError(f"test colours must be palette or uniform, got {rule!r}")
        images: np.ndarray = getattr(self, f"{split}_images_{rule}")
        return images


def make_colored_mnist(
    sigma: float,
    *,
    seed: int = 0,
    palette: np.ndarray | None = None,
    home: str | Path | None = None,
    cache: bool = True,
    mnist: dict[str, np.ndarray] | None = None,
) -> ColoredMNIST:
    """Generate (or read from the cache) Colored MNIST for one colour variance.

    The last :data:`VALIDATION_FRACTION` of MNIST's training digits are held out as the
    validation split. Validation and test digits are coloured by both rules: ``palette`` (a
    random class's mean colour plus the same jitter) and ``uniform`` (a uniformly random
    colour); see docs/colored-mnist.md for which one tables use.

    Parameters
    ----------
    sigma : float
        The protocol's sigma, a variance: jitter standard deviation ``sqrt(sigma)``.
    seed : int
        Seed of the colours; the same seed gives the same images. Training colours and each
        rule's test colours come from independent streams of it.
    palette : ndarray of shape (10, 3), optional
        Class mean colours (0-255); default :data:`KIM_PALETTE`.
    home : path, optional
        Data folder (default ``$MIBIAS_DATA`` or ``~/.cache/mibias``).
    cache : bool
        Keep generated datasets under ``home/colored_mnist``, with a hash of their content
        that is checked on every read (a damaged file is generated again, with a notice);
        one process at a time generates a dataset, and others asking for it wait and read it.
    mnist : dict, optional
        Gray MNIST arrays (as :func:`~mibias.data.mnist.load_mnist` returns), to skip loading.
    """
    if sigma < 0:
        raise ValueError(f"sigma is a variance and must be >= 0, got {sigma}")
    palette = KIM_PALETTE if palette is None else np.asarray(palette, dtype=np.float64)
    if palette.shape != (10, 3):
        raise ValueError(f"the palette must have shape (10, 3), got {palette.shape}")
    key = hashlib.sha256(
        f"{sigma:.6f}|{seed}|validation {VALIDATION_FRACTION:.6f}|".encode() + palette.tobytes()
    ).hexdigest()[:16]
    path = data_home(home) / "colored_mnist" / f"sigma{sigma:.3f}-seed{seed}-{key}.npz"
    if not cache or mnist is not None:
        return _generate(sigma, seed, palette, mnist if mnist is not None else load_mnist(home))

    def generate_and_keep() -> ColoredMNIST:
        if path.exists():
            print(
                f"mibias: {path} is damaged or from an earlier version; generating it again",
                file=sys.stderr,
            )
        data = _generate(sigma, seed, palette, load_mnist(home))
        arrays = vars(data)  # the arrays themselves (dataclasses.asdict would copy them)
        with atomic_path(path, suffix=".npz") as tmp:
            np.savez(tmp, **arrays, content_sha256=np.array(_content_sha256(arrays)))
        return data

    return made_once(path.parent, path.name, partial(_read_cache, path), generate_and_keep)


def _content_sha256(arrays: dict[str, np.ndarray]) -> str:
    """A hash over every array of a :class:`ColoredMNIST`, its shapes included."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(f"{name}{arrays[name].shape}{arrays[name].dtype}".encode())
        digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    return digest.hexdigest()


def _read_cache(path: Path) -> ColoredMNIST | None:
    """The cached dataset if the file exists, reads whole and matches its content hash, else
    None (a file of an earlier version, without the hash, is generated again too)."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {field.name: stored[field.name] for field in dataclasses.fields(ColoredMNIST)}
            recorded = str(stored["content_sha256"])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    return ColoredMNIST(**arrays) if _content_sha256(arrays) == recorded else None


def _generate(
    sigma: float, seed: int, palette: np.ndarray, gray: dict[str, np.ndarray]
) -> ColoredMNIST:
    """Colour the gray digits (:func:`make_colored_mnist`)."""
    # training colours and each rule's test colours keep the streams they had before the
    # validation split existed; the validation colours take two new ones
    train_rng, palette_rng, uniform_rng, valid_palette_rng, valid_uniform_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    cut = len(gray["train_labels"]) - round(len(gray["train_labels"]) * VALIDATION_FRACTION)
    train_gray, train_labels = gray["train_images"][:cut], gray["train_labels"][:cut]
    valid_gray, valid_labels = gray["train_images"][cut:], gray["train_labels"][cut:]
    test_gray, test_labels = gray["test_images"], gray["test_labels"]

    def unbiased(
        images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, rule: str
    ) -> np.ndarray:
        return colourise(
            images, labels, sigma=sigma, palette=palette, rng=rng,
            random_class=rule == "palette", uniform=rule == "uniform",
        )  # fmt: skip

    return ColoredMNIST(
        train_images=colourise(
            train_gray, train_labels, sigma=sigma, palette=palette, rng=train_rng
        ),
        train_labels=train_labels.astype(np.int64),
        validation_labels=valid_labels.astype(np.int64),
        validation_images_palette=unbiased(valid_gray, valid_labels, valid_palette_rng, "palette"),
        validation_images_uniform=unbiased(valid_gray, valid_labels, valid_uniform_rng, "uniform"),
        test_labels=test_labels.astype(np.int64),
        test_images_palette=unbiased(test_gray, test_labels, palette_rng, "palette"),
        test_images_uniform=unbiased(test_gray, test_labels, uniform_rng, "uniform"),
    )
