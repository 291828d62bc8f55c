"""Algorithm 1 on in-memory arrays for a budget of updates: how the scikit-learn style
estimators (``MIFairClassifier``, ``MIEraser``) train."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from mibias.estimators import MIEstimator
from mibias.training.config import OptimizerConfig, TrainerConfig
from mibias.training.distributed import training_loader
from mibias.training.trainer import MITrainer


def fit_on_arrays(
    encoder: nn.Module,
    head: nn.Module,
    term: MIEstimator | None,
    x: np.ndarray,
    labels: np.ndarray,
    c: np.ndarray,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    estimator_lr: float,
    lr_schedule: str,
    seed: int,
    device: str,
    verbose: bool,
    weight_decay: float = 0.0,
    auxiliary: nn.Module | None = None,
    **settings: Any,
) -> tuple[MITrainer, list[dict[str, float]]]:
    """Train ``head(encoder(x))`` on ``labels`` with the dependence ``term`` on ``c`` for about
    ``steps`` updates of ``batch_size`` rows (whole epochs: the last one completes).

    Adam for the networks (``lr``, ``weight_decay``, along ``lr_schedule``) and for the term
    (``estimator_lr``); no clipping, eager estimator steps, no TensorBoard; ``settings`` are
    further :class:`TrainerConfig` fields (``lam``, ``k``, ``mi_condition``, ...). Returns the
    trainer, whose networks are on ``device``, and the per-epoch history.
    """
    config = TrainerConfig(
        epochs=math.ceil(steps / math.ceil(len(x) / batch_size)),
        clip="none",
        model_optimizer=OptimizerConfig(lr=lr, weight_decay=weight_decay),
        estimator_optimizer=OptimizerConfig(lr=estimator_lr),
        lr_schedule=lr_schedule,  # type: ignore[arg-type]
        compile_estimator=False,
        device=device,
        seed=seed,
        progress=verbose,
        tensorboard=False,
        **settings,
    )
    data = TensorDataset(
        torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64)), torch.from_numpy(c)
    )
    loader = training_loader(
        data, batch_size, generator=torch.Generator().manual_seed(seed), seed=seed
    )
    trainer = MITrainer(encoder, head, term, config, auxiliary=auxiliary)
    return trainer, trainer.fit(loader)
