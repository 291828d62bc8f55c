"""Small multilayer perceptrons used as statistics networks and variational heads."""

from __future__ import annotations

from abc import ABC, abstractmethod
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


class PairScorer(nn.Module, ABC):
    """A critic T(z, c) whose first layer is linear in ``concat(z, c)``: it scores pairs from
    their first layer's products with ``z`` and with ``c``, computed apart, so that the same
    ``z`` can be scored against several arrangements of ``c`` for the price of one product."""

    def forward(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """Score each row pair ``(z[i], c[i])``; returns shape ``(N,)``."""
        from_z, from_c = self.first_layer_terms(z, c)
        return self.score(from_z + from_c)

    @abstractmethod
    def first_layer_terms(
        self, z: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The first layer's products with ``z`` and with ``c``, apart."""

    @abstractmethod
    def score(self, first_layer: torch.Tensor) -> torch.Tensor:
        """The scores of pairs given the sum of their first layer's products (any leading
        shape)."""


class StatisticsNetwork(PairScorer):
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
        self.z_dim = z_dim
        self.net = mlp(z_dim + c_dim, hidden, 1, activation)

    def first_layer_terms(
        self, z: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The first layer's products with ``z`` and with ``c``, apart (no bias).

        The first layer is linear in ``concat(z, c)``, so the pre-activation of any pair
        ``(z[i], c[j])`` is ``from_z[i] + from_c[j]`` plus the bias: scoring the same ``z``
        against several arrangements of ``c`` (the joint and the marginal pairs) needs the
        large product with ``z`` once.
        """
        first = self.net[0]
        assert isinstance(first, nn.Linear)
        return z @ first.weight[:, : self.z_dim].T, c @ first.weight[:, self.z_dim :].T

    def score(self, first_layer: torch.Tensor) -> torch.Tensor:
        """The scores of pairs given their first layer's products (any leading shape)."""
        out = first_layer + self.net[0].bias
        for layer in list(self.net)[1:]:
            out = layer(out)
        return out.squeeze(-1)


class AveragedCritic(PairScorer):
    """The mean score of several statistics networks, with :class:`StatisticsNetwork`'s
    interface, so an estimator can read the average of critics trained apart.

    Every bound built on a critic (DV, NWJ, InfoNCE) is concave in the critic's scores, so on the
    same rows the averaged critic's bound is never below the mean of the members' bounds
    (Jensen's inequality); each member fixed, it is still a lower bound on rows none saw.

    Parameters
    ----------
    critics : sequence of StatisticsNetwork
        The members, of the same input widths.
    """

    def __init__(self, critics: Sequence[StatisticsNetwork]) -> None:
        super().__init__()
        if not critics:
            raise ValueError("an averaged critic needs at least one member")
        self.members = nn.ModuleList(critics)
        self.widths = [member.net[0].out_features for member in critics]

    def first_layer_terms(
        self, z: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Every member's :meth:`StatisticsNetwork.first_layer_terms`, side by side."""
        terms = [member.first_layer_terms(z, c) for member in self.members]
        return torch.cat([z_term for z_term, _ in terms], -1), torch.cat(
            [c_term for _, c_term in terms], -1
        )

    def score(self, first_layer: torch.Tensor) -> torch.Tensor:
        """The members' mean score, given their first layers' products side by side."""
        parts = first_layer.split(self.widths, dim=-1)
        return torch.stack(
            [member.score(part) for member, part in zip(self.members, parts, strict=True)]
        ).mean(0)
