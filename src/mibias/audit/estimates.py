"""Held-out MI estimates: what the fresh estimators read (z standardised, clipped, or its
whitened leading components), how one is trained on a training part, and its bound on rows
that took no part in training. :func:`mibias.audit.leakage.audit_leakage` runs them."""

from __future__ import annotations

import math

import numpy as np
import torch
from sklearn.decomposition import PCA
from tqdm.auto import tqdm

from mibias.estimators import InfoNCE, MIEstimator, derangement
from mibias.training.estimator_updates import EstimatorUpdater


def leading_components(train: np.ndarray, test: np.ndarray, max_dims: int) -> list[torch.Tensor]:
    """What the estimators read: ``train`` and ``test`` :func:`standardised` and ``test``
    :func:`clipped`; wider than ``max_dims`` columns (or than the rows), their
    :func:`whitened_components` instead.

    Whitening every column of a narrow z is left to the whitened probe: it gives directions
    of pure noise the weight of the others, and on small samples the estimators read less
    (docs/leakage.md).
    """
    if reads_components(train, max_dims):
        return whitened_components(train, test, max_dims)
    return clipped(*standardised(train, test))


def reads_components(train: np.ndarray, max_dims: int) -> bool:
    """Whether the estimators read the :func:`whitened_components` of ``train`` (wider than
    ``max_dims`` columns or than its rows) rather than its columns."""
    return train.shape[1] > min(max_dims, len(train))


def whitened_components(train: np.ndarray, test: np.ndarray, max_dims: int) -> list[torch.Tensor]:
    """``train`` and ``test`` projected on the (at most ``max_dims``) leading principal
    components of ``train``, each :func:`standardised`, and ``test`` :func:`clipped`.

    Whitened, a direction along which z hardly varies counts as much as any other: a leak
    pushed into one is as visible as one along a wide column (docs/erasure-measured.md). Components
    with no variance of their own (at most :data:`FLAT_VARIANCE` times the leading one's:
    columns that sum to a constant, fewer rows than columns) are left out; they would read
    rounding error. A function of z fitted on the training rows carries no more information
    than z, so an estimate on it stays a lower bound.
    """
    dims = min(max_dims, *train.shape)  # a PCA has at most as many components as rows
    # centred first, the mean taken in float64: scikit-learn's PCA of tall float32 rows forms
    # their covariance in float32, which an offset far larger than the spread (columns around
    # 10,000 that vary by 1) turns into rounding error, and the components into noise
    mean, dtype = train.mean(0, dtype=np.float64), train.dtype
    train, test = ((part - mean).astype(dtype) for part in (train, test))
    pca = PCA(dims, random_state=0).fit(train)
    variance = pca.explained_variance_
    kept = (variance > FLAT_VARIANCE * variance[0]) | (np.arange(dims) == 0)
    train, test = (pca.transform(part)[:, kept] for part in (train, test))
    return clipped(*standardised(train, test))


def clipped(train: torch.Tensor, test: torch.Tensor) -> list[torch.Tensor]:
    """``train``, and ``test`` clipped to ``train``'s range column by column.

    The clip keeps the critic where it was trained: a column that hardly varies on the
    training rows (a unit that is almost always off) standardises a held-out row where it is on
    to hundreds of standard deviations, where the critic's output is arbitrary and one such row
    sends the held-out bound to -10 nats (docs/leakage.md).
    """
    return [train, test.clamp(train.min(0).values, train.max(0).values)]


# a principal component whose variance is at most this share of the leading one's has none
FLAT_VARIANCE = 1e-10


def standardised(train: np.ndarray, test: np.ndarray) -> list[torch.Tensor]:
    """Every column of ``train`` and ``test`` standardised with ``train``'s statistics."""
    mean, std = train.mean(0), train.std(0)
    std[std == 0] = 1.0
    return [torch.from_numpy(((part - mean) / std).astype(np.float32)) for part in (train, test)]


# the rise in the score on the rows kept aside that counts as progress for ``patience``
GAIN_NATS = 0.005


def train_estimator(
    model: MIEstimator,
    z: torch.Tensor,
    c: torch.Tensor,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    bar: tqdm | None = None,
    *,
    select: bool = False,
    patience: int | None = None,
) -> None:
    """Fit ``model`` to the pairs ``(z, c)`` with Adam on random mini-batches.

    With ``select``, a fifth of the rows is kept aside and the model ends with the weights
    that scored best there (at the steps of :func:`check_steps`); with ``patience`` too, the
    training stops at the first check ``patience`` or more steps after the last one whose
    score beat the previous such check's by more than :data:`GAIN_NATS`.
    """
    generator = torch.Generator().manual_seed(seed)
    validation: tuple[torch.Tensor, torch.Tensor] | None = None
    if select:
        order = torch.randperm(len(z), generator=generator)
        cut = max(len(z) // 5, 2)
        validation = (z[order[:cut]], c[order[:cut]])
        z, c = z[order[cut:]], c[order[cut:]]
    # torch's fused update, one kernel for every parameter, as the trainer's estimator has: on
    # the main job's z (5,600 x 64 rows, one thread) 5.37 ms a step against 5.75, the same
    # reading to 1e-6 nats
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    updater = EstimatorUpdater(model, optimizer)
    rows = min(batch_size, len(z))
    checks = check_steps(steps)
    best_score, best_state = -math.inf, None
    # the last check whose score beat the previous such check's by more than GAIN_NATS
    gained_score, gained_step = -math.inf, 0
    for step in range(steps + 1):
        if step > 0:
            batch = torch.randperm(len(z), generator=generator)[:rows]
            perm = derangement(rows, generator)
            updater.step(z[batch][None], c[batch][None], perm[None])
            if bar is not None:
                bar.update(1)
        if validation is not None and step in checks:
            score = held_out_estimate(model, *validation, batch_size, seed)
            if score > best_score:
                best_score = score
                best_state = {k: v.clone() for k, v in model.state_dict().items()}
            if score > gained_score + GAIN_NATS:
                gained_score, gained_step = score, step
            elif patience is not None and step - gained_step >= patience:
                if bar is not None:
                    bar.update(steps - step)
                break
    if best_state is not None:
        model.load_state_dict(best_state)


def check_steps(steps: int) -> set[int]:
    """When :func:`train_estimator` scores its weights on the rows kept aside: before the
    first step (an untrained critic reads about 0, so an estimator that only overfits reports
    about 0, not a large negative bound), 20 times at even intervals, and 10 times at
    geometric intervals early on, where a small sample's estimator peaks."""
    even = {round(steps * i / 20) for i in range(1, 21)}
    early = {int(s) for s in np.geomspace(1, max(steps // 20, 1), 10)}
    return {0, *even, *early}


@torch.no_grad()
def held_out_estimate(
    model: MIEstimator,
    z: torch.Tensor,
    c: torch.Tensor,
    batch_size: int,
    seed: int,
    repeats: int = 3,
) -> float:
    """The estimator's bound on held-out rows, averaged over chunks and shuffles.

    InfoNCE's chunks hold ``batch_size`` rows, the size it was trained on (its value depends
    on it through its ``log N`` ceiling). Every other bound reads all rows as one chunk: a
    log-mean-exp over a small chunk is biased upwards (Jensen): chunks of 256 read 2.590 nats
    where all rows read 2.471, on correlated Gaussians whose MI is 2.554 (docs/leakage.md).
    """
    generator = torch.Generator().manual_seed(seed)
    rows = batch_size if isinstance(model, InfoNCE) else len(z)
    total, weight = 0.0, 0
    for _ in range(repeats):
        order = torch.randperm(len(z), generator=generator)
        for chunk in order.split(rows):
            if len(chunk) < 2:
                continue
            perm = derangement(len(chunk), generator)
            total += model.estimate(z[chunk], c[chunk], perm).item() * len(chunk)
            weight += len(chunk)
    return total / weight
