"""The alternating trainer (the paper's Algorithm 1) and its pieces.

The names below are imported on first use (:mod:`mibias.lazy`): the settings in
:mod:`mibias.training.config` can be read without importing torch.
"""

from mibias.lazy import lazy_names

# each public name and the module that defines it
_HOMES = {
    "AlternatingStep": "mibias.training.algorithm",
    "DivergenceError": "mibias.training.algorithm",
    "EstimatorFeed": "mibias.training.estimator_updates",
    "EstimatorUpdater": "mibias.training.estimator_updates",
    "FeaturePool": "mibias.training.estimator_updates",
    "MITrainer": "mibias.training.trainer",
    "OptimizerConfig": "mibias.training.config",
    "TrainerConfig": "mibias.training.config",
    "clip_mi_gradients": "mibias.training.clipping",
    "resolve_device": "mibias.training.config",
    "seed_everything": "mibias.training.trainer",
}

__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
