"""Metrics of representations and predictions."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

ProbeKind = Literal["mlp", "logistic", "none"]


def probe_accuracy(
    z_train: np.ndarray,
    c_train: np.ndarray,
    z_test: np.ndarray,
    c_test: np.ndarray,
    kind: ProbeKind = "mlp",
    seed: int = 0,
) -> float:
    """Held-out accuracy of a classifier predicting the attribute labels from z.

    Parameters
    ----------
    kind : {"mlp", "logistic"}
        A one-hidden-layer MLP (finds non-linear leakage) or a logistic regression.
    """
    if kind == "logistic":
        model: Any = LogisticRegression(max_iter=1000)
    elif kind == "mlp":
        model = MLPClassifier(
            hidden_layer_sizes=(64,), max_iter=300, early_stopping=True, random_state=seed
        )
    else:
        raise ValueError(f"unknown probe {kind!r}; choose mlp or logistic")
    model.fit(z_train, c_train)
    return float(model.score(z_test, c_test))
