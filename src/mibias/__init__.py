"""mibias: representations that carry no information about a bias attribute.

The method of Ragonesi et al., "Learning Unbiased Representations via Mutual Information
Backpropagation": a neural estimator of I(z; c) (MINE) is trained in alternation with the model,
and the model minimises task loss + lambda * I(z; c) by backpropagating through that estimate.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mibias")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

from mibias.estimators import (
    CLUB,
    MINE,
    NWJ,
    AttributeEncoder,
    InfoNCE,
    MIEstimator,
    make_estimator,
)
from mibias.fairness import LinearFERM, MIFairClassifier
from mibias.training import DivergenceError, MITrainer, OptimizerConfig, TrainerConfig

__all__ = [
    "CLUB",
    "MINE",
    "NWJ",
    "AttributeEncoder",
    "DivergenceError",
    "InfoNCE",
    "LinearFERM",
    "MIEstimator",
    "MIFairClassifier",
    "MITrainer",
    "OptimizerConfig",
    "TrainerConfig",
    "__version__",
    "make_estimator",
]
