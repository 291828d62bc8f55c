"""The alternating trainer (the paper's Algorithm 1) and its pieces."""

from mibias.training.algorithm import AlternatingStep, DivergenceError
from mibias.training.clipping import clip_mi_gradients
from mibias.training.config import OptimizerConfig, TrainerConfig, resolve_device
from mibias.training.estimator_updates import EstimatorFeed, EstimatorUpdater, FeaturePool
from mibias.training.trainer import MITrainer, seed_everything

__all__ = [
    "AlternatingStep",
    "DivergenceError",
    "EstimatorFeed",
    "EstimatorUpdater",
    "FeaturePool",
    "MITrainer",
    "OptimizerConfig",
    "TrainerConfig",
    "clip_mi_gradients",
    "resolve_device",
    "seed_everything",
]
