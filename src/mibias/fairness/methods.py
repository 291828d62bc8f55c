"""Every method of Table 3 behind one interface: ``fit(X, y, sensitive_features=s)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mibias.fairness.classifier import MIFairClassifier
from mibias.fairness.ferm import LinearFERM
from mibias.methods import find_method

# this package's name in the method registry
EXPERIMENT = "fairness"


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


def _adversarial_peer(seed: int, steps: int, batch_size: int) -> Any:
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


def _mi(criterion: str, estimator: str = "mine") -> Callable[..., Any]:
    def build(seed: int, lam: float, steps: int, batch_size: int) -> Any:
        return MIFairClassifier(
            lam=lam,
            criterion=criterion,  # type: ignore[arg-type]
            estimator=estimator,
            steps=steps,
            batch_size=batch_size,
            # the Table 3 recipe measures z's leakage on the test rows; the classifier's own
            # check on its training rows would only repeat it
            check_leakage=False,
            random_state=seed,
        )

    return build


# name -> builder(seed, lam, steps, batch_size); each method's default lambda and description
# are in the method registry (mibias.methods)
BUILDERS: dict[str, Callable[..., Any]] = {
    "mi": _mi("demographic_parity"),
    "mi-eo": _mi("equal_opportunity"),
    "mi-eodds": _mi("equalized_odds"),
    "nn": lambda seed, lam, steps, batch_size: _mi("demographic_parity")(
        seed, 0.0, steps, batch_size
    ),
    "chi2": _mi("equal_opportunity", "chi2"),
    "laftr": _mi("equal_opportunity", "adversary"),
    "ferm": lambda seed, lam, steps, batch_size: LinearFERM(random_state=seed),
    "expgrad": lambda seed, lam, steps, batch_size: ExponentiatedGradientPeer(seed),
    "adversarial": lambda seed, lam, steps, batch_size: _adversarial_peer(seed, steps, batch_size),
}


def method_lambda(name: str, lam: float | None) -> float | None:
    """The lambda a run of ``name`` uses (``None`` for methods without one)."""
    return find_method(name, EXPERIMENT).weight(EXPERIMENT, lam)


def build_method(name: str, seed: int, lam: float | None, steps: int, batch_size: int) -> Any:
    """An unfitted model of method ``name``; ``lam=None`` takes the method's default."""
    chosen = method_lambda(name, lam)
    return BUILDERS[name](seed, 0.0 if chosen is None else chosen, steps, batch_size)


def positive_scores(model: Any, X: np.ndarray) -> np.ndarray:
    """A score that grows with the predicted chance of the positive class."""
    if hasattr(model, "scores"):
        return model.scores(X)
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    if hasattr(model, "decision_function"):
        return model.decision_function(X)
    return model.predict(X).astype(float)
