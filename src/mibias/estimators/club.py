"""CLUB: a contrastive log-ratio upper bound of mutual information (Cheng et al., 2020)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from mibias.estimators.base import MIEstimator
from mibias.estimators.networks import mlp


class CLUB(MIEstimator):
    """Upper bound ``E_joint[log q(c|z)] - E_z E_c[log q(c|z)]`` with a variational q.

    q is categorical (one softmax per one-hot block of c) when ``groups`` is given, otherwise
    a diagonal Gaussian. The head is trained by maximum likelihood on the joint pairs; the
    marginal term averages over all N x N pairs of the batch in closed form, so ``perm`` is
    not used.

    Parameters
    ----------
    z_dim, c_dim : int
        Widths of the representation and of the encoded attribute.
    groups : sequence of int, optional
        Sizes of the one-hot blocks of a categorical attribute (``AttributeEncoder.groups_``).
    hidden, activation
        Shape of the variational head.
    """

    upper_bound = True
    floor_check = False

    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        groups: Sequence[int] | None = None,
        hidden: Sequence[int] = (64, 64),
        activation: str = "leaky_relu",
    ) -> None:
        super().__init__()
        self.z_dim, self.c_dim = z_dim, c_dim
        if groups is not None and sum(groups) != c_dim:
            raise ValueError(f"groups {list(groups)} do not add up to c_dim={c_dim}")
        self.groups = tuple(groups) if groups is not None else None
        out_dim = c_dim if self.groups else 2 * c_dim
        self.head = mlp(z_dim, hidden, out_dim, activation)

    def _log_likelihoods(
        self, z: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Means of log q(c_i | z_i) and, over all pairs, of log q(c_j | z_i), up to a constant."""
        out = self.head(z)
        if self.groups:
            joint = z.new_zeros(())
            marginal = z.new_zeros(())
            for logits, onehot in zip(
                out.split(self.groups, dim=1), c.split(self.groups, dim=1), strict=True
            ):
                log_q = F.log_softmax(logits, dim=1)
                joint = joint + (log_q * onehot).sum(1).mean()
                marginal = marginal + (log_q @ onehot.mean(0)).mean()
            return joint, marginal
        mu, log_var = out.chunk(2, dim=1)
        log_var = log_var.clamp(-10.0, 10.0)
        inv_var = torch.exp(-log_var)
        joint = -0.5 * (((c - mu) ** 2) * inv_var + log_var).sum(1).mean()
        # E_j (c_j - mu_i)^2 = E c^2 - 2 mu_i E c + mu_i^2
        spread = (c**2).mean(0) - 2 * mu * c.mean(0) + mu**2
        marginal = -0.5 * (spread * inv_var + log_var).sum(1).mean()
        return joint, marginal

    def estimate(self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        joint, marginal = self._log_likelihoods(z, c)
        return joint - marginal

    def objective(
        self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        joint, _ = self._log_likelihoods(z, c)
        return -joint, {}
