"""The pieces of Moyer et al.'s variational method around any encoder trunk."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class GaussianPosterior(nn.Module):
    """``trunk(x)`` -> ``[mu, log_var]`` of a diagonal Gaussian q(z | x) (width ``2 z_dim``)."""

    def __init__(self, trunk: nn.Module, features: int, z_dim: int) -> None:
        super().__init__()
        self.trunk = trunk
        self.head = nn.Linear(features, 2 * z_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu, log_var = self.head(self.trunk(x)).chunk(2, dim=1)
        return torch.cat([mu, log_var.clamp(-8.0, 8.0)], dim=1)


def sample(posterior: torch.Tensor, training: bool) -> torch.Tensor:
    """A reparameterised draw from ``[mu, log_var]`` when training, the mean otherwise."""
    mu, log_var = posterior.chunk(2, dim=1)
    if not training:
        return mu
    return mu + torch.randn_like(mu) * (0.5 * log_var).exp()


class SampledClassifier(nn.Module):
    """The task head on a sample of z (on the posterior mean in eval mode)."""

    def __init__(self, z_dim: int, n_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(z_dim, n_classes)

    def forward(self, posterior: torch.Tensor) -> torch.Tensor:
        return self.linear(sample(posterior, self.training))


class ConditionalDecoder(nn.Module):
    """The auxiliary loss of Moyer et al.: reconstruct x from (z, c) and keep q(z | x) near N(0, I).

    Called as ``decoder(x, posterior, y, c)``; returns ``reconstruction_weight`` x the mean
    per-pixel binary cross-entropy of the reconstruction (images scaled to [0, 1]) plus
    ``beta`` x the mean KL of the posteriors from the standard normal prior. The decoder sees c
    concatenated to the sample of z, so z need not carry c to reconstruct x.
    """

    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        image_shape: tuple[int, ...],
        hidden: int = 512,
        beta: float = 0.1,
        reconstruction_weight: float = 1.0,
    ) -> None:
        super().__init__()
        self.image_shape = image_shape
        pixels = int(torch.tensor(image_shape).prod())
        self.net = nn.Sequential(
            nn.Linear(z_dim + c_dim, hidden), nn.ReLU(), nn.Linear(hidden, pixels)
        )
        self.beta = beta
        self.reconstruction_weight = reconstruction_weight

    def forward(
        self, x: torch.Tensor, posterior: torch.Tensor, y: torch.Tensor, c: torch.Tensor
    ) -> torch.Tensor:
        target = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
        logits = self.net(torch.cat([sample(posterior, self.training), c], dim=1))
        reconstruction = F.binary_cross_entropy_with_logits(logits, target.flatten(1))
        mu, log_var = posterior.chunk(2, dim=1)
        prior_kl = 0.5 * (mu**2 + log_var.exp() - 1.0 - log_var).sum(1).mean()
        return self.reconstruction_weight * reconstruction + self.beta * prior_kl
