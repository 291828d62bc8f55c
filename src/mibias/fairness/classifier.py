"""A scikit-learn classifier whose representation is trained to be independent of an attribute."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from mibias.audit import (
    FIT_CHECK,
    FIT_CHECK_ROWS,
    REPORT_AUDIT,
    TABULAR_PROBES,
    AuditResult,
    audit_leakage,
    warn_on_leakage,
)
from mibias.estimators import CRITIC_ESTIMATORS, AttributeEncoder
from mibias.estimators.attributes import MAX_CATEGORIES, AttributeKind, kind_of
from mibias.inputs import (
    as_array,
    check_rows,
    check_settings,
    checked_sensitive_features,
    continuous_attribute,
    refuse_categorical_columns,
    refuse_missing_values,
    scale_problem,
)
from mibias.methods import make_term
from mibias.training.arrays import fit_on_arrays
from mibias.user_warnings import warn

Criterion = Literal["demographic_parity", "equalized_odds", "equal_opportunity"]
CONDITIONS = {
    "demographic_parity": "none",
    "equalized_odds": "label",
    "equal_opportunity": "positive",
}
INFERENCE_ROWS = 8192


class MIFairClassifier(ClassifierMixin, TransformerMixin, BaseEstimator):
    """An MLP classifier trained with task loss + ``lam`` x I(z; c) (MI backprop).

    A one-hidden-layer feature extractor gives the representation z (``transform``); a linear
    layer on z gives the prediction. An estimator of the dependence between z and the
    sensitive attribute c is trained in alternation with the network and its estimate is
    minimised with the task loss (Algorithm 1 of the paper), so z, and every prediction made
    from it, carries as little information about c as ``lam`` buys.

    Parameters
    ----------
    lam : float
        Weight of the independence term; 0 trains a plain MLP.
    criterion : {"demographic_parity", "equalized_odds", "equal_opportunity"}
        Which independence the term measures: I(z; c) (the paper's term), I(z; c | y)
        (c shuffled within each class, y shown to the estimator) or I(z; c | y = 1) (positive
        rows only; binary labels only, the positive class being ``classes_[1]``).
    estimator : str
        ``mine`` (default) or another name of :func:`mibias.methods.make_term`.
        ``chi2`` penalises the chi^2 information between the prediction and c (Mary et al.);
        ``adversary`` trains an attribute classifier on z that the network learns to defeat
        (as LAFTR does).
    hidden_size : int
        Width of the hidden layer, which is z. A z at least as wide as X can keep all of X,
        and then a weak proxy of c stays in it under every term and lambda tried; a z
        narrower than X must drop something, and the term chooses c (docs/fairness.md, "When
        z is as wide as X").
    steps : int
        Network updates (optimiser steps); the number of passes over the data follows from
        it and the row count. A budget in steps, not epochs, because removing an attribute
        takes about as many updates on 1,000 rows as on 20,000: 20 epochs of 1,000 rows are
        80 updates, which leave z as leaky as no MI term at all (docs/leakage.md).
    batch_size : int
        Rows per step (the MI estimate needs large batches).
    lr, estimator_lr : float
        Adam learning rates of the network and of the estimator.
    lr_schedule : {"cosine", "constant"}
        The network's learning rate over the fit: a cosine decay from ``lr`` towards 0, or
        constant. The decay is what lets the MI term finish the job: at a constant rate the
        task gradient's noise keeps the weights that carry c jittering at about the rate's
        scale, which a probe with a few thousand rows still reads (docs/leakage.md).
    k : int
        Estimator steps per network step: at least 1 with the MI term (ignored by the terms
        that have no parameters to train: ``chi2``, ``hsic``, ``pairwise-kl``).
    noise : float
        Smoothing of the MI term: the critic reads the batch-standardised z plus Gaussian
        noise of this scale (critic-based estimators only; see
        :class:`mibias.estimators.mine.CriticEstimator`). Without it the term saturates at
        H(c) on separable groups and removes almost nothing (docs/leakage.md); 0 turns it off.
    noise_start : float
        The noise starts at this multiple of ``noise`` and falls linearly to ``noise`` over
        the first fifth of the fit (:data:`mibias.estimators.names.NOISE_FALL_SHARE`); 1
        keeps it constant. At a constant noise, 2 of 10 seeds of the nuisance task at 1,000
        rows stayed saturated at H(c) and removed nothing; starting at 4 times the noise took
        both out of it and left no seed above 0.59 (docs/leakage.md).
    mixed_noise : bool
        The critic reads a random half of each batch without noise and the other half at
        sqrt(2) times ``noise``. With the noise on every row an encoder can hide c in
        structure finer than the noise, which the critic cannot see and a probe fitted on a
        few thousand rows reads: on 20 validation seeds of the nuisance task at 1,000 rows
        one fit left z read at 0.875, and none above 0.58 with this on (docs/leakage.md).
    whiten : bool
        The critic reads z whitened (by a running covariance) instead of standardised column
        by column, so that c cannot hide in a direction along which z hardly varies: under
        the noise such a direction looks empty to a standardised critic, while a probe on
        the whitened z still reads c there. On the nuisance task that probe read 0.92 / 0.80
        (1,000 / 20,000 training rows, mean of 5 seeds) with the standardised critic and
        0.53 / 0.52 with this one (docs/leakage.md); critic-based estimators only.
    weight_decay : float
        L2 penalty of the network's Adam.
    check_leakage : bool
        After a fit with the MI term, measure the leakage of z on the training rows with
        :func:`mibias.audit.audit_leakage` (a fresh estimator and probes, on a held-out part)
        into ``leakage_``, and warn when it finds more than the trainer's own estimate or
        (``criterion="demographic_parity"``) when a probe reads c. On a small fit it sees
        what probes fitted on that few rows can learn, no more: measure z of as many
        held-out rows as you have with :meth:`leakage_report` (docs/leakage.md).
    random_state : int, RandomState or None
        Seeds the initialisation, the batch order and the marginal samples.
    device : str
        ``cpu``, ``cuda`` or ``auto``.
    verbose : bool
        Show a progress bar per epoch on a terminal, one plain line per epoch elsewhere (one
        a second where epochs are shorter: a fit on a few hundred rows runs thousands).

    Attributes
    ----------
    classes_ : ndarray
        The class labels.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray
        Column names, when fitted on a DataFrame with string column names.
    attribute_encoder_ : AttributeEncoder or None
        Encoding of the sensitive attribute (``None`` when fitted without one); its
        ``groups_`` is ``None`` for a continuous attribute.
    encoder_, classifier_ : torch.nn.Module
        The feature extractor (x -> z) and the linear head (z -> logits).
    history_ : list of dict
        Per-epoch training metrics (task loss, MI estimate, train accuracy). The MI estimate
        is the trainer's own, read on the rows it trains on: on a few thousand rows it can
        read well above the truth (0.35 nats against 0.111 in
        ``benchmarks.narrow_inputs_levers``); ``leakage_`` is the independent measurement.
    leakage_ : AuditResult or None
        The independent leakage check of the fit (``check_leakage``), or ``None``.

    Examples
    --------
    >>> clf = MIFairClassifier(lam=0.5, random_state=0)  # doctest: +SKIP
    >>> clf.fit(X, y, sensitive_features=gender).predict(X_test)  # doctest: +SKIP
    """

    def __init__(
        self,
        lam: float = 0.5,
        criterion: Criterion = "demographic_parity",
        estimator: str = "mine",
        hidden_size: int = 64,
        steps: int = 2000,
        batch_size: int = 256,
        lr: float = 1e-3,
        estimator_lr: float = 1e-3,
        lr_schedule: Literal["cosine", "constant"] = "cosine",
        k: int = 5,
        noise: float = 0.5,
        noise_start: float = 4.0,
        mixed_noise: bool = True,
        whiten: bool = True,
        weight_decay: float = 0.0,
        check_leakage: bool = True,
        random_state: int | np.random.RandomState | None = None,
        device: str = "cpu",
        verbose: bool = False,
    ) -> None:
        self.lam = lam
        self.criterion = criterion
        self.estimator = estimator
        self.hidden_size = hidden_size
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.estimator_lr = estimator_lr
        self.lr_schedule = lr_schedule
        self.k = k
        self.noise = noise
        self.noise_start = noise_start
        self.mixed_noise = mixed_noise
        self.whiten = whiten
        self.weight_decay = weight_decay
        self.check_leakage = check_leakage
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def fit(self, X: Any, y: Any, *, sensitive_features: Any = None) -> MIFairClassifier:
        """Train on ``X``, ``y`` with the independence term on ``sensitive_features``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric inputs (encode categorical columns first, e.g. with ``OneHotEncoder``),
            best standardised (``StandardScaler`` in a ``Pipeline``), as for scikit-learn's
            ``MLPClassifier``: the network reads them as they are. Columns far from that scale
            (:func:`mibias.inputs.scale_problem`) get a warning.
        y : array-like of shape (n_samples,)
            Class labels.
        sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
            The attribute z must not carry: categorical (strings, booleans or integer codes;
            one one-hot block per column), or one column of more distinct numbers than
            :data:`~mibias.estimators.attributes.MAX_CATEGORIES`, a continuous attribute (an
            age, say), which the critic estimators (``mine``, ``mine-dv``, ``nwj``,
            ``infonce``) read standardised, as a number; the other terms compare groups and
            refuse it, as does such a column among several (put it in bins first). Without
            it the network is trained without the independence term, with a warning.
        """
        if self.criterion not in CONDITIONS:
            raise ValueError(
                f"criterion must be one of {', '.join(CONDITIONS)}, got {self.criterion!r}"
            )
        check_settings(
            {
                "steps": (self.steps, 1),
                "batch_size": (self.batch_size, 2),
                "hidden_size": (self.hidden_size, 1),
                "lam": (self.lam, 0),
                "noise": (self.noise, 0),
                "noise_start": (self.noise_start, 1),
            },
            {"lr": self.lr, "estimator_lr": self.estimator_lr},
            whole=("steps", "batch_size", "hidden_size"),
            flags={
                "whiten": self.whiten,
                "mixed_noise": self.mixed_noise,
                "check_leakage": self.check_leakage,
                "verbose": self.verbose,
            },
        )
        refuse_categorical_columns(X)
        refuse_missing_values(y, "y")
        rows = X  # as given, so that the leakage check's transform sees the same feature names
        X, y = validate_data(self, X, y, dtype=np.float32, force_writeable=True)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"y has only one class ({self.classes_[0]}); a classifier needs at least two"
            )
        if self.criterion == "equal_opportunity" and len(self.classes_) != 2:
            raise ValueError(
                "criterion='equal_opportunity' needs binary labels; y has "
                f"{len(self.classes_)} classes (use equalized_odds or demographic_parity)"
            )
        problem = scale_problem(X, getattr(self, "feature_names_in_", None))
        if problem is not None:
            warn(
                f"X is far from standardised: {problem}, where a standardised column's is 1; "
                "the network reads X as it is and learns worse from it: standardise it first "
                "(StandardScaler in a Pipeline)",
                UserWarning,
            )
        c, self.attribute_encoder_ = self._encode_attribute(sensitive_features, len(X), codes)
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        torch.manual_seed(seed)
        self.encoder_ = nn.Sequential(nn.Linear(X.shape[1], self.hidden_size), nn.ReLU())
        self.classifier_ = nn.Linear(self.hidden_size, len(self.classes_))
        use_mi = c is not None and self.lam > 0
        dependence = self._make_dependence(c) if c is not None else None
        trains_estimator = dependence is not None and any(True for _ in dependence.parameters())
        if trains_estimator and use_mi:  # an estimator that never trains measures nothing
            check_settings({"k": (self.k, 1)}, {}, whole=("k",))
        if c is None:
            c = np.zeros((len(X), 1), np.float32)
        trainer, self.history_ = fit_on_arrays(
            self.encoder_,
            self.classifier_,
            dependence,
            X,
            codes,
            c,
            steps=self.steps,
            batch_size=self.batch_size,
            lr=self.lr,
            estimator_lr=self.estimator_lr,
            lr_schedule=self.lr_schedule,
            weight_decay=self.weight_decay,
            seed=seed,
            device=self.device,
            verbose=self.verbose,
            lam=self.lam if use_mi else 0.0,
            k=self.k if trains_estimator and use_mi else 0,
            mi_condition=CONDITIONS[self.criterion],
            penalise="prediction" if self.estimator == "chi2" else "representation",
        )
        self.encoder_, self.classifier_ = trainer.encoder.cpu(), trainer.classifier.cpu()
        self.encoder_.eval()
        self.classifier_.eval()
        self.leakage_ = None
        if use_mi and self.check_leakage and len(X) >= FIT_CHECK_ROWS:
            self.leakage_ = self.leakage_report(rows, sensitive_features, **FIT_CHECK)
            warn_on_leakage(
                self.leakage_,
                self.history_,
                independent=self.criterion == "demographic_parity",
                advice=self._advice(X.shape[1]),
            )
        return self

    def _advice(self, columns: int) -> str:
        """What to try when the end-of-fit check finds the attribute in z. A z at least as wide
        as X can keep all of X for almost any weights (z determines x), and I(z; c) then stays
        I(x; c) until the weights of c's proxies are exactly zero: on a weak proxy, lam and
        steps did not get there, a narrower z did (``python -m benchmarks.narrow_inputs``)."""
        if self.hidden_size < columns:
            return "raise steps or lam"
        return (
            f"z ({self.hidden_size} units) is as wide as X ({columns} columns) or wider: it can "
            "keep all of X, and then only weights of exactly zero on the attribute's proxies "
            "remove it, which lam and steps may not reach (docs/fairness.md); a hidden_size "
            f"below {columns} makes z drop some of X, and the MI term chooses what"
        )

    def leakage_report(self, X: Any, sensitive_features: Any, **audit: Any) -> AuditResult:
        """The independent leakage measurement of z on ``X``: a freshly trained estimator's
        I(z; c) and the probes of tabular z (:data:`mibias.audit.TABULAR_PROBES`: MLP,
        linear, MLP on the whitened z, gradient-boosted trees), each fitted on 70 % of the rows
        and scored on the other 30 % (:func:`mibias.audit.audit_leakage`; ``audit`` overrides
        its settings). The end-of-fit check (``check_leakage``) is this report.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to embed, ideally ones the model was not trained on.
        sensitive_features : array-like of shape (n_samples,)
            The attribute to look for in z.
        """
        z, c = self.transform(X), as_array(sensitive_features)
        check_rows(c, len(z))
        encoder = getattr(self, "attribute_encoder_", None)
        # as the fit read c: a sample of a continuous one may look like groups
        kind: AttributeKind = "auto" if encoder is None else kind_of(encoder.groups_)
        settings = {**REPORT_AUDIT, "probes": TABULAR_PROBES, "attribute_kind": kind, **audit}
        return audit_leakage(z, c, **settings)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # the network computes in float32
        return tags

    def _encode_attribute(
        self, sensitive: Any, n_rows: int, codes: np.ndarray
    ) -> tuple[np.ndarray | None, AttributeEncoder | None]:
        """The estimator's attribute matrix (with y one-hot for equalized odds)."""
        if sensitive is None:
            if self.lam > 0:
                warn(
                    "fit() got no sensitive_features: the network is trained without the "
                    "independence term (a plain MLP)",
                    UserWarning,
                )
            return None, None
        # a critic reads a number as readily as a group's one-hot columns; one column of them
        reads_continuous = (
            self.estimator in CRITIC_ESTIMATORS and as_array(sensitive).size == n_rows
        )
        limit = None if reads_continuous else MAX_CATEGORIES
        values = checked_sensitive_features(sensitive, n_rows, max_groups=limit)
        continuous = reads_continuous and continuous_attribute(values.reshape(-1), MAX_CATEGORIES)
        encoder = AttributeEncoder(kind="continuous" if continuous else "categorical").fit(values)
        c = encoder.transform(values).numpy()
        if self.criterion == "equalized_odds":
            c = np.hstack([c, np.eye(len(self.classes_), dtype=np.float32)[codes]])
        return c, encoder

    def _make_dependence(self, c: np.ndarray) -> Any:
        assert self.attribute_encoder_ is not None
        groups = list(self.attribute_encoder_.groups_ or ())
        if self.criterion == "equalized_odds":
            groups.append(len(self.classes_))
        z_dim = len(self.classes_) if self.estimator == "chi2" else self.hidden_size
        critic = self.estimator in CRITIC_ESTIMATORS
        return make_term(
            self.estimator,
            z_dim,
            c.shape[1],
            groups=groups,
            noise=self.noise if critic else 0.0,
            whiten=self.whiten and critic,
            noise_start=self.noise_start,
            mixed_noise=self.mixed_noise,
        )

    def _outputs(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        check_is_fitted(self)
        refuse_categorical_columns(X)
        X = validate_data(self, X, dtype=np.float32, reset=False, force_writeable=True)
        zs, logits = [], []
        with torch.no_grad():
            for start in range(0, len(X), INFERENCE_ROWS):
                z = self.encoder_(torch.from_numpy(X[start : start + INFERENCE_ROWS]))
                zs.append(z.numpy())
                logits.append(self.classifier_(z).numpy())
        if not zs:
            return np.zeros((0, self.hidden_size)), np.zeros((0, len(self.classes_)))
        return np.concatenate(zs), np.concatenate(logits)

    def transform(self, X: Any) -> np.ndarray:
        """The learned representation z of ``X``, shape ``(n_samples, hidden_size)``."""
        return self._outputs(X)[0]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        logits = torch.from_numpy(self._outputs(X)[1])
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row."""
        logits = self._outputs(X)[1]
        return self.classes_[logits.argmax(axis=1)]
