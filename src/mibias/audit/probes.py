"""Probe classifiers of an attribute from a representation: fitted on training rows, scored on
held-out rows (accuracy, balanced accuracy, and the lower bound on I(z; c) their probabilities
give). :func:`mibias.audit.leakage.audit_leakage` runs them beside the fresh estimators."""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, StratifiedShuffleSplit
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from mibias.audit.settings import CLASSIFIER_KINDS, ProbeKind
from mibias.audit.splits import stratification


def probe_scores(
    z_train: np.ndarray,
    c_train: np.ndarray,
    z_test: np.ndarray,
    c_test: np.ndarray,
    kind: ProbeKind = "mlp",
    seed: int = 0,
) -> dict[str, float]:
    """Held-out ``accuracy`` and ``balanced_accuracy`` of a classifier predicting the
    attribute labels from z, and the lower bound on I(z; c) its probabilities give
    (``nats``, :func:`log_loss_gain`).

    Parameters
    ----------
    kind : {"mlp", "logistic", "svm", "knn", "trees"}
        The classifier (:func:`probe_classifier`).
    """
    model = fit_probe(kind, z_train, c_train, seed)
    predicted = model.predict(z_test)
    with warnings.catch_warnings():
        # a rare group may be predicted where no held-out row has it
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true", UserWarning)
        balanced = balanced_accuracy_score(c_test, predicted)
    return {
        "accuracy": float(np.mean(predicted == c_test)),
        "balanced_accuracy": float(balanced),
        "nats": log_loss_gain(model, z_test, c_test),
    }


def fit_probe(kind: str, z_train: np.ndarray, c_train: np.ndarray, seed: int = 0) -> Any:
    """The probe of ``kind`` (:func:`probe_classifier`) fitted on the rows given; on fewer
    than :data:`SMALL_PROBE_ROWS` of them with one BLAS thread, which is ten times faster
    there than two (an L-BFGS fit on 525 x 64 rows, on 2 cores). The MLP chooses its solver
    on a share of the rows only there, and where that share can be stratified by c
    (:func:`~mibias.audit.splits.stratification`)."""
    small = len(z_train) < SMALL_PROBE_ROWS
    choose_solver = small and stratification(c_train, SOLVER_HELD_OUT) is not None
    with threadpool_limits(1) if small else contextlib.nullcontext(), warnings.catch_warnings():
        # a probe stopped before it converged still gives a held-out lower bound
        warnings.simplefilter("ignore", ConvergenceWarning)
        # the folds of the probes' own cross-validation cannot hold every row of a rare
        # group; the audit says once that a group is rare (RARE_GROUP_ROWS)
        warnings.filterwarnings("ignore", "The least populated class in y", UserWarning)
        warnings.filterwarnings("ignore", "Number of classes in training fold", RuntimeWarning)
        probe = probe_classifier(kind, seed, choose_solver=choose_solver)
        return probe.fit(z_train, c_train)


def log_loss_gain(model: Any, z_test: np.ndarray, c_test: np.ndarray) -> float:
    """Nats by which a fitted probe's held-out log-loss beats the best constant prediction
    there, the held-out rows' own frequencies of c: the Barber-Agakov lower bound on I(z; c),
    H(c) + E[log q(c | z)] for the probe's q, read on rows that took no part in its fit, with
    H(c) their plug-in entropy.

    A probe with no information reads about 0 or below (an overconfident one far below), and
    any constant prediction 0 or below; a positive reading is information about c that z
    carries, however the probe was fitted. On erased word vectors where the fresh MINE
    estimators read 0.00 nats, a calibrated RBF SVM read 0.14 (docs/leakage.md). Against the
    training rows' frequencies instead, which miss the held-out ones where groups are small,
    a probe that learned nothing read up to 0.13 nats (docs/leakage.md, "The log-loss a probe
    must beat"). Held-out rows of a value the probe never saw are left out; where that is
    every one of them, it reads 0, the bound that holds for any z.
    """
    classes = model.classes_
    seen = np.isin(c_test, classes)
    if not seen.any():
        return 0.0
    column = np.searchsorted(classes, c_test[seen])
    probability = model.predict_proba(z_test[seen])[np.arange(len(column)), column]
    counts = np.bincount(column)
    frequency = counts[column] / len(column)
    tiny = np.finfo(np.float64).eps
    return float(np.mean(np.log(np.maximum(probability, tiny)) - np.log(frequency)))


def probe_classifier(kind: str, seed: int = 0, *, choose_solver: bool = False) -> Any:
    """An unfitted probe: ``mlp`` (one hidden layer of 64, trained by Adam with early
    stopping; with ``choose_solver``, for a small sample (:func:`fit_probe`), that or L-BFGS
    at each of :data:`LBFGS_PENALTIES`, whichever has the lowest log-loss on a quarter of the
    training rows, refitted on all of them), ``svm`` (an RBF support vector machine), ``knn``
    (a vote of the nearest training rows by cosine similarity, their number, among
    :data:`KNN_NEIGHBOURS`, chosen by 3-fold cross-validation on the training rows), ``trees``
    (gradient-boosted decision trees, scikit-learn's histogram-based ones, 100 rounds) or
    ``logistic`` (an L2-regularised logistic regression, C = 1). The SVM's scores, the vote and
    the trees' are turned into probabilities by a sigmoid fitted on 5-fold cross-validated
    scores (the trees stopped early instead read 0.55 where they read 0.62 on erased word
    vectors, docs/leakage.md). The non-linear probes read different leaks: where c is left
    in which rows lie next to each other (erased word vectors, docs/erasure-measured.md), the
    vote reads more than the MLP and the SVM; where it is left in thresholds of single columns
    (a ReLU layer's z on Adult, docs/leakage.md), the trees do.

    The logistic regression is solved by Newton-CG: on the 1,024 convolutional features of
    7,000 digits it ended closer to the regularised optimum than lbfgs at its default
    tolerance, and sooner, with numpy's BLAS at 2 threads and at one (``python -m
    benchmarks.linear_probe``, docs/leakage.md).
    """
    if kind == "logistic":
        return LogisticRegression(solver="newton-cg", max_iter=1000)
    if kind == "mlp":
        mlp = MLPClassifier(
            hidden_layer_sizes=(64,), max_iter=300, early_stopping=True, random_state=seed
        )
        if not choose_solver:
            return mlp
        grid = [{"solver": ["adam"]}, {"solver": ["lbfgs"], "alpha": list(LBFGS_PENALTIES)}]
        held_out = StratifiedShuffleSplit(n_splits=1, test_size=SOLVER_HELD_OUT, random_state=seed)
        return GridSearchCV(mlp, grid, scoring="neg_log_loss", cv=held_out)
    if kind == "svm":
        return CalibratedClassifierCV(SVC(kernel="rbf"), ensemble=False)
    if kind == "knn":
        return CalibratedClassifierCV(NeighbourVote(), ensemble=False)
    if kind == "trees":
        trees = HistGradientBoostingClassifier(early_stopping=False, random_state=seed)
        return CalibratedClassifierCV(trees, ensemble=False)
    raise ValueError(f"unknown probe {kind!r}; choose one of {', '.join(CLASSIFIER_KINDS)}")


# the nearest-neighbour probe's choices of how many rows vote
KNN_NEIGHBOURS = (1, 5, 15)


class NeighbourVote(ClassifierMixin, BaseEstimator):
    """A vote of the nearest training rows by cosine similarity, their number chosen among
    ``neighbours`` by stratified ``folds``-fold cross-validation on the training rows (the
    highest mean accuracy over the folds, the first of equal ones), as
    :class:`~sklearn.model_selection.GridSearchCV` over
    :class:`~sklearn.neighbors.KNeighborsClassifier` chooses it, but with one neighbour query
    a fold for every number instead of one a number (``python -m benchmarks.knn_probe``).

    Parameters
    ----------
    neighbours : tuple of int
        The numbers of voting rows to choose from.
    folds : int
        Folds of the cross-validation.

    Attributes
    ----------
    n_neighbors_ : int
        The number chosen.
    vote_ : KNeighborsClassifier
        The vote of that many rows, fitted on every training row.
    classes_ : ndarray
        The class labels.
    """

    def __init__(self, neighbours: tuple[int, ...] = KNN_NEIGHBOURS, folds: int = 3) -> None:
        self.neighbours = neighbours
        self.folds = folds

    def fit(self, X: np.ndarray, y: np.ndarray) -> NeighbourVote:
        """Choose the number of voting rows, then fit the vote on every row."""
        X, y = validate_data(self, X, y)
        classes, codes = np.unique(y, return_inverse=True)
        # a number larger than a fold's training rows cannot vote: scored as the worst
        accuracy = np.full((self.folds, len(self.neighbours)), -np.inf)
        for fold, (train, held) in enumerate(StratifiedKFold(self.folds).split(X, codes)):
            usable = [k for k in self.neighbours if k <= len(train)]
            vote = KNeighborsClassifier(n_neighbors=max(usable), metric="cosine")
            nearest = vote.fit(X[train], codes[train]).kneighbors(X[held], return_distance=False)
            for column, k in enumerate(self.neighbours):
                if k in usable:
                    votes = codes[train][nearest[:, :k], None] == np.arange(len(classes))
                    # the most votes, the first class of equal ones: KNeighborsClassifier's
                    accuracy[fold, column] = np.mean(np.argmax(votes.sum(1), 1) == codes[held])
        self.n_neighbors_ = self.neighbours[int(np.argmax(accuracy.mean(axis=0)))]
        self.vote_ = KNeighborsClassifier(n_neighbors=self.n_neighbors_, metric="cosine")
        self.vote_.fit(X, y)
        self.classes_ = self.vote_.classes_
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The vote's class for each row."""
        check_is_fitted(self)
        return self.vote_.predict(validate_data(self, X, reset=False))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """The share of the voting rows of each class."""
        check_is_fitted(self)
        return self.vote_.predict_proba(validate_data(self, X, reset=False))


# below this many training rows the MLP probe may be fitted by L-BFGS: Adam with early stopping
# stops on a tenth of them and takes one step an epoch below 200 (python -m
# benchmarks.small_probe, docs/leakage.md); L-BFGS, penalised, is chosen where it reads c with
# the lower held-out log-loss, so an overconfident fit on noise is not
SMALL_PROBE_ROWS = 4000
# fewer training rows than this in a group, and the probes' cross-validation (5 folds at most)
# cannot put one in each fold: the audit warns once; where every group has fewer, it cannot
# make its folds and the audit leaves the probes out
RARE_GROUP_ROWS = 5
# the share of a small sample's training rows on which the MLP probe's solver is chosen
SOLVER_HELD_OUT = 0.25
# the L2 penalties (MLPClassifier's alpha) of the L-BFGS candidates
LBFGS_PENALTIES = (1.0, 10.0)
