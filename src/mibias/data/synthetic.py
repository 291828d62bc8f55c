"""Generated data with known structure, for tests, benchmarks, demos and docs: a task with a
spurious "colour" shortcut, a table with a nuisance attribute, and correlated Gaussians whose
mutual information has a closed form."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import TensorDataset


@dataclass
class BiasedSample:
    """Rows of the generated task.

    Attributes
    ----------
    x : ndarray of shape (N, shape_dim + n_classes)
        Features: a noisy "shape" block carrying the label, then a clean "colour" block.
    y : ndarray of shape (N,)
        Labels.
    colour : ndarray of shape (N,)
        The bias attribute.
    """

    x: np.ndarray
    y: np.ndarray
    colour: np.ndarray

    def dataset(self) -> TensorDataset:
        """A ``TensorDataset`` of ``(x, y, c)``, ``c`` the one-hot colour, as the trainer reads."""
        n_colours = int(self.colour.max()) + 1
        c = np.eye(max(n_colours, 2), dtype=np.float32)[self.colour]
        tensors = (torch.from_numpy(self.x), torch.from_numpy(self.y), torch.from_numpy(c))
        return TensorDataset(*tensors)


def make_biased_sample(
    n: int,
    *,
    n_classes: int = 4,
    bias: float = 0.9,
    shape_dim: int = 8,
    shape_noise: float = 1.0,
    colour_noise: float = 0.05,
    seed: int = 0,
) -> BiasedSample:
    """Generate a classification task whose label is predictable from a weak shape signal and
    from a strong colour signal.

    Each class has a random unit "shape" prototype in ``shape_dim`` dimensions; a row's shape
    block is its class prototype plus Gaussian noise of standard deviation ``shape_noise``
    (weak: classes overlap). Its colour equals its label with probability ``bias`` and is drawn
    uniformly otherwise; the colour block is the colour's one-hot code plus small noise (strong:
    colours never overlap). With ``bias = 1 / n_classes`` the colour is independent of the
    label, which is the unbiased test condition: a model that learned the colour shortcut fails
    there, one that learned the shape does not.

    Parameters
    ----------
    n : int
        Number of rows.
    n_classes : int
        Number of labels and of colours.
    bias : float
        Probability that the colour equals the label (the rest is uniform).
    shape_dim : int
        Width of the shape block.
    shape_noise, colour_noise : float
        Noise standard deviations of the two blocks.
    seed : int
        Seed; the class prototypes depend only on ``n_classes`` and ``shape_dim`` so that
        training and test samples made with different seeds share them.
    """
    if not 0 <= bias <= 1:
        raise ValueError(f"bias must be in [0, 1], got {bias}")
    prototypes = np.random.default_rng(n_classes * 1000 + shape_dim).normal(
        size=(n_classes, shape_dim)
    )
    prototypes /= np.linalg.norm(prototypes, axis=1, keepdims=True)
    rng = np.random.default_rng(seed)
    y = rng.integers(n_classes, size=n)
    keep = rng.random(n) < bias
    colour = np.where(keep, y, rng.integers(n_classes, size=n))
    shape = prototypes[y] + shape_noise * rng.normal(size=(n, shape_dim))
    colour_block = np.eye(n_classes)[colour] + colour_noise * rng.normal(size=(n, n_classes))
    x = np.concatenate([shape, colour_block], axis=1).astype(np.float32)
    return BiasedSample(x=x, y=y.astype(np.int64), colour=colour.astype(np.int64))


def make_nuisance_table(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A tabular task with an attribute among the inputs that the label does not need.

    Columns: the signal, then the binary attribute s plus noise of scale 0.1 (so s can be read
    from the inputs almost perfectly), then three noise columns. The label is
    ``signal > 0``, independent of s. A network that fits the label keeps s in its hidden
    layer unless something removes it: the test case of ``MIFairClassifier``'s defaults.

    Returns
    -------
    X : ndarray of shape (n, 5), float32
    y, s : ndarray of shape (n,), int
    """
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 2, n)
    signal = rng.normal(size=n)
    X = np.column_stack([signal, s + 0.1 * rng.normal(size=n), rng.normal(size=(n, 3))])
    return X.astype(np.float32), (signal > 0).astype(np.int64), s


def correlated_gaussians(
    rho: float, *, rows: int, dimensions: int, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``x ~ N(0, I_d)`` and ``y = rho x + sqrt(1 - rho^2) eps``, ``eps ~ N(0, I_d)``.

    Their mutual information is :func:`gaussian_mutual_information` ``(rho, dimensions)``.

    Returns
    -------
    x, y : ndarray of shape (rows, dimensions), float64
    """
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), got {rho}")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, dimensions))
    return x, rho * x + math.sqrt(1 - rho**2) * rng.normal(size=(rows, dimensions))


def gaussian_mutual_information(rho: float, dimensions: int) -> float:
    """I(x; y) in nats of :func:`correlated_gaussians`: ``-d/2 log(1 - rho^2)``."""
    return -dimensions / 2 * math.log(1 - rho**2)
