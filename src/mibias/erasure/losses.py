"""What MIEraser minimises beside lambda * I(z; c): the keep losses (distance, similarity, a
conditional reconstruction; weighed per unit of x's total variance) and the kernel dependence
term, each called by the trainer as ``(x, z, y, c)``, and their sum."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mibias.baselines.penalties import NormalisedHSIC


class WeightedKeepLoss(nn.Module):
    """A keep loss ``weight`` x ``loss(x, z)``, called by the trainer as ``(x, z, y, c)``."""

    def __init__(self, weight: float) -> None:
        super().__init__()
        self.weight = weight

    def forward(
        self, x: torch.Tensor, z: torch.Tensor, y: torch.Tensor, c: torch.Tensor
    ) -> torch.Tensor:
        return self.weight * self.loss(x, z)

    def loss(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class DistanceLoss(WeightedKeepLoss):
    """The mean squared distance between z and x: keep the geometry of x by moving each vector
    as little as the MI term allows."""

    def loss(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return (z - x).pow(2).sum(1).mean()


class SimilarityLoss(WeightedKeepLoss):
    """The mean squared difference between the batch's pairwise cosine similarities in z and
    in x: keep the neighbourhoods of x, not its coordinates."""

    def loss(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        def cosines(a: torch.Tensor) -> torch.Tensor:
            unit = nn.functional.normalize(a.float(), dim=1)
            return unit @ unit.T

        return (cosines(z) - cosines(x)).pow(2).mean()


class ConditionalReconstruction(nn.Module):
    """``weight`` x the squared error of a decoder that rebuilds x (``width`` wide) from z
    (``z_width`` wide; x's width when ``None``) and c: z keeps everything in x but c, which the
    decoder is given."""

    def __init__(
        self, width: int, c_dim: int, hidden: int, weight: float, z_width: int | None = None
    ) -> None:
        super().__init__()
        self.decoder = nn.Sequential(
            nn.Linear((width if z_width is None else z_width) + c_dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, width),
        )
        self.weight = weight

    def forward(
        self, x: torch.Tensor, z: torch.Tensor, y: torch.Tensor, c: torch.Tensor
    ) -> torch.Tensor:
        return self.weight * (self.decoder(torch.cat([z, c], 1)) - x).pow(2).sum(1).mean()


def total_variance(x: np.ndarray) -> float:
    """The mean squared distance of the rows of ``x`` to their mean (the sum of the columns'
    variances); the squared-distance keep losses are weighed per unit of it, so that they read
    the same whatever the units of x (at least a tiny positive number: a constant x has
    none)."""
    rows = x.astype(np.float64)
    return max(float(((rows - rows.mean(axis=0)) ** 2).sum(axis=1).mean()), 1e-12)


class KernelDependence(nn.Module):
    """``weight`` x the normalised HSIC between z and c on the batch
    (:class:`~mibias.baselines.penalties.NormalisedHSIC`, a Gaussian kernel on z): a closed-form
    dependence term beside the MI term, which reads c the way a kernel classifier such as an
    RBF SVM does."""

    def __init__(self, weight: float) -> None:
        super().__init__()
        self.weight = weight
        self.hsic = NormalisedHSIC()

    def forward(
        self, x: torch.Tensor, z: torch.Tensor, y: torch.Tensor, c: torch.Tensor
    ) -> torch.Tensor:
        return self.weight * self.hsic.estimate(z, c, torch.arange(len(z), device=z.device))


class LossSum(nn.Module):
    """The sum of further losses, each called by the trainer as ``(x, z, y, c)``; ``name`` is
    what the trainer's per-epoch line calls it."""

    def __init__(self, losses: list[nn.Module], name: str) -> None:
        super().__init__()
        self.losses = nn.ModuleList(losses)
        self.name = name

    def forward(
        self, x: torch.Tensor, z: torch.Tensor, y: torch.Tensor, c: torch.Tensor
    ) -> torch.Tensor:
        return sum((loss(x, z, y, c) for loss in self.losses), z.new_zeros(()))
