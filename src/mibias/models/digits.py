"""The authors' digit network: conv-pool-conv-pool-fc-fc, then a linear logit layer."""

from __future__ import annotations

import torch
from torch import nn


class DigitEncoder(nn.Module):
    """g: conv 64 5x5 + ReLU, max-pool 2, conv 64 5x5 + ReLU, max-pool 2, FC 512 + ReLU,
    FC ``z_dim`` + ReLU (= z). No batch norm, as in the authors' code.

    Takes uint8 or float images of shape ``(N, 3, 28, 28)``; uint8 pixels are scaled to
    [0, 1] inside, so datasets can stay in uint8 (4 x less memory).
    """

    def __init__(self, z_dim: int = 64, in_channels: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 4 * 4, 512),
            nn.ReLU(),
            nn.Linear(512, z_dim),
            nn.ReLU(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map images to representations of shape ``(N, z_dim)``."""
        if x.dtype == torch.uint8:
            x = x.float().div_(255.0)
        return self.features(x)


def digit_classifier(z_dim: int = 64, n_classes: int = 10) -> nn.Linear:
    """f: the linear logit layer on z."""
    return nn.Linear(z_dim, n_classes)
