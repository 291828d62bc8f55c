"""The authors' digit network: conv-pool-conv-pool-fc-fc, then a linear logit layer."""

from __future__ import annotations

import torch
from torch import nn

from mibias.models.z_layer import CONV_FEATURES, ZLayer, representation_size


def conv_layers(in_channels: int = 3) -> list[nn.Module]:
    """conv 64 5x5 + ReLU, max-pool 2, conv 64 5x5 + ReLU, max-pool 2, flatten (1024)."""
    return [
        nn.Conv2d(in_channels, 64, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
    ]


def fc_layers(z_dim: int = 64) -> list[nn.Module]:
    """FC 512 + ReLU, FC ``z_dim`` + ReLU, on the flattened convolutional features."""
    return [nn.Linear(CONV_FEATURES, 512), nn.ReLU(), nn.Linear(512, z_dim), nn.ReLU()]


class DigitEncoder(nn.Module):
    """g: conv 64 5x5 + ReLU, max-pool 2, conv 64 5x5 + ReLU, max-pool 2, FC 512 + ReLU,
    FC ``z_dim`` + ReLU (= z). No batch norm, as in the authors' code.

    With ``z_layer="conv"`` g stops after the convolutional stack, so z is its flattened
    1024-d output and the fully connected layers move to the classifier
    (:func:`digit_classifier` with the same ``z_layer``): the same network, with the MI term
    on an earlier layer.

    Takes uint8 or float images of shape ``(N, 3, 28, 28)``; uint8 pixels are scaled to
    [0, 1] inside, so datasets can stay in uint8 (4 x less memory).
    """

    def __init__(self, z_dim: int = 64, in_channels: int = 3, z_layer: ZLayer = "fc") -> None:
        super().__init__()
        if z_layer not in ("fc", "conv"):
            raise ValueError(f"z_layer must be fc or conv, got {z_layer!r}")
        layers = conv_layers(in_channels)  # built first: the initial weights follow this order
        if z_layer == "fc":
            layers += fc_layers(z_dim)
        self.features = nn.Sequential(*layers)
        self.z_dim = representation_size(z_layer, z_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map images to representations of shape ``(N, self.z_dim)``."""
        if x.dtype == torch.uint8:
            x = x.float().div_(255.0)
        return self.features(x)


def digit_classifier(z_dim: int = 64, n_classes: int = 10, z_layer: ZLayer = "fc") -> nn.Module:
    """f: the linear logit layer on z; with ``z_layer="conv"``, the fully connected layers
    (FC 512, FC ``z_dim``) and then the logit layer."""
    if z_layer == "fc":
        return nn.Linear(z_dim, n_classes)
    return nn.Sequential(*fc_layers(z_dim), nn.Linear(z_dim, n_classes))
