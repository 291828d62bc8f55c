"""The baselines' dependence terms, behind the estimator interface.

Each lets the common trainer run a published baseline by swapping the MI estimator: the chi^2
information between a soft prediction and a categorical attribute (Mary et al., 2019), an
adversary that predicts the attribute from z (LAFTR, Madras et al., 2018; its cross-entropy
gives the Barber-Agakov variational lower bound of I(z; c)), Alvi et al.'s confusion head, Kim
et al.'s gradient-reversal head, Moyer et al.'s pairwise KL, and a kernel dependence measure
(normalised HSIC, as ReBias uses, Bahng et al., 2020) that needs no inner loop.
:func:`make_penalty` builds them by name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from mibias.estimators.base import MIEstimator
from mibias.estimators.networks import mlp


def _blocks(c_dim: int, groups: Sequence[int] | None) -> tuple[int, ...]:
    blocks = tuple(groups) if groups is not None else (c_dim,)
    if sum(blocks) != c_dim:
        raise ValueError(f"groups {list(blocks)} do not add up to c_dim={c_dim}")
    return blocks


class ChiSquaredInformation(MIEstimator):
    """chi^2 information between the softmax of ``z`` and a one-hot attribute ``c``.

    ``sum_jk P(j, k)^2 / (P(j) P(k)) - 1`` with ``P(j, k)`` the batch mean of
    ``softmax(z)_j * c_k``: zero exactly when the soft prediction is independent of c, and for
    two classes and two groups the squared Hirschfeld-Gebelein-Renyi maximal correlation. It
    has no parameters (train it with ``k = 0``) and does not use ``perm``. Mary et al. apply it
    to the classifier's prediction: use it with ``TrainerConfig(penalise="prediction")``.

    Parameters
    ----------
    c_dim : int
        Width of the one-hot attribute.
    groups : sequence of int, optional
        One-hot blocks of c; the measure is summed over blocks. Default: one block.
    """

    floor_check = False

    def __init__(self, c_dim: int, groups: Sequence[int] | None = None) -> None:
        super().__init__()
        self.c_dim = c_dim
        self.groups = _blocks(c_dim, groups)

    def estimate(self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        p = torch.softmax(z.float(), dim=1)
        total = z.new_zeros((), dtype=torch.float32)
        for onehot in c.split(self.groups, dim=1):
            joint = p.T @ onehot / len(p)
            product = p.mean(0)[:, None] * onehot.mean(0)[None, :]
            total = total + (joint**2 / product.clamp_min(1e-12)).sum() - 1.0
        return total


class Adversary(MIEstimator):
    """A classifier of the attribute from z; its fit bounds I(z; c) from below.

    The head q(c | z) (one softmax per one-hot block) is trained by cross-entropy, and the
    estimate is the Barber-Agakov bound ``H(c) - CE``, with H(c) the batch's empirical entropy
    of each block (a constant for z). Minimising it drives the model to make the adversary
    fail: the adversarial training of LAFTR and its relatives. It can go far below zero when
    the encoder outpaces the adversary, which is not divergence (``floor_check`` is off).

    Parameters
    ----------
    z_dim, c_dim : int
        Widths of the representation and of the one-hot attribute.
    groups : sequence of int, optional
        One-hot blocks of c; default one block.
    hidden, activation
        Shape of the head.
    """

    floor_check = False

    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        groups: Sequence[int] | None = None,
        hidden: Sequence[int] = (64,),
        activation: str = "leaky_relu",
    ) -> None:
        super().__init__()
        self.z_dim, self.c_dim = z_dim, c_dim
        self.groups = _blocks(c_dim, groups)
        self.head = mlp(z_dim, hidden, c_dim, activation)

    def cross_entropy(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of the head's predictions, summed over blocks."""
        total = z.new_zeros(())
        for logits, onehot in zip(
            self.head(z).split(self.groups, dim=1), c.split(self.groups, dim=1), strict=True
        ):
            total = total - (F.log_softmax(logits, dim=1) * onehot).sum(1).mean()
        return total

    def estimate(self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        entropy = z.new_zeros(())
        for onehot in c.split(self.groups, dim=1):
            freq = onehot.mean(0)
            entropy = entropy - torch.special.xlogy(freq, freq).sum()
        return entropy - self.cross_entropy(z, c)

    def objective(
        self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return self.cross_entropy(z, c), {}


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.scale * grad, None


def reverse_gradient(x: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """Identity forward; multiplies the gradient by ``-scale`` on the way back."""
    return _ReverseGradient.apply(x, scale)


def _entropies(logits: torch.Tensor, groups: Sequence[int]) -> list[torch.Tensor]:
    """Mean entropy of each block's softmax."""
    out = []
    for block in logits.split(tuple(groups), dim=1):
        log_q = F.log_softmax(block, dim=1)
        out.append(-(log_q.exp() * log_q).sum(1).mean())
    return out


class ConfusionAdversary(Adversary):
    """Alvi et al.'s "blind eye": the bias head is trained to predict c; the model minimises
    the confusion loss, the cross-entropy between the head's output and the uniform
    distribution, shifted so that it is 0 at uniform predictions."""

    def estimate(self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        total = z.new_zeros(())
        for block in self.head(z).split(self.groups, dim=1):
            uniform_ce = -F.log_softmax(block, dim=1).mean(1).mean()
            total = total + uniform_ce - math.log(block.shape[1])
        return total


class ReversalAdversary(Adversary):
    """Kim et al.'s "learning not to learn": the bias head predicts c; the model gets the
    head's cross-entropy gradient reversed and scaled by ``reversal``, and lambda weighs a term
    pushing the head's predictions toward maximum entropy, as in Kim et al.'s code.

    The estimate is ``CE - H``; :meth:`penalty_terms` splits it into ``-H`` (weighed by
    lambda) and the reversed ``CE`` (``fixed``: it reaches the encoder at ``reversal`` whatever
    lambda, also at lambda 0 and under a lambda warm-up). ``-H`` is never positive, so a
    clamped penalty (``TrainerConfig.clamp_penalty``) leaves it as it is (``clampable``).

    Parameters
    ----------
    reversal : float
        Factor of the gradient reversal layer (0.1 in Kim et al.'s code).
    """

    fixed_term = True
    clampable = False

    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        groups: Sequence[int] | None = None,
        hidden: Sequence[int] = (64,),
        activation: str = "leaky_relu",
        reversal: float = 0.1,
    ) -> None:
        super().__init__(z_dim, c_dim, groups, hidden, activation)
        self.reversal = reversal

    def penalty_terms(
        self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        entropy = sum(_entropies(self.head(z), self.groups), z.new_zeros(()))
        return -entropy, self.cross_entropy(reverse_gradient(z, self.reversal), c)

    def estimate(self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        weighed, fixed = self.penalty_terms(z, c, perm)
        return weighed + fixed


class PairwiseGaussianKL(MIEstimator):
    """Moyer et al.'s invariance penalty: the mean KL between the batch's Gaussian posteriors.

    ``z`` holds each row's posterior ``q(z | x_i) = N(mu_i, diag(exp(log_var_i)))`` as
    ``[mu, log_var]``. The KL between q(z | x) and the marginal q(z) is bounded by the average
    of ``KL(q(z | x_i) || q(z | x_j))`` over ordered pairs ``i != j``, computed in closed form.
    It is zero when every posterior is the same. No parameters (``k = 0``); ``c`` and ``perm``
    are unused (the attribute enters through the decoder, which sees it).
    """

    floor_check = False

    def estimate(self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        mu, log_var = z.chunk(2, dim=1)
        n = len(mu)
        if n < 2:
            return z.new_zeros(())
        var = log_var.exp()
        # KL(i || j) = 1/2 sum_d [log_var_j - log_var_i + (var_i + (mu_i - mu_j)^2) / var_j - 1]
        inv_var = 1.0 / var
        squares = (mu**2) @ inv_var.T - 2 * mu @ (mu * inv_var).T + (mu**2 * inv_var).sum(1)
        traces = var @ inv_var.T
        logs = log_var.sum(1)[None, :] - log_var.sum(1)[:, None]
        kl = 0.5 * (logs + traces + squares - mu.shape[1])
        return (kl.sum() - kl.diagonal().sum()) / (n * (n - 1))


def _unbiased_hsic(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Song et al.'s (2012) unbiased estimator of HSIC from two Gram matrices."""
    n = len(first)
    first = first - torch.diag_embed(first.diagonal())
    second = second - torch.diag_embed(second.diagonal())
    cross = (first * second).sum()
    sums = first.sum() * second.sum() / ((n - 1) * (n - 2))
    rows = 2 * (first.sum(0) * second.sum(0)).sum() / (n - 2)
    return (cross + sums - rows) / (n * (n - 3))


class NormalisedHSIC(MIEstimator):
    """Normalised Hilbert-Schmidt independence criterion between ``z`` and ``c`` on the batch.

    ``HSIC(z, c) / sqrt(HSIC(z, z) HSIC(c, c))``, each HSIC the unbiased estimator of Song et
    al. (2012), with a Gaussian kernel on z whose bandwidth is the median squared distance of
    the batch's pairs (so scaling z changes nothing) and a linear kernel on c (for one-hot
    blocks: the number of categories two rows share). About 0 (either sign) when z and c are
    independent, at most about 1, and not in nats. A closed form on the batch: no parameters
    (train with ``k = 0``) and no inner loop; ``perm`` is not used. Batches need 4 rows or more.
    """

    floor_check = False

    def estimate(self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        if len(z) < 4:
            return z.new_zeros((), dtype=torch.float32)
        z = z.float().flatten(1)
        squares = (z * z).sum(1)
        distances = (squares[:, None] + squares[None, :] - 2 * z @ z.T).clamp_min(0.0)
        off_diagonal = ~torch.eye(len(z), dtype=torch.bool, device=z.device)
        bandwidth = distances.detach()[off_diagonal].median().clamp_min(1e-12)
        z_gram = torch.exp(-distances / bandwidth)
        c_gram = c.float() @ c.float().T
        scale = (_unbiased_hsic(z_gram, z_gram) * _unbiased_hsic(c_gram, c_gram)).clamp_min(1e-12)
        return _unbiased_hsic(z_gram, c_gram) / scale.sqrt()


PENALTIES = ("chi2", "adversary", "confusion", "reversal", "pairwise-kl", "hsic")


def make_penalty(
    name: str,
    z_dim: int,
    c_dim: int,
    *,
    groups: Sequence[int] | None = None,
    hidden: Sequence[int] | None = None,
    activation: str = "leaky_relu",
    reversal: float = 0.1,
) -> MIEstimator:
    """Build a baseline's dependence term by name.

    Parameters
    ----------
    name : str
        ``chi2`` (:class:`ChiSquaredInformation`, no parameters), ``adversary``
        (:class:`Adversary`, LAFTR), ``confusion`` (:class:`ConfusionAdversary`, Alvi et al.),
        ``reversal`` (:class:`ReversalAdversary`, Kim et al.) or ``pairwise-kl``
        (:class:`PairwiseGaussianKL`, Moyer et al.; z holds ``[mu, log_var]``) or ``hsic``
        (:class:`NormalisedHSIC`, no parameters).
    z_dim, c_dim : int
        Widths of the representation and of the encoded attribute.
    groups : sequence of int, optional
        One-hot block sizes of a categorical attribute.
    hidden : sequence of int, optional
        Hidden widths of a bias head; default ``(64,)``.
    activation : str
        Hidden activation of a bias head.
    reversal : float
        Gradient-reversal factor of ``reversal``.
    """
    heads = {"adversary": Adversary, "confusion": ConfusionAdversary}
    if name == "chi2":
        return ChiSquaredInformation(c_dim, groups)
    if name == "pairwise-kl":
        return PairwiseGaussianKL()
    if name == "hsic":
        return NormalisedHSIC()
    if name in heads:
        return heads[name](z_dim, c_dim, groups, hidden or (64,), activation)
    if name == "reversal":
        return ReversalAdversary(z_dim, c_dim, groups, hidden or (64,), activation, reversal)
    raise ValueError(f"unknown penalty {name!r}; choose from {', '.join(PENALTIES)}")
