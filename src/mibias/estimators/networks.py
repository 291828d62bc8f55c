"""Small multilayer perceptrons used as statistics networks and variational heads."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "leaky_relu": nn.LeakyReLU,
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
}


def mlp(
    in_dim: int, hidden: Sequence[int], out_dim: int, activation: str = "leaky_relu"
) -> nn.Sequential:
    """Build a feed-forward network ``in_dim -> hidden... -> out_dim`` (linear output).

    Parameters
    ----------
    in_dim, out_dim : int
        Input and output widths.
    hidden : sequence of int
        Widths of the hidden layers, each followed by ``activation``.
    activation : str
        One of ``leaky_relu`` (default, as in the authors' digit code), ``relu``, ``elu``,
        ``tanh``, ``gelu``.
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")
    if in_dim < 1 or out_dim < 1 or any(h < 1 for h in hidden):
        raise ValueError(f"layer widths must be positive, got {in_dim}, {list(hidden)}, {out_dim}")
    layers: list[nn.Module] = []
    width = in_dim
    for h in hidden:
        layers += [nn.Linear(width, h), ACTIVATIONS[activation]()]
        width = h
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


class StatisticsNetwork(nn.Module):
    """The critic T(z, c) of MINE-style bounds: an MLP on ``concat(z, c)`` returning a scalar.

    Parameters
    ----------
    z_dim, c_dim : int
        Widths of the representation and of the encoded attribute.
    hidden : sequence of int
        Hidden widths; the default ``(64, 64, 64)`` matches the authors' digit code.
    activation : str
        Hidden activation (see :func:`mlp`).
    """

    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        hidden: Sequence[int] = (64, 64, 64),
        activation: str = "leaky_relu",
    ) -> None:
        super().__init__()
        self.net = mlp(z_dim + c_dim, hidden, 1, activation)

    def forward(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """Score each row pair ``(z[i], c[i])``; returns shape ``(N,)``."""
        return self.net(torch.cat([z, c], dim=1)).squeeze(1)
