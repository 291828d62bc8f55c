"""Erase an attribute from vectors a user already has: :class:`MIEraser` learns a map
z = g(x) of the same width (or narrower) whose output carries no information of any form about
c (MI backprop), and :func:`make_eraser` builds it or a linear peer by name."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin
from sklearn.decomposition import PCA
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from torch import nn

from mibias.audit import (
    FIT_CHECK,
    FIT_CHECK_ROWS,
    REPORT_AUDIT,
    AuditResult,
    audit_leakage,
    warn_on_leakage,
)
from mibias.baselines.erasers import (
    AttributeEraser,
    INLPEraser,
    LeaceEraser,
    ProjectionEraser,
    nullspace_projection,
)
from mibias.erasure.losses import (
    ConditionalReconstruction,
    DistanceLoss,
    KernelDependence,
    LossSum,
    SimilarityLoss,
    total_variance,
)
from mibias.erasure.settings import (
    AUTO_NOISE_STEPS,
    AUTO_NOISES,
    CHANCE_NATS,
    ERASERS,
    ERASURE_PROBES,
    HELD_LAM,
    KEEPS,
    LINEAR_ERASERS,
    MI_ERASER,
    Keep,
)
from mibias.estimators import make_estimator
from mibias.inputs import as_array, check_rows, check_settings, finite_number, whole_number
from mibias.training.arrays import fit_on_arrays

INFERENCE_ROWS = 8192


def critic_reading(history: list[dict[str, float]]) -> float:
    """A fit's own MI estimate over the last fifth of its epochs (at least the last one), in
    nats: what ``noise="auto"`` compares with :data:`~mibias.erasure.settings.CHANCE_NATS`."""
    estimates = [row["mi"] for row in history]
    return float(np.mean(estimates[-max(1, len(estimates) // 5) :]))


class ResidualMap(nn.Module):
    """``x + W2 relu(W1 x + b1) + b2``, the identity at initialisation (``W2``, ``b2`` zero):
    an eraser starts from the vectors it was given and moves them only as far as it must.
    ``out`` (the width of z) differs from ``width`` only in a subclass whose :meth:`base`
    maps x to that width (:class:`PrincipalResidualMap`)."""

    def __init__(self, width: int, hidden: int, out: int | None = None) -> None:
        super().__init__()
        self.inner = nn.Linear(width, hidden)
        self.outer = nn.Linear(hidden, width if out is None else out)
        nn.init.zeros_(self.outer.weight)
        nn.init.zeros_(self.outer.bias)

    def base(self, x: torch.Tensor) -> torch.Tensor:
        """Where the map starts: x itself."""
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.outer(torch.relu(self.inner(x)))


class PrincipalResidualMap(ResidualMap):
    """A :class:`ResidualMap` to a narrower z: ``A x + a + W2 relu(W1 x + b1) + b2``, where the
    linear part ``A x + a`` (trained with the rest) starts as x's coordinates along its
    ``out`` leading principal directions (those of ``rows``, centred), which keep the most of
    x that ``out`` linear coordinates can; the residual part starts at zero.

    Parameters
    ----------
    rows : ndarray of shape (n_samples, width)
        The rows whose principal directions start the map (the fitting rows).
    hidden : int
        Width of the residual part's hidden layer.
    out : int
        Width of z, at most ``width``.
    """

    def __init__(self, rows: np.ndarray, hidden: int, out: int) -> None:
        super().__init__(rows.shape[1], hidden, out)
        principal = PCA(out, svd_solver="full").fit(rows.astype(np.float64))
        self.start = nn.Linear(rows.shape[1], out)
        with torch.no_grad():
            components = principal.components_
            self.start.weight.copy_(torch.from_numpy(components.astype(np.float32)))
            self.start.bias.copy_(torch.from_numpy(-(components @ principal.mean_)).float())

    def base(self, x: torch.Tensor) -> torch.Tensor:
        """Where the map starts: x's principal coordinates (trained on)."""
        return self.start(x)


class LeadingDirections:
    """The orthogonal projection of z onto its principal directions whose variance is at least
    ``share`` times the leading one's, kept in z's own coordinates (the width stays).

    Parameters
    ----------
    z : ndarray of shape (n_samples, width)
        The rows whose directions are measured (an eraser's output on its fitting rows).
    share : float
        The smallest variance kept, as a share of the leading direction's, in (0, 1).
    """

    def __init__(self, z: np.ndarray, share: float) -> None:
        rows = z.astype(np.float64)
        centre = rows.mean(axis=0)
        variances, directions = np.linalg.eigh(np.atleast_2d(np.cov(rows, rowvar=False)))
        small = variances < share * variances.max()
        self.kept = int((~small).sum())
        self.centre = centre.astype(np.float32)
        self.projection = nullspace_projection(directions[:, small].T, z.shape[1]).astype(
            np.float32
        )

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.centre + (z - self.centre) @ self.projection


class MIEraser(AttributeEraser):
    """Remove an attribute from given vectors by MI backprop.

    A map z = g(x) of the same width as x (a residual MLP, the identity at the start; or
    narrower, see ``n_components``) is
    trained with ``lam`` x I(z; c) (a MINE estimator trained in alternation, Algorithm 1 of
    the paper) plus a loss that keeps what matters: the task y when one is given, otherwise
    the geometry of x. Unlike the linear erasers (LEACE, INLP, the projection of the
    attribute's direction, see :func:`make_eraser`), the term removes dependence of any form,
    so nonlinear probes lose the attribute too.

    Parameters
    ----------
    lam : float
        Weight of the MI term.
    keep : {"auto", "distance", "similarity", "reconstruction", "task"}
        What z keeps: ``distance`` (the mean squared distance to x as a share of the fitting
        rows' total variance, weighted by ``keep_weight``: each vector moves as little as
        the term allows, and x in other units moves by the same share), ``similarity`` (the
        batch's pairwise cosine similarities, weighted by ``keep_weight``),
        ``reconstruction`` (a decoder rebuilds x from z and c; its squared error a share of
        the total variance too), ``task`` (y's cross-entropy through a linear head on z;
        needs y). ``auto``: ``task`` when ``fit`` gets y, else ``distance`` (``reconstruction``
        for a z narrower than x, see ``n_components``). Only
        ``task`` and ``auto`` read y; the others leave it unused (as in a Pipeline).
    keep_weight : float
        Weight of the ``distance``, ``similarity`` or ``reconstruction`` loss.
    hidden_size : int
        Width of the map's hidden layer.
    steps : int
        Updates of the map (optimiser steps).
    batch_size : int
        Rows per step.
    lr, estimator_lr : float
        Adam learning rates of the map and of the estimator (the map's decays along a
        cosine to 0).
    k : int
        Estimator steps per map step.
    noise : float or "auto"
        Smoothing of the MI term: the critic reads the batch-standardised z plus Gaussian
        noise of this scale (see :class:`mibias.estimators.mine.CriticEstimator`). Too little
        and the critic fits the rows' chance pattern, and the map moves the vectors after
        it where there is nothing to erase. ``"auto"`` takes the least of
        :data:`~mibias.erasure.settings.AUTO_NOISES` at which a critic trained with the map
        held reads at most :data:`~mibias.erasure.settings.CHANCE_NATS` from the attribute
        shuffled among the rows (``noise_`` and ``noise_readings_``): up to five short fits
        before the real one. On the validation rows it took 0.25 on Adult and the digits
        features and 2 on the word vectors, the noises chosen there by hand, and left a
        generated table with nothing to erase in place; on a generated table with a faint
        trace of c it took 1 and erased less than 0.25 (docs/erasure-measured.md), so it is not the
        default.
    noise_start : float
        The noise starts at ``noise_start`` x ``noise`` and falls linearly to ``noise`` over
        the first :data:`~mibias.estimators.names.NOISE_FALL_SHARE` of the fit (the schedule
        :class:`~mibias.fairness.MIFairClassifier` starts at 4 by default); 1 (the default)
        keeps it constant. On the validation rows of the word vectors, Adult and the digits
        features a start of 4 erased no more than the constant noise, and on the word vectors
        less (docs/erasure-measured.md).
    kernel_weight : float
        Weight of a second dependence term beside the MI term: the normalised HSIC between z
        and c on each batch with a Gaussian kernel (:class:`KernelDependence`), which reads c
        the way an RBF SVM does (and a linear kernel on c: a continuous attribute enters
        as its standardised value). 0 (the default) trains Algorithm 1 as the paper has it; on
        the word vectors' validation rows, weight 300 lowered the MLP and SVM probes by about
        0.05 for 3 % of the word-similarity score (docs/erasure-measured.md). A batch of fewer
        than 4 rows gives it nothing.
    whiten : bool
        The critic reads the batch whitened instead of standardised column by column, so
        that c cannot hide in a direction along which z hardly varies (under the noise,
        where a probe on the whitened z still finds it). On Adult's validation rows it cut
        that probe from 0.97 to 0.78 with income kept; on word vectors it erased less
        (docs/erasure-measured.md), so it is off by default.
    linear_first : {None, "leace", "inlp", "project"}
        Fit this linear eraser (:func:`make_eraser`) on the rows first and learn the map on
        its output, so that the map has only what no linear probe reads left to remove:
        on the word vectors' validation rows LEACE first lowered the MLP probe and kept more
        of the word similarities (docs/erasure-measured.md). ``transform`` applies both.
    min_variance : float
        After the fit, hand back only the principal directions of z (on the fitting rows)
        whose variance is at least this share of the leading direction's; 0 (the default)
        keeps them all. The noisy critic does not see c in a direction of small variance, so
        the map leaves it there, where a probe on the whitened z still reads it; the cut
        removes those directions (:class:`LeadingDirections`). On Adult's validation rows, 1e-3
        took that probe from 0.97 to the majority rate for 0.01 of income accuracy, and with
        ``whiten=True`` 1e-4 took it from 0.79 to 0.72 with income at 0.84 (on the test rows
        from 0.76 to 0.75, one seed of three far above the others; docs/erasure-measured.md).
    n_init : int
        Fits of the map from different seeds (drawn from ``random_state``); the one with the
        lowest final training objective (its last epoch's task loss, keep loss, kernel term and
        ``lam`` x MI estimate) is kept, as :class:`sklearn.cluster.KMeans` keeps its best
        start; each start costs a whole fit. A fit can end with much of c left where another
        seed's removes it: on Adult, with ``whiten=True`` and ``min_variance=1e-4``, three
        starts took the whitened probe on the test rows from 0.746 to 0.693 (majority 0.671)
        with income kept (docs/erasure-measured.md).
    n_components : int or None
        Width of z. ``None`` (the default) or x's width: z can replace x, and the map starts
        as the identity. Fewer (at least 1): the map starts as x's coordinates along its
        leading principal directions on the fitting rows (:class:`PrincipalResidualMap`), and
        ``keep`` cannot be ``distance``, which compares z and x coordinate by coordinate.
        With ``linear_first``, x is the linear eraser's output (as wide as x). On the Colored
        MNIST features' validation rows, 6 of their 64 columns took the probe on the whitened
        z from 0.78 to 0.53 with the task kept (4 columns: 0.43, the task's accuracy below the
        original features'), where the full width leaves it as on the original features; on
        Adult's, 32 of 104 (with ``whiten=True``, 4,000 steps, ``lam=2.5``) took every probe,
        the whitened one included, to the majority rate with income at 0.84, where 40 and more
        left sex to the whitened probe (docs/erasure-measured.md).
    check_leakage : bool
        After a fit with a dependence term (``lam`` or ``kernel_weight`` above 0), measure
        the leakage of z on the training rows with :func:`mibias.audit.audit_leakage` and
        the :data:`ERASURE_PROBES` into ``leakage_`` and warn when it finds more than the
        trainer's own estimate or when a probe reads c.
    random_state : int, RandomState or None
        Seeds the initialisation, the batch order and the marginal samples.
    device : str
        ``cpu``, ``cuda`` or ``auto``.
    verbose : bool
        Show a progress bar per epoch on a terminal, one plain line per epoch elsewhere (one
        a second where epochs are shorter: a fit on a few hundred rows runs thousands).

    Attributes
    ----------
    n_features_in_ : int
        Width of x.
    n_components_ : int
        Width of z.
    groups_ : ndarray or None
        The attribute's values, as text, in code order; ``None`` for a continuous attribute
        (more distinct numbers than :data:`~mibias.estimators.attributes.MAX_CATEGORIES`, an
        age, say), which the critic reads standardised, as a number.
    map_ : torch.nn.Module
        The learned map g, in units of ``scale_``: ``z = scale_ * map_(x / scale_)`` (x
        through ``linear_`` first, if any).
    scale_ : float
        The root mean square deviation of the fitting rows' columns (after ``linear_``): the
        map learns on x divided by it, so that its settings act alike whatever the units of x.
    keep_ : str
        The keep loss used.
    linear_ : AttributeEraser or None
        The fitted linear eraser (``linear_first``), or ``None``.
    leading_ : LeadingDirections or None
        The cut of ``min_variance`` (its ``kept`` directions), or ``None``.
    classes_ : ndarray
        The task's labels (``keep_ == "task"`` only).
    noise_ : float
        The critic's noise the fit used (``noise``, or the one ``"auto"`` chose).
    noise_readings_ : dict
        ``noise="auto"``: each noise tried -> what its critic read from the shuffled
        attribute, in nats (empty otherwise).
    objectives_ : list of float
        Each fit's final training objective (``n_init`` of them, in the order of their seeds).
    history_ : list of dict
        Per-epoch training metrics of the fit kept: ``task_loss`` (with ``y``; 0 without, the
        head having one class), ``auxiliary_loss`` (the keep loss plus the kernel term, when
        either is on), ``mi`` (the trainer's estimate), ``train_accuracy`` (NaN without ``y``).
    leakage_ : AuditResult or None
        The end-of-fit leakage check (``check_leakage``), or ``None``.

    Examples
    --------
    >>> eraser = MIEraser(random_state=0)  # doctest: +SKIP
    >>> z = eraser.fit_transform(vectors, sensitive_features=gender)  # doctest: +SKIP
    """

    def __init__(
        self,
        lam: float = MI_ERASER.lam,
        keep: Keep = MI_ERASER.keep,
        keep_weight: float = MI_ERASER.keep_weight,
        hidden_size: int = MI_ERASER.hidden_size,
        steps: int = MI_ERASER.steps,
        batch_size: int = MI_ERASER.batch_size,
        lr: float = MI_ERASER.lr,
        estimator_lr: float = MI_ERASER.estimator_lr,
        k: int = MI_ERASER.k,
        noise: float | str = MI_ERASER.noise,
        noise_start: float = MI_ERASER.noise_start,
        kernel_weight: float = MI_ERASER.kernel_weight,
        whiten: bool = MI_ERASER.whiten,
        linear_first: str | None = MI_ERASER.linear_first,
        min_variance: float = MI_ERASER.min_variance,
        n_init: int = MI_ERASER.n_init,
        n_components: int | None = MI_ERASER.n_components,
        check_leakage: bool = True,
        random_state: int | np.random.RandomState | None = None,
        device: str = "cpu",
        verbose: bool = False,
    ) -> None:
        self.lam = lam
        self.keep = keep
        self.keep_weight = keep_weight
        self.hidden_size = hidden_size
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.estimator_lr = estimator_lr
        self.k = k
        self.noise = noise
        self.noise_start = noise_start
        self.kernel_weight = kernel_weight
        self.whiten = whiten
        self.linear_first = linear_first
        self.min_variance = min_variance
        self.n_init = n_init
        self.n_components = n_components
        self.check_leakage = check_leakage
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    # the critic reads a number as readily as a group's one-hot columns
    reads_continuous = True

    def _fit(self, X: np.ndarray, attribute: np.ndarray, y: np.ndarray | None) -> None:
        if self.keep not in KEEPS:
            raise ValueError(f"keep must be {', '.join(KEEPS)}, got {self.keep!r}")
        if self.keep == "task" and y is None:
            raise ValueError("keep='task' needs y: fit(X, y, sensitive_features=c)")
        check_settings(
            {
                "steps": (self.steps, 1),
                "n_init": (self.n_init, 1),
                "batch_size": (self.batch_size, 2),
                "hidden_size": (self.hidden_size, 1),
                "k": (self.k, 1 if finite_number(self.lam) and self.lam > 0 else 0),
                "lam": (self.lam, 0),
                "keep_weight": (self.keep_weight, 0),
                "kernel_weight": (self.kernel_weight, 0),
                "noise_start": (self.noise_start, 1),
            },
            {"lr": self.lr, "estimator_lr": self.estimator_lr},
            whole=("steps", "n_init", "batch_size", "hidden_size", "k"),
            flags={
                "whiten": self.whiten,
                "check_leakage": self.check_leakage,
                "verbose": self.verbose,
            },
        )
        if self.noise != "auto" and not (finite_number(self.noise) and self.noise >= 0):
            raise ValueError(f"noise must be 'auto' or a finite number >= 0, got {self.noise!r}")
        if not (finite_number(self.min_variance) and 0 <= self.min_variance < 1):
            raise ValueError(f"min_variance must be in [0, 1), got {self.min_variance!r}")
        if self.linear_first not in (None, *LINEAR_ERASERS):
            raise ValueError(
                f"linear_first must be None, {', '.join(LINEAR_ERASERS)}, got {self.linear_first!r}"
            )
        if self.linear_first is not None and self.groups_ is None:
            if not make_eraser(self.linear_first).reads_continuous:
                raise ValueError(
                    f"linear_first={self.linear_first!r} reads a categorical attribute, and "
                    "this one is continuous: use 'leace' or None (or put it in bins first)"
                )
        width = X.shape[1]
        if self.n_components is not None and not (
            whole_number(self.n_components) and 1 <= self.n_components <= width
        ):
            raise ValueError(
                f"n_components must be None or a whole number from 1 to X's width {width}, "
                f"got {self.n_components!r}"
            )
        self.n_components_ = width if self.n_components is None else int(self.n_components)
        narrower = self.n_components_ < width
        geometry = "reconstruction" if narrower else "distance"
        self.keep_ = ("task" if y is not None else geometry) if self.keep == "auto" else self.keep
        if self.keep_ == "distance" and narrower:
            raise ValueError(
                "keep='distance' compares z with x coordinate by coordinate and needs z as "
                f"wide as x; with n_components={self.n_components_} keep similarity, "
                "reconstruction or task"
            )
        if self.keep_ == "task":
            assert y is not None
            if len(y) != len(X):
                raise ValueError(f"y has {len(y)} rows but X has {len(X)}")
            check_classification_targets(y)  # the kept task is a classification
            self.classes_, labels = np.unique(y, return_inverse=True)
            n_classes = len(self.classes_)
        else:  # one class: the head's cross-entropy is 0 and sends no gradient
            n_classes, labels = 1, np.zeros(len(X), np.int64)
        c = self._attribute_matrix(attribute)
        random = check_random_state(self.random_state)
        seeds = [int(random.randint(2**31 - 1)) for _ in range(self.n_init)]
        self.linear_ = None
        inputs = X
        if self.linear_first is not None:
            self.linear_ = make_eraser(self.linear_first, random_state=seeds[0])
            inputs = self.linear_.fit(X, sensitive_features=attribute).transform(X)
        # the map learns on x in units of its own spread (a root mean square deviation of 1
        # per column), so that its settings erase alike whatever the units of x
        spread = total_variance(inputs)
        self.scale_ = float(np.sqrt(spread / width)) if spread > 1e-12 else 1.0
        scaled = inputs / np.float32(self.scale_)
        self.noise_readings_: dict[float, float] = {}
        if self.noise == "auto" and self.lam > 0:
            self.noise_ = self._noise_for(scaled, labels, c, n_classes, seeds[0])
        else:  # without the MI term the noise plays no part
            self.noise_ = AUTO_NOISES[0] if self.noise == "auto" else float(self.noise)
        announce = self.verbose and self.n_init > 1
        objectives: list[float] = []
        for start, seed in enumerate(seeds, 1):
            if announce:
                print(f"MIEraser: start {start} of {self.n_init}", file=sys.stderr, flush=True)
            mapping, history = self._train_map(scaled, labels, c, n_classes, seed, self.noise_)
            objectives.append(self._final_objective(history))
            # only the best start so far is held; a later start must be strictly lower
            # (np.argmin's rule: the first of equal objectives is kept, infinite ones too)
            if start == 1 or objectives[-1] < min(objectives[:-1]):
                best = mapping, history
        # set together once every start has trained, so that a fit stopped part-way leaves
        # no attribute of its own behind
        self.objectives_ = objectives
        self.map_, self.history_ = best
        if announce:
            listed = ", ".join(f"{value:.4f}" for value in objectives)
            print(
                f"MIEraser: start {int(np.argmin(objectives)) + 1} kept, the lowest final "
                f"objective ({listed})",
                file=sys.stderr,
                flush=True,
            )
        erases = self.lam > 0 or self.kernel_weight > 0
        checks = erases and self.check_leakage and len(X) >= FIT_CHECK_ROWS
        mapped = self._mapped(inputs) if self.min_variance > 0 or checks else None
        self.leading_ = None
        if self.min_variance > 0:
            assert mapped is not None
            self.leading_ = LeadingDirections(mapped, self.min_variance)
        self.leakage_ = None
        if checks:
            assert mapped is not None
            z = mapped if self.leading_ is None else self.leading_(mapped)
            self.leakage_ = self._audit(z, attribute, **FIT_CHECK)
            warn_on_leakage(self.leakage_, self.history_)

    def _noise_for(
        self, inputs: np.ndarray, labels: np.ndarray, c: np.ndarray, n_classes: int, seed: int
    ) -> float:
        """``noise="auto"``: the least of :data:`AUTO_NOISES` at which the critic reads at most
        :data:`CHANCE_NATS` (its own estimate, the mean of the last fifth of the epochs) from
        the attribute shuffled among the rows, trained for :data:`AUTO_NOISE_STEPS` map steps
        with the map held; the largest where none does. Each reading goes to
        ``noise_readings_``."""
        shuffled = c[np.random.default_rng(seed).permutation(len(c))]
        for noise in AUTO_NOISES:
            _, history = self._train_map(
                inputs, labels, shuffled, n_classes, seed, noise, held=True
            )
            reading = critic_reading(history)
            self.noise_readings_[noise] = reading
            chosen = reading <= CHANCE_NATS or noise == AUTO_NOISES[-1]
            if self.verbose:
                print(
                    f"MIEraser: at critic noise {noise:g} a critic reads {reading:.4f} nats "
                    f"from the attribute shuffled among the rows"
                    + (": the fit runs at this noise" if chosen else ""),
                    file=sys.stderr,
                    flush=True,
                )
            if chosen:
                break
        return noise

    def _train_map(
        self,
        inputs: np.ndarray,
        labels: np.ndarray,
        c: np.ndarray,
        n_classes: int,
        seed: int,
        noise: float,
        *,
        held: bool = False,
    ) -> tuple[nn.Module, list[dict[str, float]]]:
        """One fit of the map from ``seed`` with the critic's ``noise``: the map (on the CPU,
        in eval mode) and its per-epoch history. ``held``: the critic alone learns (lambda
        :data:`HELD_LAM`, no kernel term, at most :data:`AUTO_NOISE_STEPS` steps, quietly), as
        :meth:`_noise_for` reads it."""
        lam, kernel_weight = (HELD_LAM, 0.0) if held else (self.lam, self.kernel_weight)
        torch.manual_seed(seed)
        # c: the groups' one-hot columns, or a continuous attribute's one column
        width, c_width, out = inputs.shape[1], c.shape[1], self.n_components_
        residual = (
            ResidualMap(width, self.hidden_size)
            if out == width
            else PrincipalResidualMap(inputs, self.hidden_size, out)
        )
        head = nn.Linear(out, n_classes)
        # the squared-distance losses weigh a share of x's variance, whatever the units of x
        per_variance = self.keep_weight / total_variance(inputs)
        keep_loss: nn.Module | None = {
            "distance": lambda: DistanceLoss(per_variance),
            "similarity": lambda: SimilarityLoss(self.keep_weight),
            "reconstruction": lambda: ConditionalReconstruction(
                width, c_width, self.hidden_size, per_variance, z_width=out
            ),
            "task": lambda: None,
        }[self.keep_]()
        losses = [keep_loss] if keep_loss is not None else []
        names = [f"keep ({self.keep_})"] if keep_loss is not None else []
        if kernel_weight > 0:
            losses.append(KernelDependence(kernel_weight))
            names.append("kernel term")
        estimator = make_estimator(
            "mine",
            out,
            c_width,
            groups=None if self.groups_ is None else (c_width,),
            noise=noise,
            whiten=self.whiten,
            noise_start=self.noise_start,
        )
        trainer, history = fit_on_arrays(
            residual,
            head,
            estimator,
            inputs,
            labels,
            c,
            steps=min(self.steps, AUTO_NOISE_STEPS) if held else self.steps,
            batch_size=self.batch_size,
            lr=self.lr,
            estimator_lr=self.estimator_lr,
            lr_schedule="cosine",
            seed=seed,
            device=self.device,
            verbose=self.verbose and not held,
            auxiliary=LossSum(losses, " + ".join(names)) if losses else None,
            lam=lam,
            k=self.k if lam > 0 else 0,
        )
        return trainer.encoder.cpu().eval(), history

    def _final_objective(self, history: list[dict[str, float]]) -> float:
        """The training objective of a fit's last epoch: its task loss, auxiliary loss (keep
        loss and kernel term) and ``lam`` x MI estimate; infinite where it is not a number, so
        that such a fit is never the one kept."""
        last = history[-1]
        term = self.lam * last["mi"] if self.lam > 0 else 0.0
        objective = last["task_loss"] + last.get("auxiliary_loss", 0.0) + term
        return objective if np.isfinite(objective) else float("inf")

    def _transform(self, X: np.ndarray) -> np.ndarray:
        # linear_ and leading_ are absent from erasers pickled before they existed
        linear, leading = getattr(self, "linear_", None), getattr(self, "leading_", None)
        z = self._mapped(X if linear is None else linear.transform(X))
        return z if leading is None else leading(z)

    def _mapped(self, X: np.ndarray) -> np.ndarray:
        """The map's output for ``X`` (rows already through the linear eraser, if any), in
        chunks, in the units of X."""
        scale = np.float32(getattr(self, "scale_", 1.0))  # absent from older pickles
        with torch.no_grad():
            parts = [
                self.map_(torch.from_numpy(X[start : start + INFERENCE_ROWS] / scale)).numpy()
                * scale
                for start in range(0, len(X), INFERENCE_ROWS)
            ]
        return np.concatenate(parts) if parts else np.zeros((0, self._n_features_out), np.float32)

    @property
    def _n_features_out(self) -> int:
        # n_components_ is absent from erasers pickled before it existed, and from one fitted
        # without sensitive_features (which hands X back)
        if not self.erases_:
            return self.n_features_in_
        return getattr(self, "n_components_", self.n_features_in_)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of z's columns: X's names when z is as wide as X, else ``mieraser0``,
        ``mieraser1``, ... (as :class:`sklearn.decomposition.PCA` names its components)."""
        check_is_fitted(self)
        if self._n_features_out == self.n_features_in_:
            return super().get_feature_names_out(input_features)
        return ClassNamePrefixFeaturesOutMixin.get_feature_names_out(self, input_features)

    def leakage_report(self, X: Any, sensitive_features: Any, **audit: Any) -> AuditResult:
        """The independent leakage measurement of z = transform(X): a freshly trained
        estimator's I(z; c) and the :data:`ERASURE_PROBES`, each fitted on 70 % of the rows and
        scored on the other 30 % (:func:`mibias.audit.audit_leakage`; ``audit`` overrides its
        settings). Pass rows the eraser was not fitted on."""
        z, c = self.transform(X), as_array(sensitive_features)
        check_rows(c, len(z))
        return self._audit(z, c, **audit)

    def _audit(self, z: np.ndarray, c: np.ndarray, **audit: Any) -> AuditResult:
        """:func:`mibias.audit.audit_leakage` of erased rows with the report's settings, c read
        as the eraser read it."""
        settings = {
            **REPORT_AUDIT,
            "probes": ERASURE_PROBES,
            "attribute_kind": self.attribute_kind,
            **audit,
        }
        return audit_leakage(z, c, **settings)


def make_eraser(method: str, *, random_state: Any = None, **settings: Any) -> AttributeEraser:
    """An unfitted eraser by name: ``mi`` (:class:`MIEraser`), ``leace``
    (:class:`~mibias.baselines.erasers.LeaceEraser`), ``inlp``
    (:class:`~mibias.baselines.erasers.INLPEraser`) or ``project``
    (:class:`~mibias.baselines.erasers.ProjectionEraser`); ``settings`` go to its
    constructor, and ``random_state`` too where the eraser draws at random (the closed-form
    ones do not)."""
    classes: dict[str, type[AttributeEraser]] = {
        "mi": MIEraser,
        "leace": LeaceEraser,
        "inlp": INLPEraser,
        "project": ProjectionEraser,
    }
    if method not in classes:
        raise ValueError(f"unknown eraser {method!r}; choose from {', '.join(ERASERS)}")
    eraser = classes[method](**settings)
    if random_state is not None and "random_state" in eraser.get_params():
        eraser.set_params(random_state=random_state)
    return eraser
