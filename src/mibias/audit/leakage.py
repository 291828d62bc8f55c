"""How much does a representation leak an attribute? :func:`audit_leakage` splits the rows,
trains fresh estimators (:mod:`mibias.audit.estimates`) and fits probes
(:mod:`mibias.audit.probes`) on one part and reads them on the other; :class:`AuditResult`
holds the readings, and :func:`warn_on_leakage` says when a fit's own estimate reads less."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split
from tqdm.auto import tqdm

from mibias.audit.estimates import (
    held_out_estimate,
    leading_components,
    reads_components,
    standardised,
    train_estimator,
    whitened_components,
)
from mibias.audit.probes import RARE_GROUP_ROWS, probe_scores
from mibias.audit.settings import (
    AUDIT,
    CONTINUOUS_BINS,
    MIN_ROWS,
    MIN_SPLIT_ROWS,
    PROBES,
    WHITENED,
    ProbeKind,
)
from mibias.audit.splits import split_sizes
from mibias.estimators import CRITIC_ESTIMATORS, AttributeEncoder, averaged, make_estimator
from mibias.estimators.attributes import AttributeKind
from mibias.io import InputError, tensor_as_array
from mibias.user_warnings import warn


def leakage_columns(probes: Sequence[ProbeKind] = PROBES) -> tuple[str, ...]:
    """The leakage columns (:meth:`AuditResult.columns`) a results table shows, in order, for
    an audit that runs ``probes``."""
    return ("leak_mi_nats", "leak_bound_nats", *(f"probe_{kind}" for kind in probes), "majority")


# the leakage columns of an audit with the default probes
LEAKAGE_COLUMNS = leakage_columns()
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
        Held-out MI estimate of freshly trained estimators, and the standard deviation of the
        restarts' own estimates. For the bounds with a critic (every estimator but ``club``) the
        estimate is the bound of the restarts' averaged critic
        (:func:`~mibias.estimators.averaged`), which on the same rows reads at least the
        restarts' mean (the bound is concave in the critic): on correlated Gaussians 0.026 nats
        closer to the truth on the median of six draws, and independent data still 0
        (docs/leakage.md); for ``club``, the restarts' mean.
    mi_bits, mi_bits_std : float
        The same in bits.
    restarts_nats : list of float
        The held-out estimate of each restart.
    probes : dict
        For a single categorical attribute: per probe kind (``mlp``, ``logistic``,
        ``whitened_mlp``) its held-out ``accuracy`` and ``balanced_accuracy`` predicting the
        attribute from z, and ``nats``, the lower bound on I(z; c) its held-out log-loss
        gives (:func:`~mibias.audit.probes.log_loss_gain`). For a continuous attribute of one
        column the same, predicting its quantile bin (``binned``).
    probe_nats : float
        The largest of the probes' bounds (NaN without probes).
    bound_nats : float
        The larger of the fresh estimators' ``mi_nats`` and ``probe_nats``: every reading is a
        lower bound on I(z; c) taken on held-out rows, so the largest is the audit's reading.
    majority_accuracy : float or None
        Held-out accuracy of always predicting the value most frequent among the held-out
        rows: the best any constant does there, the rate a probe must beat to have read
        anything (its balanced accuracy is 1 / groups).
    binned : int or None
        For a continuous attribute of one column: how many bins the probes predict, their
        edges the quantiles of the rows the probes are fitted on (:func:`quantile_bins`; fewer
        than :data:`~mibias.audit.settings.CONTINUOUS_BINS` where values repeat). A bin is a
        function of c, so a probe that reads it reads c, and its log-loss bound on I(z; bin)
        bounds I(z; c). None: the probes predict the attribute's own values.
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
    binned: int | None = None

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
        return max([self.mi_nats, *(scores["nats"] for scores in self.probes.values())])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dictionary, bits, the bounds and the verdict included
        (``reading_probes``: :meth:`reading_probes`, beside ``probe_margin``)."""
        return {
            **asdict(self),
            "mi_bits": self.mi_bits,
            "mi_bits_std": self.mi_bits_std,
            # null, not NaN (which strict JSON readers refuse), without probes
            "probe_nats": self.probe_nats if self.probes else None,
            "bound_nats": self.bound_nats,
            "reading_probes": self.reading_probes(),
            "probe_margin": self.probe_margin() if self.probes else None,
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
        margin = self.probe_margin()
        return {
            kind: scores["accuracy"]
            for kind, scores in self.probes.items()
            if scores["accuracy"] > self.majority_accuracy + margin
        }

    def probe_margin(self) -> float:
        """How far above the majority rate a probe must read to count as reading the
        attribute (:meth:`reading_probes`): :data:`PROBE_MARGIN`, or three standard errors of
        an accuracy at that rate on the held-out rows where that is more."""
        rate = self.majority_accuracy if self.majority_accuracy is not None else 0.5
        return max(PROBE_MARGIN, 3 * math.sqrt(rate * (1 - rate) / max(self.n_test, 1)))

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
        line = (  # at least 0 where every reading is below: mutual information never is
            f"the check of z on {self.n_test} held-out rows: I(z; {name}) at least "
            f"{max(self.bound_nats, 0.0):.3f} nats (fresh estimators {self.mi_nats:.3f})"
        )
        if self.probes:
            accuracies = ", ".join(
                f"{kind} {scores['accuracy']:.3f}" for kind, scores in self.probes.items()
            )
            of = "" if self.binned is None else f" of its {self.bins_phrase()}"
            line += f"; probes{of} {accuracies} (majority {self.majority_accuracy:.3f})"
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
        of = "" if self.binned is None else f" of C's {self.bins_phrase()}"
        for kind, scores in self.probes.items():
            out.append(
                f"probe ({kind}) held-out accuracy{of}: {scores['accuracy']:.4f}, balanced "
                f"{scores['balanced_accuracy']:.4f} (always the majority value: "
                f"{self.majority_accuracy:.4f}); its log-loss reads I(Z; C) >= "
                f"{scores['nats']:.4f} nats"
            )
        if self.probes:
            out.append(
                f"I(Z; C) is at least {self.bound_nats:.4f} nats: the largest held-out reading "
                "of the estimators and the probes"
                if self.bound_nats > 0
                # a bound below 0 says nothing: mutual information never is
                else f"I(Z; C) is at least 0: no held-out reading of the estimators and the "
                f"probes is above it (the largest {self.bound_nats:.4f} nats)"
            )
            out.append(self.probe_verdict())
        return out

    def bins_phrase(self) -> str:
        """What the probes of a continuous attribute predict, in words."""
        return f"quantile bin (of {self.binned})"

    def probe_verdict(self) -> str:
        """One line: whether a probe reads the attribute (:meth:`reading_probes`), naming
        those that do, or the margin none of them beat."""
        rate, margin = self.majority_accuracy, self.probe_margin()
        reading = self.reading_probes()
        if reading:
            found = ", ".join(f"{kind} {accuracy:.4f}" for kind, accuracy in reading.items())
            read = "it" if self.binned is None else f"its {self.bins_phrase()}"
            return (
                f"Z still carries C: probes read {read} ({found}), above the majority value's "
                f"{rate:.4f} by more than {margin:.4f}"
            )
        read = "C" if self.binned is None else f"C's {self.bins_phrase()}"
        return (
            f"no probe reads {read}: none beats the majority value's {rate:.4f} by more than "
            f"{margin:.4f} ({PROBE_MARGIN}, or three standard errors on {self.n_test} rows); "
            "the bound above is what the estimators and the probes' log-losses still read"
        )


def header_hint(z: np.ndarray, c: np.ndarray, name: str) -> str:
    """Where ``c`` has one row more than ``z``, and its first line is the column numbers 0, 1,
    ... (the header pandas gives the columns of a frame made from an array, which a CSV
    reader cannot tell from a row of one-hot codes), or, in one column, a text that never
    comes again (a column of labels whose name heads it) or the number 0 (the header pandas
    gives a column without a name): the question to end the row-count error with; else
    nothing."""
    if len(c) != len(z) + 1:
        return ""
    if c.ndim == 2 and c.shape[1] > 1:
        if c.dtype.kind in "OUS" or c[0].tolist() != list(range(c.shape[1])):
            return ""
        numbers = ",".join(str(j) for j in range(c.shape[1]))
        return (
            f" (is {numbers}, on {name}'s first line, a header? pandas heads the columns of a "
            "frame made from an array with their numbers, which read as a row above whole "
            "numbers: name the columns)"
        )
    if c.size != len(c):
        return ""
    labels = c.reshape(-1)
    first = labels[0]
    if c.dtype.kind not in "OUS":
        if first != 0:
            return ""
        return (
            f" (is the 0 on {name}'s first line a header? pandas heads a column without a "
            "name with 0, which reads as a label: name the column)"
        )
    if (labels[1:] == first).any():
        return ""
    return f" (is {str(first)!r}, on {name}'s first line, a header?)"


def validate_pair(z: np.ndarray, c: np.ndarray, names: tuple[str, str] = ("Z", "C")) -> np.ndarray:
    """Check an embedding matrix and its attribute; returns ``z`` as a 2-D float array.
    ``names`` are what the messages call them.

    Raises
    ------
    InputError
        On wrong dimensions, mismatched row counts, non-numeric or non-finite values, too few
        rows, or a constant attribute.
    """
    zn, cn = names
    if z.ndim not in (1, 2):
        raise InputError(f"{zn} must be a matrix (rows x features), got shape {z.shape}")
    if c.ndim not in (1, 2):
        raise InputError(f"{cn} must be a vector or a matrix, got shape {c.shape}")
    if len(z) != len(c):
        raise InputError(f"{zn} has {len(z)} rows but {cn} has {len(c)}{header_hint(z, c, cn)}")
    if z.dtype.kind not in "biuf":
        raise InputError(f"{zn} must be numeric, got values of type {z.dtype}")
    z = z.reshape(len(z), -1)
    if not np.all(np.isfinite(z)):
        bad = np.argwhere(~np.isfinite(z))[0]
        raise InputError(f"{zn} contains NaN or inf (first at row {bad[0]}, column {bad[1]})")
    with np.errstate(over="ignore"):  # said below, by name
        z = z.astype(np.float32)
    if not np.all(np.isfinite(z)):
        bad = np.argwhere(~np.isfinite(z))[0]
        raise InputError(
            f"{zn} holds values beyond float32's range of about 3.4e38, which the audit computes "
            f"in (first at row {bad[0]}, column {bad[1]}): rescale it"
        )
    # a label missing: NaN or inf among numbers, an empty cell (None or NaN) among text, in
    # the words of mibias.inputs.refuse_missing_values
    missing = ~np.isfinite(c) if c.dtype.kind == "f" else pd.isna(c)
    if missing.any():
        what = "NaN or inf" if c.dtype.kind == "f" else "missing values (NaN or None)"
        raise InputError(f"{cn} contains {what}, first at row {np.argwhere(missing)[0][0]}")
    if len(z) < MIN_ROWS:
        raise InputError(
            f"at least {MIN_ROWS} rows are needed for a held-out estimate, got {len(z)}"
        )
    if np.all(c == c[:1]):
        raise InputError(f"{cn} is constant: there is no information to leak")
    return z


def audit_leakage(
    z: Any,
    c: Any,
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
    attribute_kind: AttributeKind = "auto",
) -> AuditResult:
    """Estimate I(z; c) on held-out rows, with its spread over restarts, and a probe.

    The rows are split into training and held-out parts; ``z`` is standardised with training
    statistics and ``c`` encoded by an :class:`~mibias.estimators.AttributeEncoder` fit on the
    training part; the estimators read the held-out rows clipped to the training rows' range
    (:func:`~mibias.audit.estimates.leading_components`). Each restart trains a fresh estimator for
    up to ``steps`` steps on 80 % of the training rows (fewer with ``patience``), keeps the weights
    that score best on the other 20 % (estimators overfit small samples, which drives held-out
    bounds below zero), and reports its bound on the held-out rows, which took no part in training
    or in that choice; the audit reads the bound of the restarts' critics averaged into one
    (``mi_nats``, :class:`AuditResult`). Marginal samples pair every z with another row's c
    (:func:`~mibias.estimators.derangement`). For a categorical attribute, probe classifiers
    are fitted on the training part and scored on the held-out part, beside the majority-value rate
    (for several, they predict the combination of their groups, :func:`joint_groups`); for a
    continuous attribute of one column they predict its quantile bin
    (:attr:`AuditResult.binned`); for several continuous ones there are none.

    Parameters
    ----------
    z : array-like or torch tensor of shape (N, d)
        The representation (a tensor on any device, bfloat16 included).
    c : array-like or torch tensor of shape (N,) or (N, k)
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
    probes : sequence of {"mlp", "logistic", "whitened_mlp", "trees", "svm", "knn"}
        Classifiers predicting a single attribute (a continuous one's quantile bin) from z
        (none: empty; :func:`~mibias.audit.probes.probe_classifier`), each column standardised;
        ``whitened_mlp`` is the MLP on z whitened (its leading ``max_dims`` principal
        components, each standardised: :func:`~mibias.audit.estimates.whitened_components`).
        Per-column scaling hides a direction along which z hardly varies: on Adult rows whose
        sex an eraser had pushed into such directions, the MLP read the majority rate and the
        whitened MLP almost every row (docs/erasure-measured.md).
    seed : int
        Seed of the split and of every restart.
    progress : bool
        Show a progress bar on a terminal; elsewhere (a log file, a pipe) one plain line on
        stderr per estimator and per probe, with what it read and how long it took.
    patience : float or None
        Stop a restart early once this share of ``steps`` has passed without its score on the rows
        kept aside rising by more than :data:`~mibias.audit.estimates.GAIN_NATS` (the weights kept
        are the best scored, as without it); ``None`` trains every step. Chosen against every step
        on correlated Gaussians and on the Table 3 representations of validation rows (``python -m
        benchmarks.audit_patience``, docs/leakage.md).
    attribute_kind : {"auto", "categorical", "continuous"}
        How ``c`` is read (:class:`~mibias.estimators.AttributeEncoder`'s ``kind``). ``auto``
        decides from the rows given, so a sample of a continuous attribute's rows with few
        distinct whole numbers reads as groups; name the kind where it is known (an eraser
        fitted on more rows, say).
    """
    z, c = (tensor_as_array(v) if isinstance(v, torch.Tensor) else np.asarray(v) for v in (z, c))
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
    if not problems:
        fit, held_out = split_sizes(len(z), test_size)
        if min(fit, held_out) < MIN_SPLIT_ROWS:
            problems.append(
                f"test_size {test_size:g} shares the {len(z)} rows as {fit} to fit on and "
                f"{held_out} held out: each side needs at least {MIN_SPLIT_ROWS}"
            )
    if problems:
        raise InputError("; ".join(problems))
    rows = np.arange(len(z))
    train_rows, test_rows = train_test_split(rows, test_size=test_size, random_state=seed)
    try:
        # the groups from every row, so that one seen only among the held-out rows is no error;
        # a continuous attribute's scale from the training rows alone
        encoder = AttributeEncoder(kind=attribute_kind).fit(c)
        if encoder.groups_ is None:
            encoder = AttributeEncoder(kind="continuous").fit(c[train_rows])
        c_train, c_test = encoder.transform(c[train_rows]), encoder.transform(c[test_rows])
    except ValueError as error:
        raise InputError(f"C: {error}") from error
    z_train, z_test = standardised(z[train_rows], z[test_rows])
    estimated_train, estimated_test = leading_components(z[train_rows], z[test_rows], max_dims)

    estimates, models = [], []
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
        models.append(model)
        if progress and not live:
            plain_line(
                f"estimator {restart + 1}/{restarts} reads {estimates[-1]:.4f} nats on the "
                f"held-out rows",
                started,
            )
    bar.close()
    reading = (
        held_out_estimate(averaged(models), estimated_test, c_test, batch_size, seed)
        if estimator in CRITIC_ESTIMATORS
        else np.mean(estimates)
    )

    result = AuditResult(
        estimator=estimator,
        attribute="continuous" if encoder.groups_ is None else f"categorical {encoder.groups_}",
        n_train=len(train_rows),
        n_test=len(test_rows),
        dims=z.shape[1],
        estimator_dims=estimated_train.shape[1],
        mi_nats=float(reading),
        mi_nats_std=float(np.std(estimates)),
        restarts_nats=[float(e) for e in estimates],
    )
    if encoder.groups_ is None:
        labels = quantile_bins(c, train_rows, test_rows, CONTINUOUS_BINS)
    else:
        labels = joint_groups(c_train.numpy(), c_test.numpy(), encoder.groups_)
    if probes and labels is not None:
        labels_train, labels_test, groups = labels
        if encoder.groups_ is None:
            result.binned = groups
        counts = np.bincount(labels_train, minlength=groups)
        if counts.max() < RARE_GROUP_ROWS:
            warn(
                f"none of the attribute's {len(counts)} groups has {RARE_GROUP_ROWS} of the "
                f"{len(labels_train)} rows the probes are fitted on (the largest "
                f"{counts.max()}): too few to fit a probe on, so the check reads the estimators "
                "alone; merge groups for probes",
                UserWarning,
            )
            return result
        if counts.min() < RARE_GROUP_ROWS:
            rare = int(np.sum(counts < RARE_GROUP_ROWS))
            warn(
                f"{rare} of the attribute's {len(counts)} groups have fewer than "
                f"{RARE_GROUP_ROWS} of the {len(labels_train)} rows the probes are fitted on "
                f"(the smallest {counts.min()}): the probes learn little of them and read "
                "their rows with more noise; merge rare groups for a sharper check",
                UserWarning,
            )
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
        # the best a constant does on the held-out rows: the training rows' most frequent value
        # may be rarer there, where the values are about equally frequent (a continuous
        # attribute's quantile bins always are), and a probe would beat it by chance
        result.majority_accuracy = float(np.bincount(labels_test).max() / len(labels_test))
    return result


def joint_groups(
    c_train: np.ndarray, c_test: np.ndarray, groups: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, int]:
    """Categorical attributes as the probes read them: each row's combination of their groups
    (one attribute: its group), from the one-hot blocks ``groups`` wide of the encoded
    ``c_train`` and ``c_test``, numbered among the combinations that occur. The combination
    determines every attribute and they determine it, so I(z; combination) = I(z; c). Returns
    the labels of the training and of the held-out rows and how many combinations occur."""
    ends = np.cumsum(groups)
    codes = [
        np.stack([block.argmax(1) for block in np.split(part, ends[:-1], axis=1)], 1)
        for part in (c_train, c_test)
    ]
    joint = np.ravel_multi_index(np.concatenate(codes).T, groups)
    occurring, labels = np.unique(joint, return_inverse=True)
    return labels[: len(c_train)], labels[len(c_train) :], len(occurring)


def quantile_bins(
    c: np.ndarray, train_rows: np.ndarray, test_rows: np.ndarray, bins: int
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """A continuous attribute of one column as the probes read it: each row's bin, the edges
    the ``train_rows``' quantiles, each of them a value of those rows, so that every bin holds
    some of them (repeated values merge bins: ``bins`` at most). Returns the bins of
    ``train_rows`` and of ``test_rows`` and how many there are, or None where ``c`` has
    several columns or the training rows fill a single bin."""
    if c.size != len(c):
        return None
    values = c.reshape(-1).astype(np.float64)
    fitting = values[train_rows]
    edges = np.unique(np.quantile(fitting, np.arange(1, bins) / bins, method="higher"))
    edges = edges[edges > fitting.min()]  # the lowest bin holds the values below the first
    if not len(edges):
        return None
    train, test = (
        np.searchsorted(edges, values[rows], side="right") for rows in (train_rows, test_rows)
    )
    return train, test, len(edges) + 1


def plain_line(line: str, started: float) -> None:
    """One line of the audit's progress off a terminal, with the seconds since ``started``."""
    print(f"audit: {line} ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)


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
        warn(
            f"the trainer's final MI estimate is {trained_mi:.3f} nats but the independent "
            f"check reads at least {read:.3f} nats from z on held-out training "
            "rows (a fresh estimator and probes): z still carries the attribute (see "
            f"leakage_; {advice})",
            UserWarning,
        )
    reading = leakage.reading_probes() if independent else {}
    if reading:
        found = ", ".join(f"{kind} {accuracy:.3f}" for kind, accuracy in reading.items())
        warn(
            f"probes read the attribute from z on held-out training rows ({found}; always "
            f"the majority value: {leakage.majority_accuracy:.3f}): z still carries it (see "
            f"leakage_ and docs/leakage.md; {advice})",
            UserWarning,
        )
