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
