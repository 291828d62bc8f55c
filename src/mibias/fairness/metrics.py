"""Accuracy and group-fairness gaps of binary predictions."""

from __future__ import annotations

import numpy as np


def fairness_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, sensitive: np.ndarray
) -> dict[str, float]:
    """Accuracy and group-fairness gaps of binary predictions (fairlearn's definitions).

    Returns ``accuracy``; ``eo``, the equal-opportunity difference |TPR_a - TPR_b|;
    ``eodds``, the equalized-odds difference (the larger of the TPR and FPR gaps); and
    ``dp``, the demographic-parity difference |P(yhat = 1 | a) - P(yhat = 1 | b)|.
    """
    from fairlearn.metrics import (
        demographic_parity_difference,
        equal_opportunity_difference,
        equalized_odds_difference,
    )

    y_true, y_pred, sensitive = (np.asarray(a).ravel() for a in (y_true, y_pred, sensitive))
    return {
        "accuracy": float(np.mean(y_true == y_pred)),
        "eo": float(equal_opportunity_difference(y_true, y_pred, sensitive_features=sensitive)),
        "eodds": float(equalized_odds_difference(y_true, y_pred, sensitive_features=sensitive)),
        "dp": float(demographic_parity_difference(y_true, y_pred, sensitive_features=sensitive)),
    }


def eo_sampling_floor(positives: tuple[int, int], tpr: float) -> float:
    """The equal-opportunity difference a classifier shows by chance alone.

    A classifier whose true positive rate is ``tpr`` in both groups still shows a gap
    |TPR_a - TPR_b| on a finite test set: each group's rate is read from its own positives.
    This is the expected gap, exactly (the two counts of true positives are independent
    binomials); a measured EO near it cannot be told from an exactly fair classifier.

    Parameters
    ----------
    positives : tuple of int
        The test set's positive rows (y = 1) in each of the two groups.
    tpr : float
        The true positive rate both groups share, in [0, 1].

    Returns
    -------
    float
        E|A / n_a - B / n_b| for A ~ Binomial(n_a, tpr), B ~ Binomial(n_b, tpr).
    """
    from scipy.stats import binom

    if min(positives) < 1:
        raise ValueError(f"each group needs at least one positive row, got {positives}")
    if not 0.0 <= tpr <= 1.0:
        raise ValueError(f"tpr must be in [0, 1], got {tpr}")
    rates, weights = [], []
    for n in positives:
        counts = np.arange(n + 1)
        rates.append(counts / n)
        weights.append(binom.pmf(counts, n, tpr))
    gaps = np.abs(rates[0][:, None] - rates[1][None, :])
    return float(weights[0] @ gaps @ weights[1])
