"""Linear erasers of an attribute from given vectors, the peers of :class:`mibias.MIEraser`:
LEACE (least-squares concept erasure, through the optional ``concept-erasure`` package),
INLP (iterative nullspace projection, Ravfogel et al. 2020) and the projection of the
attribute's direction (Bolukbasi et al.'s hard debiasing without its equalisation).

Each guarantees, at best, that no *linear* classifier recovers the attribute; a nonlinear one
often still does (Gonen and Goldberg 2019). All share :class:`AttributeEraser`'s interface.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted, validate_data

from mibias.estimators.attributes import (
    MAX_CATEGORIES,
    AttributeEncoder,
    AttributeKind,
    kind_of,
)
from mibias.inputs import (
    as_array,
    checked_sensitive_features,
    continuous_attribute,
    refuse_categorical_columns,
    refuse_missing_values,
    whole_number,
)
from mibias.user_warnings import warn

# erased rows whose total variance is at most this share of X's: every row maps to one vector
COLLAPSED = 1e-6


class AttributeEraser(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """A transformer fitted with ``fit(X, y=None, *, sensitive_features=c)`` whose
    ``transform(X)`` returns X with the attribute c removed, as float32.

    The output keeps X's width and each column its place, so its columns keep X's names
    (``get_feature_names_out``), and ``set_output(transform="pandas")`` returns a DataFrame
    with them.

    Subclasses implement ``_fit(X, attribute, y)`` and ``_transform(X)`` on validated float32
    arrays. ``attribute`` holds one value per row: the integer code of its group (``groups_``
    lists them), or, for a continuous attribute (``groups_`` is None, only where the class
    sets ``reads_continuous``), the number itself; :meth:`_attribute_matrix` encodes either
    for an estimator.
    """

    # whether fit takes a continuous attribute: a numeric one with more distinct values than
    # MAX_CATEGORIES, which the other erasers refuse (they compare the groups' rows)
    reads_continuous: ClassVar[bool] = False

    def fit(self, X: Any, y: Any = None, *, sensitive_features: Any = None) -> AttributeEraser:
        """Learn to erase ``sensitive_features`` from ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric vectors.
        y : array-like of shape (n_samples,), optional
            A task whose information the eraser keeps, where it uses one.
        sensitive_features : array-like of shape (n_samples,)
            The attribute to remove: categorical (strings, booleans or integer codes). More
            distinct numbers than :data:`~mibias.estimators.attributes.MAX_CATEGORIES` make a
            continuous attribute (an age, say): :class:`~mibias.MIEraser` and
            :class:`LeaceEraser` erase it as it is, the other erasers refuse it (put it in
            bins first). Without it nothing is erased (``transform`` returns X), with a
            warning.

        Raises
        ------
        ValueError
            With non-numeric columns, or an attribute that has missing values, a single group
            or another row count than ``X``.
        """
        refuse_categorical_columns(X)
        if y is not None:
            self.check_task(y)
        X = validate_data(self, X, dtype=np.float32, force_writeable=True)
        self.erases_ = sensitive_features is not None
        if not self.erases_:
            warn(
                f"{type(self).__name__}.fit got no sensitive_features: nothing is erased "
                "(transform returns X unchanged)",
                UserWarning,
            )
            self.groups_ = np.array([], dtype=str)
            return self
        values = self.checked_attribute(sensitive_features, len(X)).reshape(-1)
        attribute: np.ndarray
        if continuous_attribute(values, MAX_CATEGORIES):
            self.groups_, attribute = None, values.astype(np.float64)
        else:
            self.groups_, attribute = np.unique(values.astype(str), return_inverse=True)
        self._fit(X, attribute, None if y is None else np.asarray(y))
        spread, total = (float(np.var(rows, axis=0).sum()) for rows in (self._transform(X), X))
        if total > 0 and spread <= COLLAPSED * total:
            advice = (
                ": keep more columns"
                if self.groups_ is None
                else " (a linear eraser may remove one fewer than the attribute's groups, "
                f"here {len(self.groups_)}): merge groups or keep more columns"
            )
            warn(
                f"{type(self).__name__} maps every row to the same vector: it erased all of "
                f"X's {X.shape[1]} directions{advice}",
                UserWarning,
            )
        return self

    @property
    def attribute_kind(self) -> AttributeKind:
        """How the fitted eraser read its attribute, ``categorical`` or ``continuous`` (``auto``
        where it was fitted without one): the kind to read other rows of it as
        (``audit_leakage``'s ``attribute_kind``)."""
        check_is_fitted(self)
        return kind_of(self.groups_) if self.erases_ else "auto"

    def _attribute_matrix(self, attribute: np.ndarray) -> np.ndarray:
        """``attribute`` (as :meth:`_fit` gets it) as an estimator reads it, float32: the
        groups' one-hot columns, or a continuous attribute standardised, one column."""
        if self.groups_ is None:
            return AttributeEncoder(kind="continuous").fit_transform(attribute).numpy()
        return np.eye(len(self.groups_), dtype=np.float32)[attribute]

    @classmethod
    def checked_attribute(
        cls, values: Any, n_rows: int, *, name: str = "sensitive_features"
    ) -> np.ndarray:
        """The attribute ``values`` as an array, after the checks :meth:`fit` makes of
        ``sensitive_features`` (one column of at least two groups, no missing values, at most
        :data:`~mibias.estimators.attributes.MAX_CATEGORIES` distinct numbers unless the
        class ``reads_continuous``, ``n_rows`` rows); ``name`` is what the messages call it.

        Raises
        ------
        ValueError
            When a check fails.
        """
        limit = None if cls.reads_continuous else MAX_CATEGORIES
        values = checked_sensitive_features(values, n_rows, max_groups=limit, name=name)
        if values.ndim > 1 and values.shape[1] != 1:
            raise ValueError(
                f"{name} has {values.shape[1]} columns; erase one attribute at a "
                "time (or combine them into one column of group names)"
            )
        return values

    @staticmethod
    def check_task(values: Any, *, name: str = "y") -> None:
        """The checks :meth:`fit` makes of ``y``: one label per row, none missing (None or
        NaN); ``name`` is what the messages call it.

        Raises
        ------
        ValueError
            For a single value, or naming the first row with a missing label.
        """
        if as_array(values).ndim == 0:
            raise ValueError(f"{name} must hold one label per row, got the single value {values!r}")
        refuse_missing_values(values, name)

    def transform(self, X: Any) -> np.ndarray:
        """``X`` without the attribute, shape ``(n_samples, n_features)``, float32."""
        check_is_fitted(self)
        refuse_categorical_columns(X)
        X = validate_data(self, X, dtype=np.float32, reset=False, force_writeable=True)
        return self._transform(X).astype(np.float32, copy=False) if self.erases_ else X

    def fit_transform(
        self, X: Any, y: Any = None, *, sensitive_features: Any = None, **_: Any
    ) -> np.ndarray:
        """:meth:`fit`, then :meth:`transform` of the same rows."""
        return self.fit(X, y, sensitive_features=sensitive_features).transform(X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.target_tags.required = False
        return tags

    def _fit(self, X: np.ndarray, attribute: np.ndarray, y: np.ndarray | None) -> None:
        raise NotImplementedError

    def _transform(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def nullspace_projection(directions: np.ndarray, dim: int) -> np.ndarray:
    """The orthogonal projection onto the complement of the span of ``directions``.

    Parameters
    ----------
    directions : ndarray of shape (n_directions, dim)
        The directions to remove, one per row (none: the identity).
    dim : int
        The width of the space.

    Returns
    -------
    ndarray of shape (dim, dim)
        The projection, float64.
    """
    if len(directions) == 0:
        return np.eye(dim, dtype=np.float64)
    u, s, _ = np.linalg.svd(directions.T.astype(np.float64), full_matrices=False)
    basis = u[:, s > s.max() * 1e-8]
    return np.eye(dim) - basis @ basis.T


class ProjectionEraser(AttributeEraser):
    """Project out the attribute's direction(s).

    Without ``directions`` they are the differences between each group's mean and the first
    group's (one direction for two groups), as the class-mean direction of hard debiasing.

    Parameters
    ----------
    directions : array-like of shape (n_directions, n_features), optional
        Directions to remove, for example a word-embedding's ``he - she``.
    """

    def __init__(self, directions: Any = None) -> None:
        self.directions = directions

    def _fit(self, X: np.ndarray, codes: np.ndarray, y: np.ndarray | None) -> None:
        if self.directions is not None:
            directions = np.atleast_2d(np.asarray(self.directions, dtype=np.float64))
            if directions.shape[1] != X.shape[1]:
                raise ValueError(
                    f"directions have {directions.shape[1]} columns but X has {X.shape[1]}"
                )
        else:
            means = np.stack([X[codes == g].mean(0) for g in range(len(self.groups_))])
            directions = means[1:] - means[0]
        self.projection_ = nullspace_projection(directions, X.shape[1])

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return X @ self.projection_


class INLPEraser(AttributeEraser):
    """Iterative nullspace projection (Ravfogel et al., 2020).

    Repeatedly fits a linear classifier (logistic regression) of the attribute on the
    projected vectors and adds its weight vectors to the removed span, until the classifier's
    accuracy on a held-out quarter of the rows is within ``tolerance`` of the majority rate or
    ``max_iterations`` classifiers were removed.

    Parameters
    ----------
    max_iterations : int
        Most classifiers whose directions are removed.
    tolerance : float
        Stop when held-out accuracy is at most the majority rate plus this.
    random_state : int or None
        Seeds the held-out split.

    Attributes
    ----------
    projection_ : ndarray of shape (n_features, n_features)
        The projection applied by ``transform``.
    n_iterations_ : int
        Classifiers removed.
    """

    def __init__(
        self, max_iterations: int = 30, tolerance: float = 0.01, random_state: int | None = 0
    ) -> None:
        self.max_iterations = max_iterations
        self.tolerance = tolerance
        self.random_state = random_state

    def _fit(self, X: np.ndarray, codes: np.ndarray, y: np.ndarray | None) -> None:
        if self.max_iterations < 1:
            raise ValueError(f"max_iterations must be >= 1, got {self.max_iterations}")
        # the classifiers read the rows centred (the mean in float64): the removed directions
        # are the same, but on columns far from zero (around 10,000, varying by 1) lbfgs did not
        # converge, and the directions it found left the attribute to a linear probe
        centred = (X - X.mean(0, dtype=np.float64)).astype(X.dtype)
        train, held, c_train, c_held = train_test_split(
            centred, codes, test_size=0.25, stratify=codes, random_state=self.random_state
        )
        majority = np.bincount(c_held).max() / len(c_held)
        directions = np.zeros((0, X.shape[1]))
        projection = np.eye(X.shape[1])
        self.n_iterations_ = 0
        for _ in range(self.max_iterations):
            probe = LogisticRegression(max_iter=1000).fit(train @ projection, c_train)
            if probe.score(held @ projection, c_held) <= majority + self.tolerance:
                break
            directions = np.vstack([directions, probe.coef_])
            projection = nullspace_projection(directions, X.shape[1])
            self.n_iterations_ += 1
        self.projection_ = projection

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return X @ self.projection_


class LeaceEraser(AttributeEraser):
    """LEACE, least-squares concept erasure (Belrose et al., 2023), from the optional
    ``concept-erasure`` package (``pip install 'mibias[erase]'``): the smallest affine change
    of X (in the least-squares sense) after which no linear classifier beats a constant.

    Parameters
    ----------
    second_order_directions : int
        After LEACE, also project out this many directions along which the groups'
        covariances differ most (:func:`differing_spread_directions`): the differences of spread
        that a nonlinear probe still reads once the groups' means agree. The projection runs
        through the erased fitting rows' mean, so no linear probe reads the attribute after it
        either; each direction costs some of X's geometry. 0: LEACE alone, the only choice
        for a continuous attribute, which has no groups to compare.

    Attributes
    ----------
    second_order_ : ndarray of shape (n_features, n_features) or None
        The projection applied after LEACE, or ``None`` without second-order directions.
    second_order_mean_ : ndarray of shape (n_features,) or None
        The point it runs through: the LEACE'd fitting rows' mean.
    """

    # LEACE removes what X shares linearly with a number as with a group's one-hot column
    reads_continuous = True

    # the default is declared for the command line in mibias.erasure.settings.LEACE_ERASER
    def __init__(self, second_order_directions: int = 0) -> None:
        self.second_order_directions = second_order_directions

    def _fit(self, X: np.ndarray, attribute: np.ndarray, y: np.ndarray | None) -> None:
        count = self.second_order_directions
        if not whole_number(count):
            raise ValueError(f"second_order_directions must be a whole number, got {count!r}")
        if not 0 <= count < X.shape[1]:
            raise ValueError(
                f"second_order_directions must be at least 0 and less than X's "
                f"{X.shape[1]} columns, got {count}"
            )
        if count and self.groups_ is None:
            raise ValueError(
                "second_order_directions compares the groups' covariances: it needs a "
                "categorical attribute, and this one is continuous (put it in bins first)"
            )
        try:
            with warnings.catch_warnings():
                # its decorators use torch.jit.script, which torch now calls deprecated
                warnings.simplefilter("ignore", DeprecationWarning)
                from concept_erasure import LeaceEraser as Leace
        except ImportError as missing:
            raise ImportError(
                "the leace method needs the optional package concept-erasure: "
                "pip install 'mibias[erase]'"
            ) from missing
        encoded = torch.from_numpy(self._attribute_matrix(attribute)).double()
        self.eraser_ = Leace.fit(torch.from_numpy(X).double(), encoded)
        self.second_order_ = self.second_order_mean_ = None
        if count:
            erased = self._leace(X)
            directions = differing_spread_directions(erased, attribute, count)
            self.second_order_ = nullspace_projection(directions, X.shape[1])
            self.second_order_mean_ = erased.mean(0)

    def _leace(self, X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.eraser_(torch.from_numpy(X).double()).numpy()

    def _transform(self, X: np.ndarray) -> np.ndarray:
        erased = self._leace(X)
        if self.second_order_ is None:
            return erased
        mean = self.second_order_mean_
        return (erased - mean) @ self.second_order_ + mean


def differing_spread_directions(X: np.ndarray, codes: np.ndarray, n_directions: int) -> np.ndarray:
    """The ``n_directions`` directions along which the groups' covariances differ most from
    that of all the rows: the leading eigenvectors of sum_g p_g (S_g - S)^2 (S_g: group g's
    covariance, p_g its share of the rows, S the covariance of all of them). A group of one
    row has no covariance and adds nothing.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows (after a linear eraser, whose guarantee a projection keeps).
    codes : ndarray of shape (n_samples,)
        Each row's group, an integer code.
    n_directions : int
        How many directions.

    Returns
    -------
    ndarray of shape (n_directions, n_features)
        Orthonormal directions, one per row, the largest difference first.
    """
    X = X.astype(np.float64, copy=False)
    pooled = np.cov(X, rowvar=False)
    spread = np.zeros_like(pooled)
    for group in np.unique(codes):
        rows = X[codes == group]
        if len(rows) > 1:
            difference = np.cov(rows, rowvar=False) - pooled
            spread += len(rows) / len(X) * difference @ difference
    values, vectors = np.linalg.eigh(spread)
    return vectors[:, np.argsort(-values)[:n_directions]].T
