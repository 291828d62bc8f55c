"""Metrics of representations and predictions."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC

ProbeKind = Literal["mlp", "logistic", "svm", "none"]


def probe_scores(
    z_train: np.ndarray,
    c_train: np.ndarray,
    z_test: np.ndarray,
    c_test: np.ndarray,
    kind: ProbeKind = "mlp",
    seed: int = 0,
) -> dict[str, float]:
    """Held-out ``accuracy`` and ``balanced_accuracy`` of a classifier predicting the
    attribute labels from z.

    Parameters
    ----------
    kind : {"mlp", "logistic", "svm"}
        A one-hidden-layer MLP or an RBF support vector machine (both find non-linear
        leakage), or a logistic regression.
    """
    if kind == "logistic":
        model: Any = LogisticRegression(max_iter=1000)
    elif kind == "mlp":
        model = MLPClassifier(
            hidden_layer_sizes=(64,), max_iter=300, early_stopping=True, random_state=seed
        )
    elif kind == "svm":
        model = SVC(kernel="rbf")
    else:
        raise ValueError(f"unknown probe {kind!r}; choose mlp, logistic or svm")
    model.fit(z_train, c_train)
    predicted = model.predict(z_test)
    return {
        "accuracy": float(np.mean(predicted == c_test)),
        "balanced_accuracy": float(balanced_accuracy_score(c_test, predicted)),
    }


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
