"""mibias: representations that carry no information about a bias attribute.

The method of Ragonesi et al., "Learning Unbiased Representations via Mutual Information
Backpropagation": a neural estimator of I(z; c) (MINE) is trained in alternation with the model,
and the model minimises task loss + lambda * I(z; c) by backpropagating through that estimate.

The names below are imported on first use, so that importing a light part of the package (the
command line's parser, :mod:`mibias.version`) does not import torch.
"""

from __future__ import annotations

from mibias.lazy import lazy_names
from mibias.version import __version__ as __version__

# each public name and the module that defines it
_HOMES = {
    "LinearFERM": "mibias.baselines",
    "MIEraser": "mibias.erasure.eraser",
    "CLUB": "mibias.estimators",
    "MINE": "mibias.estimators",
    "NWJ": "mibias.estimators",
    "AttributeEncoder": "mibias.estimators",
    "InfoNCE": "mibias.estimators",
    "MIEstimator": "mibias.estimators",
    "make_estimator": "mibias.estimators",
    "MIFairClassifier": "mibias.fairness",
    "DivergenceError": "mibias.training",
    "MITrainer": "mibias.training",
    "OptimizerConfig": "mibias.training",
    "TrainerConfig": "mibias.training",
}

__all__ = sorted([*_HOMES, "__version__"])

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
