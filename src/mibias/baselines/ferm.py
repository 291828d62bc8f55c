"""Linear FERM (Donini et al., 2018): equal opportunity for a linear model by projection."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted, validate_data


class LinearFERM(ClassifierMixin, BaseEstimator):
    """A linear SVM on inputs projected so every linear score meets equal opportunity.

    With ``u_g`` the mean input of the positive training rows of group g, a linear model
    ``w . x`` has the same mean score on both groups' positives when ``w . (u_a - u_b) = 0``.
    Projecting the inputs onto the hyperplane orthogonal to ``u_a - u_b`` makes every weight
    vector satisfy it; the SVM is then trained on the projected inputs.

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the SVM.
    random_state : int or None
        Seed of the SVM's coordinate descent.

    Attributes
    ----------
    direction_ : ndarray
        Unit vector ``(u_a - u_b) / |u_a - u_b|`` removed from the inputs.
    svm_ : LinearSVC
        The fitted SVM.
    classes_ : ndarray
        The two class labels.
    """

    def __init__(self, C: float = 1.0, random_state: int | None = None) -> None:
        self.C = C
        self.random_state = random_state

    def fit(self, X: Any, y: Any, *, sensitive_features: Any) -> LinearFERM:
        """Fit on ``X``, ``y`` under equal opportunity for the binary ``sensitive_features``."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"LinearFERM needs binary labels; y has {len(self.classes_)} classes")
        groups = np.asarray(sensitive_features).ravel()
        if len(groups) != len(X):
            raise ValueError(f"sensitive_features has {len(groups)} rows but X has {len(X)}")
        values = np.unique(groups)
        if len(values) != 2:
            raise ValueError(f"LinearFERM needs a binary attribute; got {len(values)} values")
        positive = y == self.classes_[1]
        means = []
        for value in values:
            rows = positive & (groups == value)
            if not rows.any():
                raise ValueError(f"group {value!r} has no positive example")
            means.append(X[rows].mean(axis=0))
        gap = means[0] - means[1]
        norm = np.linalg.norm(gap)
        self.direction_ = gap / norm if norm > 0 else gap
        self.svm_ = LinearSVC(C=self.C, random_state=self.random_state).fit(self._project(X), y)
        return self

    def _project(self, X: np.ndarray) -> np.ndarray:
        return X - np.outer(X @ self.direction_, self.direction_)

    def decision_function(self, X: Any) -> np.ndarray:
        """Signed distance to the separating hyperplane (positive means ``classes_[1]``)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self.svm_.decision_function(self._project(X))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels."""
        return self.classes_[(self.decision_function(X) > 0).astype(int)]
