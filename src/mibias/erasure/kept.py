"""What an eraser's output keeps of its input: the geometry of x (pairwise cosine similarities,
each row's cosine to its erased self, both on centred rows) and a task (a fresh logistic
regression's accuracy)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import ConstantInputWarning, spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mibias.audit.splits import stratification

# the share of the rows kept_task holds out to score the task on
TASK_HELD_OUT = 0.3


def kept_geometry(
    x: np.ndarray, z: np.ndarray, rows: int = 2000, seed: int = 0
) -> dict[str, float]:
    """How much of the geometry of ``x`` survives in ``z``: the Spearman correlation between
    the pairwise cosine similarities of up to ``rows`` rows before and after, and, where ``z``
    is as wide as ``x``, the mean cosine between each row and its erased self.

    Each matrix is centred on its own column means first: on columns far from zero every
    uncentred cosine is close to 1, whatever the rows, and a shift of every row by one vector
    changes no distance between them."""
    chosen = np.random.default_rng(seed).permutation(len(x))[:rows]

    def unit(a: np.ndarray) -> np.ndarray:
        a = a[chosen].astype(np.float64)
        a = a - a.mean(axis=0)
        return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)

    ux, uz = unit(x), unit(z)
    upper = np.triu_indices(len(chosen), k=1)
    with warnings.catch_warnings():
        # rows erased to one vector have no similarities to rank: NaN, which the report prints
        warnings.simplefilter("ignore", ConstantInputWarning)
        similarity = spearmanr((ux @ ux.T)[upper], (uz @ uz.T)[upper]).statistic
    kept = {"similarity_spearman": float(similarity)}
    if x.shape[1] == z.shape[1]:
        kept["cosine_to_input"] = float(np.mean(np.sum(ux * uz, axis=1)))
    return kept


def kept_task(x: np.ndarray, z: np.ndarray, y: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Held-out accuracy of a logistic regression for ``y`` from ``x`` and from ``z`` (fit on
    70 % of the rows, scored on the other 30 %)."""
    train, test = train_test_split(
        np.arange(len(y)),
        test_size=TASK_HELD_OUT,
        random_state=seed,
        stratify=stratification(y, TASK_HELD_OUT),
    )
    scores = {}
    for name, values in (("input", x), ("erased", z)):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        scores[f"task_accuracy_{name}"] = float(
            model.fit(values[train], y[train]).score(values[test], y[test])
        )
    return scores
