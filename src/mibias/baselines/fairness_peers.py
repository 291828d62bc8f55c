"""The fairness peers of Table 3 from other libraries, behind ``fit(X, y, sensitive_features=s)``:
fairlearn's exponentiated-gradient reduction and adversarial classifier, and linear FERM."""

from __future__ import annotations

from typing import Any

import numpy as np

from mibias.baselines.ferm import LinearFERM

__all__ = ["ExponentiatedGradientPeer", "LinearFERM", "adversarial_peer"]


class ExponentiatedGradientPeer:
    """fairlearn's ExponentiatedGradient under TruePositiveRateParity over LogisticRegression.

    Its predictions are randomised; ``predict`` draws them from ``seed`` so a run is repeatable,
    and ``scores`` is the probability of the positive class under the randomised classifier.
    """

    def __init__(self, seed: int, eps: float = 0.01) -> None:
        from fairlearn.reductions import ExponentiatedGradient, TruePositiveRateParity
        from sklearn.linear_model import LogisticRegression

        self.seed = seed
        self.model = ExponentiatedGradient(
            LogisticRegression(max_iter=1000), TruePositiveRateParity(), eps=eps
        )

    def fit(self, X: np.ndarray, y: np.ndarray, *, sensitive_features: np.ndarray) -> Any:
        """Fit the reduction."""
        self.model.fit(X, y, sensitive_features=sensitive_features)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Randomised predictions drawn from ``seed``."""
        return self.model.predict(X, random_state=self.seed)

    def scores(self, X: np.ndarray) -> np.ndarray:
        """Probability of the positive class."""
        return self.model._pmf_predict(X)[:, 1]


def adversarial_peer(seed: int, steps: int, batch_size: int) -> Any:
    """fairlearn's AdversarialFairnessClassifier under equalized odds, with the MI methods'
    network width and step budget."""
    from fairlearn.adversarial import AdversarialFairnessClassifier

    peer = AdversarialFairnessClassifier(
        backend="torch",
        predictor_model=[64, "leaky_relu"],
        adversary_model=[64, "leaky_relu"],
        constraints="equalized_odds",
        epochs=-1,
        batch_size=batch_size,
        shuffle=True,
        random_state=seed,
    )
    # the same step budget as the MI methods: fairlearn reads max_iter (-1: count epochs
    # instead), set by its base class but not among the classifier's constructor arguments
    peer.max_iter = steps
    return peer
