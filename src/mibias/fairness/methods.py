"""Every method of Table 3 behind one interface: ``fit(X, y, sensitive_features=s)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mibias.baselines.fairness_peers import (
    AdversarialPeer,
    ExponentiatedGradientPeer,
    LinearFERM,
)
from mibias.fairness import EXPERIMENT
from mibias.fairness.classifier import MIFairClassifier
from mibias.methods import find_method


def _mi(criterion: str, estimator: str = "mine") -> Callable[..., Any]:
    def build(seed: int, lam: float, steps: int, batch_size: int, whiten: bool) -> Any:
        return MIFairClassifier(
            lam=lam,
            criterion=criterion,  # type: ignore[arg-type]
            estimator=estimator,
            steps=steps,
            batch_size=batch_size,
            whiten=whiten,
            # the Table 3 recipe measures z's leakage on the test rows; the classifier's own
            # check on its training rows would only repeat it
            check_leakage=False,
            random_state=seed,
        )

    return build


# name -> builder(seed, lam, steps, batch_size, whiten); each method's default lambda and
# description are in the method registry (mibias.methods)
BUILDERS: dict[str, Callable[..., Any]] = {
    "mi": _mi("demographic_parity"),
    "mi-eo": _mi("equal_opportunity"),
    "mi-eodds": _mi("equalized_odds"),
    "nn": lambda seed, lam, steps, batch_size, whiten: _mi("demographic_parity")(
        seed, 0.0, steps, batch_size, whiten
    ),
    "chi2": _mi("equal_opportunity", "chi2"),
    "laftr": _mi("equal_opportunity", "adversary"),
    "ferm": lambda seed, lam, steps, batch_size, whiten: LinearFERM(random_state=seed),
    "expgrad": lambda seed, lam, steps, batch_size, whiten: ExponentiatedGradientPeer(seed),
    "adversarial": lambda seed, lam, steps, batch_size, whiten: AdversarialPeer(
        seed, steps, batch_size
    ),
}


def method_lambda(name: str, lam: float | None) -> float | None:
    """The lambda a run of ``name`` uses (``None`` for methods without one)."""
    return find_method(name, EXPERIMENT).weight(EXPERIMENT, lam)


def build_method(
    name: str,
    seed: int,
    lam: float | None,
    steps: int,
    batch_size: int,
    whiten: bool = MIFairClassifier().whiten,
) -> Any:
    """An unfitted model of method ``name``; ``lam=None`` takes the method's default;
    ``whiten`` is :class:`MIFairClassifier`'s (the methods built on it read it)."""
    chosen = method_lambda(name, lam)
    return BUILDERS[name](seed, 0.0 if chosen is None else chosen, steps, batch_size, whiten)


def positive_scores(model: Any, X: np.ndarray) -> np.ndarray:
    """A score that grows with the predicted chance of the positive class."""
    if hasattr(model, "scores"):
        return model.scores(X)
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, 1]
    if hasattr(model, "decision_function"):
        return model.decision_function(X)
    return model.predict(X).astype(float)
