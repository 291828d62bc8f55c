"""The fairness peers of Table 3 from other libraries, behind ``fit(X, y, sensitive_features=s)``:
fairlearn's exponentiated-gradient reduction and adversarial classifier, and linear FERM."""

from __future__ import annotations

from typing import Any

import numpy as np

from mibias.baselines.ferm import LinearFERM

__all__ = ["AdversarialPeer", "ExponentiatedGradientPeer", "LinearFERM", "PeerDiverged"]


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


class PeerDiverged(RuntimeError):
    """A peer from another library diverged: its weights are no longer finite."""


class AdversarialPeer:
    """fairlearn's AdversarialFairnessClassifier under equalized odds, with the MI methods'
    network width and step budget and fairlearn's other defaults (alpha 1, Adam at 1e-3).

    Its game can diverge on small data (German): the predictor's outputs saturate at 0 or 1,
    the adversary's gradient with respect to the predictor becomes exactly zero, and
    fairlearn's projection divides it by its norm, so the weights turn NaN and a later step
    fails inside torch. ``fit`` then raises :class:`PeerDiverged`, which says so.
    """

    def __init__(self, seed: int, steps: int, batch_size: int) -> None:
        from fairlearn.adversarial import AdversarialFairnessClassifier

        self.model = AdversarialFairnessClassifier(
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
        self.model.max_iter = steps

    def fit(self, X: np.ndarray, y: np.ndarray, *, sensitive_features: np.ndarray) -> Any:
        """Fit the adversarial game; :class:`PeerDiverged` where its weights turn NaN."""
        try:
            self.model.fit(X, y, sensitive_features=sensitive_features)
        except RuntimeError as error:
            if self._weights_finite():
                raise
            raise self._diverged() from error
        if not self._weights_finite():
            raise self._diverged()
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The predictor's class predictions."""
        return self.model.predict(X)

    def _weights_finite(self) -> bool:
        engine = getattr(self.model, "backendEngine_", None)
        if engine is None:
            return True  # it stopped before building its networks: not a divergence
        return all(bool(p.isfinite().all()) for p in engine.predictor_model.parameters())

    def _diverged(self) -> PeerDiverged:
        return PeerDiverged(
            "fairlearn's AdversarialFairnessClassifier diverged: its predictor's weights "
            f"became NaN within {self.model.max_iter} steps (they do once its outputs saturate "
            "at 0 or 1; fairlearn's defaults, alpha 1 and learning rate 1e-3)"
        )
