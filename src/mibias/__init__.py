"""mibias: representations that carry no information about a bias attribute.

The method of Ragonesi et al., "Learning Unbiased Representations via Mutual Information
Backpropagation": a neural estimator of I(z; c) (MINE) is trained in alternation with the model,
and the model minimises task loss + lambda * I(z; c) by backpropagating through that estimate.
"""

from mibias.baselines import LinearFERM
from mibias.erasure import MIEraser
from mibias.estimators import (
    CLUB,
    MINE,
    NWJ,
    AttributeEncoder,
    InfoNCE,
    MIEstimator,
    make_estimator,
)
from mibias.fairness import MIFairClassifier
from mibias.training import DivergenceError, MITrainer, OptimizerConfig, TrainerConfig
from mibias.version import __version__

__all__ = [
    "CLUB",
    "MINE",
    "NWJ",
    "AttributeEncoder",
    "DivergenceError",
    "InfoNCE",
    "LinearFERM",
    "MIEraser",
    "MIEstimator",
    "MIFairClassifier",
    "MITrainer",
    "OptimizerConfig",
    "TrainerConfig",
    "__version__",
    "make_estimator",
]
