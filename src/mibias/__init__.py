"""mibias: representations that carry no information about a bias attribute.

The method of Ragonesi et al., "Learning Unbiased Representations via Mutual Information
Backpropagation": a neural estimator of I(z; c) (MINE) is trained in alternation with the model,
and the model minimises task loss + lambda * I(z; c) by backpropagating through that estimate.

The names below are imported on first use, so that importing a light part of the package (the
command line's parser, :mod:`mibias.version`) does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

from mibias.version import __version__ as __version__

# each public name and the module that defines it
_HOMES = {
    "LinearFERM": "mibias.baselines",
    "MIEraser": "mibias.erasure",
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


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'mibias' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})
