"""How much does a representation leak an attribute? Held-out MI estimates and a probe."""

from __future__ import annotations

import contextlib
import math
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.calibration import CalibratedClassifierCV
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedShuffleSplit, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from mibias.audit.settings import AUDIT, PROBES, ProbeKind
from mibias.estimators import (
    AttributeEncoder,
    InfoNCE,
    MIEstimator,
    derangement,
    make_estimator,
)
from mibias.io import InputError
from mibias.training.estimator_updates import EstimatorUpdater


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
    kind : {"mlp", "logistic", "svm", "knn"}
        The classifier (:func:`probe_classifier`).
    """
    model = fit_probe(kind, z_train, c_train, seed)
    predicted = model.predict(z_test)
    return {
        "accuracy": float(np.mean(predicted == c_test)),
        "balanced_accuracy": float(balanced_accuracy_score(c_test, predicted)),
        "nats": log_loss_gain(model, z_test, c_test, c_train),
    }


def fit_probe(kind: str, z_train: np.ndarray, c_train: np.ndarray, seed: int = 0) -> Any:
    """The probe of ``kind`` (:func:`probe_classifier`) fitted on the rows given; on fewer
    than :data:`SMALL_PROBE_ROWS` of them with one BLAS thread, which is ten times faster
    there than two (an L-BFGS fit on 525 x 64 rows, on 2 cores). The MLP chooses its solver
    on a share of the rows only there, and where each value of c has two rows or more to
    split."""
    small = len(z_train) < SMALL_PROBE_ROWS
    choose_solver = small and np.unique(c_train, return_counts=True)[1].min() >= 2
    with threadpool_limits(1) if small else contextlib.nullcontext(), warnings.catch_warnings():
        # a probe stopped before it converged still gives a held-out lower bound
        warnings.simplefilter("ignore", ConvergenceWarning)
        probe = probe_classifier(kind, seed, choose_solver=choose_solver)
        return probe.fit(z_train, c_train)


def log_loss_gain(model: Any, z_test: np.ndarray, c_test: np.ndarray, c_train: np.ndarray) -> float:
    """Nats by which a fitted probe's held-out log-loss beats the constant prediction of the
    training rows' attribute frequencies: the Barber-Agakov lower bound on I(z; c),
    H(c) + E[log q(c | z)] for the probe's q, read on rows that took no part in its fit.

    A probe with no information reads about 0 or below (an overconfident one far below); any
    positive reading is information about c that z carries, however the probe was fitted.
    On erased word vectors where the fresh MINE estimators read 0.00 nats, a calibrated RBF
    SVM read 0.14 (docs/leakage.md). Held-out rows of a value the probe never saw are left
    out.
    """
    classes = model.classes_
    seen = np.isin(c_test, classes)
    column = np.searchsorted(classes, c_test[seen])
    probability = model.predict_proba(z_test[seen])[np.arange(len(column)), column]
    prior = np.array([np.mean(c_train == value) for value in classes])[column]
    tiny = np.finfo(np.float64).eps
    return float(np.mean(np.log(np.maximum(probability, tiny)) - np.log(prior)))


def probe_classifier(kind: str, seed: int = 0, *, choose_solver: bool = False) -> Any:
    """An unfitted probe: ``mlp`` (one hidden layer of 64, trained by Adam with early
    stopping; with ``choose_solver``, for a small sample (:func:`fit_probe`), that or L-BFGS
    at each of :data:`LBFGS_PENALTIES`, whichever has the lowest log-loss on a quarter of the
    training rows, refitted on all of them), ``svm`` (an RBF support vector machine), ``knn``
    (a vote of the nearest training rows by cosine similarity, their number, among
    :data:`KNN_NEIGHBOURS`, chosen by 3-fold cross-validation on the training rows) or
    ``logistic`` (an L2-regularised logistic regression, C = 1). The
    SVM's scores and the vote are turned into probabilities by a sigmoid fitted on 5-fold
    cross-validated scores. The non-linear probes read different leaks: where c is left in
    which rows lie next to each other (erased word vectors, docs/erasure.md), the vote reads
    more than the MLP and the SVM.

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
        held_out = StratifiedShuffleSplit(n_splits=1, test_size=0.25, random_state=seed)
        return GridSearchCV(mlp, grid, scoring="neg_log_loss", cv=held_out)
    if kind == "svm":
        return CalibratedClassifierCV(SVC(kernel="rbf"), ensemble=False)
    if kind == "knn":
        vote = KNeighborsClassifier(metric="cosine")
        chosen = GridSearchCV(vote, {"n_neighbors": KNN_NEIGHBOURS}, cv=3)
        return CalibratedClassifierCV(chosen, ensemble=False)
    raise ValueError(f"unknown probe {kind!r}; choose mlp, logistic, svm or knn")


# the nearest-neighbour probe's choices of how many rows vote
KNN_NEIGHBOURS = (1, 5, 15)
# below this many training rows the MLP probe may be fitted by L-BFGS: Adam with early stopping
# stops on a tenth of them and takes one step an epoch below 200 (python -m
# benchmarks.small_probe, docs/leakage.md); L-BFGS, penalised, is chosen where it reads c with
# the lower held-out log-loss, so an overconfident fit on noise is not
SMALL_PROBE_ROWS = 4000
# the L2 penalties (MLPClassifier's alpha) of the L-BFGS candidates
LBFGS_PENALTIES = (1.0, 10.0)


# the leakage columns (:meth:`AuditResult.columns`) a results table shows, in order
LEAKAGE_COLUMNS: tuple[str, ...] = (
    "leak_mi_nats",
    "leak_bound_nats",
    *(f"probe_{kind}" for kind in PROBES),
    "majority",
)
# the prefix of a probe that reads z whitened (:func:`whitened_components`): a direction of z
# that carries the attribute counts however little z varies along it
WHITENED = "whitened_"
# a probe reads the attribute when it beats the majority rate by more than this (and by three
# standard errors); the fairness benchmarks' leakage target accepts about as much (Adult: an
# MLP probe of 0.72 against a majority rate of 0.68)
PROBE_MARGIN = 0.05
# the check disagrees with a run's own final estimate when it reads more by more than this: far
# above one fresh estimator's spread
DISAGREEMENT_NATS = 0.1


@dataclass
class AuditResult:
    """Outcome of :func:`audit_leakage`: the independent leakage measurement.

    Attributes
    ----------
    dims, estimator_dims : int
        Columns of z, and of what the MI estimators read (its leading principal components
        when z is wider than the audit's ``max_dims``).
    mi_nats, mi_nats_std : float
        Held-out MI estimate of freshly trained estimators, averaged over restarts, and its
        standard deviation.
    mi_bits, mi_bits_std : float
        The same in bits.
    restarts_nats : list of float
        The held-out estimate of each restart.
    probes : dict
        For a single categorical attribute: per probe kind (``mlp``, ``logistic``,
        ``whitened_mlp``) its held-out ``accuracy`` and ``balanced_accuracy`` predicting the
        attribute from z, and ``nats``, the lower bound on I(z; c) its held-out log-loss
        gives (:func:`log_loss_gain`).
    probe_nats : float
        The largest of the probes' bounds (NaN without probes).
    bound_nats : float
        The larger of the fresh estimators' ``mi_nats`` and ``probe_nats``: every reading is a
        lower bound on I(z; c) taken on held-out rows, so the largest is the audit's reading.
    majority_accuracy : float or None
        Held-out accuracy of always predicting the most frequent training value (the rate a
        probe must beat to have read anything; its balanced accuracy is 1 / groups).
    """

    estimator: str
    attribute: str
    n_train: int
    n_test: int
    dims: int
    estimator_dims: int
    mi_nats: float
    mi_nats_std: float
    restarts_nats: list[float] = field(default_factory=list)
    probes: dict[str, dict[str, float]] = field(default_factory=dict)
    majority_accuracy: float | None = None

    @property
    def mi_bits(self) -> float:
        return self.mi_nats / math.log(2)

    @property
    def mi_bits_std(self) -> float:
        return self.mi_nats_std / math.log(2)

    @property
    def probe_nats(self) -> float:
        return max((scores["nats"] for scores in self.probes.values()), default=math.nan)

    @property
    def bound_nats(self) -> float:
        return max(self.mi_nats, *(scores["nats"] for scores in self.probes.values()))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dictionary, bits and the bounds included."""
        return {
            **asdict(self),
            "mi_bits": self.mi_bits,
            "mi_bits_std": self.mi_bits_std,
            "probe_nats": self.probe_nats,
            "bound_nats": self.bound_nats,
        }

    def columns(self) -> dict[str, float]:
        """The leakage columns every results table carries, flat: ``leak_mi_nats``,
        ``leak_mi_std``, ``leak_bound_nats`` (:attr:`bound_nats`), ``probe_{kind}``,
        ``probe_{kind}_balanced`` and ``probe_{kind}_nats`` per probe, and ``majority``."""
        row = {
            "leak_mi_nats": self.mi_nats,
            "leak_mi_std": self.mi_nats_std,
            "leak_bound_nats": self.bound_nats,
        }
        for kind, scores in self.probes.items():
            row[f"probe_{kind}"] = scores["accuracy"]
            row[f"probe_{kind}_balanced"] = scores["balanced_accuracy"]
            row[f"probe_{kind}_nats"] = scores["nats"]
        if self.majority_accuracy is not None:
            row["majority"] = self.majority_accuracy
        return row

    @staticmethod
    def column_names(attribute: str) -> dict[str, str]:
        """Table headings of the columns a results table reports (:meth:`columns` of both
        probes, the majority rate and the MI estimate), for an attribute called
        ``attribute``."""
        return {
            "probe_mlp": f"{attribute} read from z, MLP probe",
            "probe_logistic": f"{attribute} read from z, linear probe",
            "probe_whitened_mlp": f"{attribute} read from whitened z, MLP probe",
            "majority": f"{attribute}, majority rate",
            "leak_mi_nats": f"fresh I(z; {attribute}), nats",
            "leak_bound_nats": f"I(z; {attribute}) at least, nats (estimators and probes)",
        }

    def reading_probes(self) -> dict[str, float]:
        """The probes that read the attribute: held-out accuracy above the majority rate by
        more than :data:`PROBE_MARGIN` and by three standard errors of an accuracy at that
        rate on the held-out rows; their accuracies by kind."""
        if self.majority_accuracy is None or self.n_test == 0:
            return {}
        rate = self.majority_accuracy
        margin = max(PROBE_MARGIN, 3 * math.sqrt(rate * (1 - rate) / self.n_test))
        return {
            kind: scores["accuracy"]
            for kind, scores in self.probes.items()
            if scores["accuracy"] > rate + margin
        }

    def reads_above(self, trained_mi: float, *, independent: bool = True) -> float | None:
        """The check's reading of I(z; c) when it exceeds ``trained_mi`` (a run's own final
        estimate, in nats) by more than :data:`DISAGREEMENT_NATS`, else None. The reading is
        :attr:`bound_nats`, the largest of the fresh estimators' and the probes' bounds, or the
        fresh estimators' alone when z was not trained to be ``independent`` of the attribute
        (only given the label, which may carry it)."""
        read = self.bound_nats if independent else self.mi_nats
        return read if read > trained_mi + DISAGREEMENT_NATS else None

    def summary_line(self, name: str = "c", trained_mi: float | None = None) -> str:
        """The check in one line, for a run's log: the largest held-out reading of
        I(z; ``name``), the fresh estimators', each probe's accuracy beside the majority rate,
        and whether z still carries the attribute: a probe reads it
        (:meth:`reading_probes`), or it reads more than ``trained_mi``, the run's own final
        MI estimate in nats (:meth:`reads_above`)."""
        line = (
            f"the check of z on {self.n_test} held-out rows: I(z; {name}) at least "
            f"{self.bound_nats:.3f} nats (fresh estimators {self.mi_nats:.3f})"
        )
        if self.probes:
            accuracies = ", ".join(
                f"{kind} {scores['accuracy']:.3f}" for kind, scores in self.probes.items()
            )
            line += f"; probes {accuracies} (majority {self.majority_accuracy:.3f})"
        found = []
        if self.reading_probes():
            found.append("probes read it")
        if trained_mi is not None and self.reads_above(trained_mi) is not None:
            found.append(f"the run's own estimate reads {trained_mi:.3f} nats")
        return line + (f": z still carries {name} ({'; '.join(found)})" if found else "")

    def lines(self) -> list[str]:
        """A human-readable summary, one fact a line."""
        out = [
            f"held-out I(Z; C) = {self.mi_nats:.4f} +- {self.mi_nats_std:.4f} nats "
            f"({self.mi_bits:.4f} bits), {self.estimator}, {len(self.restarts_nats)} restarts, "
            f"{self.n_train} fit / {self.n_test} held-out rows"
            + (
                f", on the leading {self.estimator_dims} principal components of {self.dims}"
                if self.estimator_dims < self.dims
                else ""
            )
        ]
        for kind, scores in self.probes.items():
            out.append(
                f"probe ({kind}) held-out accuracy: {scores['accuracy']:.4f}, balanced "
                f"{scores['balanced_accuracy']:.4f} (always the majority value: "
                f"{self.majority_accuracy:.4f}); its log-loss reads I(Z; C) >= "
                f"{scores['nats']:.4f} nats"
            )
        if self.probes:
            out.append(
                f"I(Z; C) is at least {self.bound_nats:.4f} nats: the largest held-out reading "
                "of the estimators and the probes"
            )
        return out


def header_hint(z: np.ndarray, c: np.ndarray, name: str) -> str:
    """Where ``c`` has one row more than ``z`` and its first value is a text that never comes
    again (a column of labels whose name heads it, which a text file cannot tell apart from a
    label): the question to end the row-count error with; else nothing."""
    if len(c) != len(z) + 1 or c.size != len(c) or c.dtype.kind not in "OUS":
        return ""
    labels = c.reshape(-1)
    first = labels[0]
    if (labels[1:] == first).any():
        return ""
    return f" (is {str(first)!r}, on {name}'s first line, a header?)"


def validate_pair(z: np.ndarray, c: np.ndarray, names: tuple[str, str] = ("Z", "C")) -> np.ndarray:
    """Check an embedding matrix and its attribute; returns ``z`` as a 2-D float array.
    ``names`` are what the messages call them.

    Raises
    ------
    InputError
        On wrong dimensions, mismatched row counts, non-numeric or non-finite values (of an
        attribute: in a matrix of several columns), too few rows, or a constant attribute.
    """
    zn, cn = names
    if z.ndim not in (1, 2):
        raise InputError(f"{zn} must be a matrix (rows x features), got shape {z.shape}")
    if c.ndim not in (1, 2):
        raise InputError(f"{cn} must be a vector or a matrix, got shape {c.shape}")
    if len(z) != len(c):
        raise InputError(f"{zn} has {len(z)} rows but {cn} has {len(c)}{header_hint(z, c, cn)}")
    if c.ndim == 2 and c.shape[1] > 1 and c.dtype.kind not in "biuf":
        raise InputError(
            f"{cn} has {c.shape[1]} columns, not all numeric: give its labels as one column, or "
            "a numeric matrix"
        )
    if z.dtype.kind not in "biuf":
        raise InputError(f"{zn} must be numeric, got values of type {z.dtype}")
    z = z.reshape(len(z), -1).astype(np.float32)
    if not np.all(np.isfinite(z)):
        bad = np.argwhere(~np.isfinite(z))[0]
        raise InputError(f"{zn} contains NaN or inf (first at row {bad[0]}, column {bad[1]})")
    if c.dtype.kind == "f" and not np.all(np.isfinite(c)):
        raise InputError(f"{cn} contains NaN or inf")
    if len(z) < 20:
        raise InputError(f"at least 20 rows are needed for a held-out estimate, got {len(z)}")
    if np.all(c == c[:1]):
        raise InputError(f"{cn} is constant: there is no information to leak")
    return z


def audit_leakage(
    z: np.ndarray,
    c: np.ndarray,
    *,
    estimator: str = AUDIT.estimator,
    restarts: int = AUDIT.restarts,
    steps: int = AUDIT.steps,
    batch_size: int = AUDIT.batch_size,
    lr: float = AUDIT.lr,
    hidden: Sequence[int] = AUDIT.hidden,
    activation: str = AUDIT.activation,
    max_dims: int = AUDIT.max_dims,
    test_size: float = AUDIT.test_size,
    probes: Sequence[ProbeKind] = PROBES,
    seed: int = 0,
    progress: bool = True,
    patience: float | None = AUDIT.patience,
) -> AuditResult:
    """Estimate I(z; c) on held-out rows, with its spread over restarts, and a probe.

    The rows are split into training and held-out parts; ``z`` is standardised with training
    statistics and ``c`` encoded by an :class:`~mibias.estimators.AttributeEncoder` fit on the
    training part; the estimators read the held-out rows clipped to the training rows' range
    (:func:`leading_components`). Each restart trains a fresh estimator for up to ``steps``
    steps on 80 % of the training rows (fewer with ``patience``), keeps the weights that score
    best on the other 20 % (estimators overfit small samples, which drives held-out bounds
    below zero), and reports its bound on the held-out rows, which took no part in training
    or in that choice. Marginal samples pair every z with another row's c
    (:func:`~mibias.estimators.derangement`). For a single categorical attribute, probe
    classifiers are fitted on the training part and scored on the held-out part, beside the
    majority-value rate.

    Parameters
    ----------
    z : ndarray of shape (N, d)
        The representation.
    c : ndarray of shape (N,) or (N, k)
        The attribute: labels (any values) or a numeric matrix.
    estimator : str
        Name understood by :func:`~mibias.estimators.make_estimator`.
    restarts, steps, batch_size, lr, hidden, activation
        Number of independently initialised estimators and how each is trained. The critic
        is smooth (``gelu``) by default: the optimal critic of two correlated variables is
        curved (``python -m benchmarks.audit_accuracy --activation leaky_relu`` compares).
        4,000 steps of 1,024 rows: on correlated Gaussians (2.554 nats) 2,000 steps of 256
        read 0.08 nats low, these about 0.03 (docs/leakage.md).
    max_dims : int
        A wider z reaches the estimators as its leading ``max_dims`` principal components
        (of the raw z, fitted on the training part; the probes still read all of z). A function of z
        carries no more information than z, so the estimate stays a lower bound; without it,
        estimators overfit wide features (1,024 convolutional features of 7,000 digits: one
        restart in three read -31 nats held out, docs/leakage.md).
    test_size : float
        Held-out fraction.
    probes : sequence of {"mlp", "logistic", "whitened_mlp", "svm", "knn"}
        Classifiers predicting a single categorical attribute from z (none: empty;
        :func:`probe_classifier`), each column standardised; ``whitened_mlp`` is the MLP on
        z whitened (its leading ``max_dims`` principal components, each standardised:
        :func:`whitened_components`). Per-column scaling hides a direction along which z
        hardly varies: on Adult rows whose sex an eraser had pushed into such directions, the
        MLP read the majority rate and the whitened MLP almost every row (docs/erasure.md).
    seed : int
        Seed of the split and of every restart.
    progress : bool
        Show a progress bar on a terminal; elsewhere (a log file, a pipe) one plain line on
        stderr per estimator and per probe, with what it read and how long it took.
    patience : float or None
        Stop a restart early once this share of ``steps`` has passed without its score on
        the rows kept aside rising by more than :data:`GAIN_NATS` (the weights kept are the
        best scored, as without it); ``None`` trains every step. Chosen against every step
        on correlated Gaussians and on the Table 3 representations of validation rows
        (``python -m benchmarks.audit_patience``, docs/leakage.md).
    """
    z = validate_pair(z, c)
    problems = [
        message
        for message, allowed in (
            (f"test_size must be between 0 and 1, got {test_size}", 0 < test_size < 1),
            *(
                (f"{name} must be at least 1, got {value}", value >= 1)
                for name, value in (
                    ("restarts", restarts),
                    ("steps", steps),
                    ("max_dims", max_dims),
                )
            ),
            (f"batch_size must be at least 2, got {batch_size}", batch_size >= 2),
            (f"lr must be > 0, got {lr}", lr > 0),
            (f"seed must be >= 0, got {seed}", seed >= 0),
            (
                f"patience must be a share of the steps in (0, 1], got {patience}",
                patience is None or 0 < patience <= 1,
            ),
        )
        if not allowed
    ]
    if problems:
        raise InputError("; ".join(problems))
    rows = np.arange(len(z))
    train_rows, test_rows = train_test_split(rows, test_size=test_size, random_state=seed)
    try:
        encoder = AttributeEncoder().fit(c[train_rows])
        c_train, c_test = encoder.transform(c[train_rows]), encoder.transform(c[test_rows])
    except ValueError as error:
        raise InputError(f"C: {error}") from error
    z_train, z_test = standardised(z[train_rows], z[test_rows])
    estimated_train, estimated_test = leading_components(z[train_rows], z[test_rows], max_dims)

    estimates = []
    live = progress and sys.stderr.isatty()
    bar = tqdm(total=restarts * steps, desc="audit", disable=not live, leave=False)
    for restart in range(restarts):
        started = time.perf_counter()
        torch.manual_seed(seed * 1000 + restart)
        model = make_estimator(
            estimator,
            estimated_train.shape[1],
            encoder.dim_,
            groups=encoder.groups_,
            hidden=hidden,
            activation=activation,
        )
        train_estimator(
            model,
            estimated_train,
            c_train,
            steps,
            batch_size,
            lr,
            seed * 1000 + restart,
            bar,
            select=True,
            patience=None if patience is None else max(1, round(patience * steps)),
        )
        estimates.append(held_out_estimate(model, estimated_test, c_test, batch_size, seed))
        if progress and not live:
            plain_line(
                f"estimator {restart + 1}/{restarts} reads {estimates[-1]:.4f} nats on the "
                f"held-out rows",
                started,
            )
    bar.close()

    result = AuditResult(
        estimator=estimator,
        attribute="continuous" if encoder.groups_ is None else f"categorical {encoder.groups_}",
        n_train=len(train_rows),
        n_test=len(test_rows),
        dims=z.shape[1],
        estimator_dims=estimated_train.shape[1],
        mi_nats=float(np.mean(estimates)),
        mi_nats_std=float(np.std(estimates)),
        restarts_nats=[float(e) for e in estimates],
    )
    if probes and encoder.groups_ is not None and len(encoder.groups_) == 1:
        labels_train = c_train.argmax(1).numpy()
        labels_test = c_test.argmax(1).numpy()
        views = {False: (z_train, z_test)}
        if any(kind.startswith(WHITENED) for kind in probes):
            views[True] = (
                (estimated_train, estimated_test)  # the estimators' whitened components
                if reads_components(z[train_rows], max_dims)
                else whitened_components(z[train_rows], z[test_rows], max_dims)
            )
        for kind in probes:
            started = time.perf_counter()
            train_view, test_view = views[kind.startswith(WHITENED)]
            result.probes[kind] = probe_scores(
                train_view.numpy(),
                labels_train,
                test_view.numpy(),
                labels_test,
                kind.removeprefix(WHITENED),  # type: ignore[arg-type]
                seed,
            )
            if progress and not live:
                accuracy = result.probes[kind]["accuracy"]
                plain_line(f"probe ({kind}) held-out accuracy {accuracy:.4f}", started)
        majority = np.bincount(labels_train).argmax()
        result.majority_accuracy = float(np.mean(labels_test == majority))
    return result


def plain_line(line: str, started: float) -> None:
    """One line of the audit's progress off a terminal, with the seconds since ``started``."""
    print(f"audit: {line} ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)


def leading_components(train: np.ndarray, test: np.ndarray, max_dims: int) -> list[torch.Tensor]:
    """What the estimators read: ``train`` and ``test`` :func:`standardised` and ``test``
    :func:`clipped`; wider than ``max_dims`` columns (or than the rows), their
    :func:`whitened_components` instead.

    Whitening every column of a narrow z is left to the whitened probe: it gives directions
    of pure noise the weight of the others, and on small samples the estimators read less
    (docs/leakage.md).
    """
    if reads_components(train, max_dims):
        return whitened_components(train, test, max_dims)
    return clipped(*standardised(train, test))


def reads_components(train: np.ndarray, max_dims: int) -> bool:
    """Whether the estimators read the :func:`whitened_components` of ``train`` (wider than
    ``max_dims`` columns or than its rows) rather than its columns."""
    return train.shape[1] > min(max_dims, len(train))


def whitened_components(train: np.ndarray, test: np.ndarray, max_dims: int) -> list[torch.Tensor]:
    """``train`` and ``test`` projected on the (at most ``max_dims``) leading principal
    components of ``train``, each :func:`standardised`, and ``test`` :func:`clipped`.

    Whitened, a direction along which z hardly varies counts as much as any other: a leak
    pushed into one is as visible as one along a wide column (docs/erasure.md). Components
    with no variance of their own (at most :data:`FLAT_VARIANCE` times the leading one's:
    columns that sum to a constant, fewer rows than columns) are left out; they would read
    rounding error. A function of z fitted on the training rows carries no more information
    than z, so an estimate on it stays a lower bound.
    """
    dims = min(max_dims, *train.shape)  # a PCA has at most as many components as rows
    pca = PCA(dims, random_state=0).fit(train)
    variance = pca.explained_variance_
    kept = (variance > FLAT_VARIANCE * variance[0]) | (np.arange(dims) == 0)
    return clipped(*standardised(pca.transform(train)[:, kept], pca.transform(test)[:, kept]))


def clipped(train: torch.Tensor, test: torch.Tensor) -> list[torch.Tensor]:
    """``train``, and ``test`` clipped to ``train``'s range column by column.

    The clip keeps the critic where it was trained: a column that hardly varies on the
    training rows (a unit that is almost always off) standardises a held-out row where it is on
    to hundreds of standard deviations, where the critic's output is arbitrary and one such row
    sends the held-out bound to -10 nats (docs/leakage.md).
    """
    return [train, test.clamp(train.min(0).values, train.max(0).values)]


# a principal component whose variance is at most this share of the leading one's has none
FLAT_VARIANCE = 1e-10


def standardised(train: np.ndarray, test: np.ndarray) -> list[torch.Tensor]:
    """Every column of ``train`` and ``test`` standardised with ``train``'s statistics."""
    mean, std = train.mean(0), train.std(0)
    std[std == 0] = 1.0
    return [torch.from_numpy(((part - mean) / std).astype(np.float32)) for part in (train, test)]


# the rise in the score on the rows kept aside that counts as progress for ``patience``
GAIN_NATS = 0.005


def train_estimator(
    model: MIEstimator,
    z: torch.Tensor,
    c: torch.Tensor,
    steps: int,
    batch_size: int,
    lr: float,
    seed: int,
    bar: tqdm | None = None,
    *,
    select: bool = False,
    patience: int | None = None,
) -> None:
    """Fit ``model`` to the pairs ``(z, c)`` with Adam on random mini-batches.

    With ``select``, a fifth of the rows is kept aside and the model ends with the weights
    that scored best there (at the steps of :func:`check_steps`); with ``patience`` too, the
    training stops at the first check ``patience`` or more steps after the last one whose
    score beat the previous such check's by more than :data:`GAIN_NATS`.
    """
    generator = torch.Generator().manual_seed(seed)
    validation: tuple[torch.Tensor, torch.Tensor] | None = None
    if select:
        order = torch.randperm(len(z), generator=generator)
        cut = max(len(z) // 5, 2)
        validation = (z[order[:cut]], c[order[:cut]])
        z, c = z[order[cut:]], c[order[cut:]]
    updater = EstimatorUpdater(model, torch.optim.Adam(model.parameters(), lr=lr))
    rows = min(batch_size, len(z))
    checks = check_steps(steps)
    best_score, best_state = -math.inf, None
    # the last check whose score beat the previous such check's by more than GAIN_NATS
    gained_score, gained_step = -math.inf, 0
    for step in range(steps + 1):
        if step > 0:
            batch = torch.randperm(len(z), generator=generator)[:rows]
            perm = derangement(rows, generator)
            updater.step(z[batch][None], c[batch][None], perm[None])
            if bar is not None:
                bar.update(1)
        if validation is not None and step in checks:
            score = held_out_estimate(model, *validation, batch_size, seed)
            if score > best_score:
                best_score = score
                best_state = {k: v.clone() for k, v in model.state_dict().items()}
            if score > gained_score + GAIN_NATS:
                gained_score, gained_step = score, step
            elif patience is not None and step - gained_step >= patience:
                if bar is not None:
                    bar.update(steps - step)
                break
    if best_state is not None:
        model.load_state_dict(best_state)


def check_steps(steps: int) -> set[int]:
    """When :func:`train_estimator` scores its weights on the rows kept aside: before the
    first step (an untrained critic reads about 0, so an estimator that only overfits reports
    about 0, not a large negative bound), 20 times at even intervals, and 10 times at
    geometric intervals early on, where a small sample's estimator peaks."""
    even = {round(steps * i / 20) for i in range(1, 21)}
    early = {int(s) for s in np.geomspace(1, max(steps // 20, 1), 10)}
    return {0, *even, *early}


@torch.no_grad()
def held_out_estimate(
    model: MIEstimator,
    z: torch.Tensor,
    c: torch.Tensor,
    batch_size: int,
    seed: int,
    repeats: int = 3,
) -> float:
    """The estimator's bound on held-out rows, averaged over chunks and shuffles.

    InfoNCE's chunks hold ``batch_size`` rows, the size it was trained on (its value depends
    on it through its ``log N`` ceiling). Every other bound reads all rows as one chunk: a
    log-mean-exp over a small chunk is biased upwards (Jensen): chunks of 256 read 2.590 nats
    where all rows read 2.471, on correlated Gaussians whose MI is 2.554 (docs/leakage.md).
    """
    generator = torch.Generator().manual_seed(seed)
    rows = batch_size if isinstance(model, InfoNCE) else len(z)
    total, weight = 0.0, 0
    for _ in range(repeats):
        order = torch.randperm(len(z), generator=generator)
        for chunk in order.split(rows):
            if len(chunk) < 2:
                continue
            perm = derangement(len(chunk), generator)
            total += model.estimate(z[chunk], c[chunk], perm).item() * len(chunk)
            weight += len(chunk)
    return total / weight


# the audit a scikit-learn style estimator runs on request (its leakage_report)
REPORT_AUDIT: dict[str, Any] = {"restarts": 2, "steps": 1000, "seed": 0, "progress": False}
# its end-of-fit check trains one fresh estimator: a disagreement of 0.1 nats is far above one
# estimator's spread, and every fit pays for the check
FIT_CHECK: dict[str, Any] = {**REPORT_AUDIT, "restarts": 1}
# the end-of-fit check needs this many rows for a held-out estimate worth reading
FIT_CHECK_ROWS = 200


def warn_on_leakage(
    leakage: AuditResult,
    history: Sequence[Mapping[str, float]],
    stacklevel: int = 3,
    *,
    independent: bool = True,
    advice: str = "raise steps or lam",
) -> None:
    """Warn when the end-of-fit check finds the attribute in z: it reads more than the
    estimate the model was trained against at its last epoch (``history[-1]["mi"]``;
    :meth:`AuditResult.reads_above`), or a probe reads it (:meth:`AuditResult.reading_probes`);
    each warning ends with ``advice``, what to try.

    The probes count only when z was trained to be ``independent`` of the attribute (not only
    given the label, where the label may carry it)."""
    trained_mi = history[-1]["mi"] if history else math.nan
    read = leakage.reads_above(trained_mi, independent=independent)
    if read is not None:
        warnings.warn(
            f"the trainer's final MI estimate is {trained_mi:.3f} nats but the independent "
            f"check reads at least {read:.3f} nats from z on held-out training "
            "rows (a fresh estimator and probes): z still carries the attribute (see "
            f"leakage_; {advice})",
            UserWarning,
            stacklevel=stacklevel,
        )
    reading = leakage.reading_probes() if independent else {}
    if reading:
        found = ", ".join(f"{kind} {accuracy:.3f}" for kind, accuracy in reading.items())
        warnings.warn(
            f"probes read the attribute from z on held-out training rows ({found}; always "
            f"the majority value: {leakage.majority_accuracy:.3f}): z still carries it (see "
            f"leakage_ and docs/leakage.md; {advice})",
            UserWarning,
            stacklevel=stacklevel,
        )
