"""The leakage audit's defaults and probe names, readable without torch or scikit-learn:
``mibias audit --help`` shows them, and :func:`mibias.audit.audit_leakage` takes its defaults
from :data:`AUDIT` (the parameters are documented there)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ProbeKind = Literal["mlp", "logistic", "svm", "knn", "trees", "whitened_mlp", "none"]

# the probes an audit runs unless told otherwise, and every probe it can run (the RBF SVM and
# the nearest-neighbour vote take time that grows with the square of the rows, and calibrate
# on 5 folds: on request; so do the gradient-boosted trees, one tree per class and round: one
# fit on 2,100 x 1,024 features of 10 colour classes took 125 s, docs/leakage.md)
PROBES: tuple[ProbeKind, ...] = ("mlp", "logistic", "whitened_mlp")
# the prefix of a probe that reads z whitened (:func:`~mibias.audit.estimates.whitened_components`):
# a direction of z that carries the attribute counts however little z varies along it; the
# classifier is the one the rest of its name gives
WHITENED = "whitened_"
PROBE_KINDS: tuple[ProbeKind, ...] = (*PROBES, "svm", "knn", "trees")
# the probe classifiers themselves (a whitened probe fits one of these on the whitened z)
CLASSIFIER_KINDS: tuple[ProbeKind, ...] = tuple(
    kind for kind in PROBE_KINDS if not kind.startswith(WHITENED)
)
# the probes that check a fair classifier's z on tabular data: the audit's and the trees, which
# read an attribute left in thresholds of single units of a ReLU layer (MIFairClassifier's z on
# Adult, docs/leakage.md); there z is narrow and the attribute has few values, so their six
# fits take seconds (3.4 s on 10,000 rows of 64 columns and two values, one thread)
TABULAR_PROBES: tuple[ProbeKind, ...] = (*PROBES, "trees")

# a continuous attribute of one column (an age, say) reaches the probes as its quantile bin:
# this many bins, their edges the quantiles of the rows the probes are fitted on. A bin is a
# function of c, so the bound a probe's log-loss gives on I(z; bin) is one on I(z; c) too; five
# bins leave each of them a fifth of the held-out rows to score
CONTINUOUS_BINS = 5

# the fewest rows an audit reads (a held-out estimate needs some to fit and some to score),
# and the fewest on each side of its split (fewer break the estimators' and probes' own splits)
MIN_ROWS = 20
MIN_SPLIT_ROWS = 5


@dataclass(frozen=True)
class AuditDefaults:
    """The default of each setting of :func:`mibias.audit.audit_leakage` that the command line
    offers (what each means: that function's parameters)."""

    estimator: str = "mine"
    restarts: int = 3
    steps: int = 4000
    batch_size: int = 1024
    lr: float = 1e-3
    hidden: tuple[int, ...] = (64, 64, 64)
    activation: str = "gelu"
    max_dims: int = 64
    test_size: float = 0.3
    patience: float | None = 0.5


AUDIT = AuditDefaults()
