"""The interface every mutual-information estimator implements."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, Literal

import torch
from torch import nn
from torch.func import functional_call


class MIEstimator(nn.Module, ABC):
    """Estimate I(z; c) from a batch of paired samples.

    An estimator owns a small network (the critic, or a variational head) and defines two
    quantities on a batch ``(z, c)`` and a permutation ``perm`` of its rows, where
    ``c[perm]`` stands for samples of the product of marginals p(z) p(c):

    * :meth:`estimate`: the mutual-information estimate in nats, differentiable with respect to
      ``z`` (the model minimises it);
    * :meth:`objective`: the loss whose minimisation trains the estimator's own parameters
      (for lower bounds, the negative bound, possibly with a bias-corrected gradient), and the
      new values of any running statistics the estimator keeps as buffers. Buffers are
      returned rather than changed in place so the loss can be differentiated functionally;
      :meth:`apply_buffer_updates` stores them after the step.

    ``forward(z, c, perm)`` returns :meth:`estimate`; ``forward(..., part="objective")`` returns
    :meth:`objective` and ``part="terms"`` :meth:`penalty_terms`, so each can be evaluated with
    substituted parameters through :func:`torch.func.functional_call`. :meth:`penalty` is
    :meth:`penalty_terms` with the estimator's parameters detached: gradients reach ``z`` but
    the estimator itself is left untouched.

    Attributes
    ----------
    upper_bound : bool
        True for estimators that bound I from above (CLUB), False for lower bounds.
    floor_check : bool
        Whether an estimate far below zero means the estimator lost track of the encoder
        (true of the critic-based lower bounds; see ``TrainerConfig.mi_floor``).
    fixed_term : bool
        Whether :meth:`penalty_terms` has a term that lambda does not weigh, so the model
        minimises it even at lambda 0 (Kim et al.'s reversed cross-entropy).
    clampable : bool
        Whether the weighed term estimates a dependence that is never negative, so that
        ``TrainerConfig.clamp_penalty`` may floor it at 0 (false of Kim et al.'s weighed term,
        minus an entropy, which the floor would remove whole).
    z_dim, c_dim : int or None
        The widths of z and of the encoded attribute that the estimator's network was built
        for (:meth:`width_error` checks a batch against them); ``None`` where any width
        will do.
    """

    upper_bound: bool = False
    floor_check: bool = True
    fixed_term: bool = False
    clampable: bool = True
    z_dim: int | None = None
    c_dim: int | None = None

    @abstractmethod
    def estimate(self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        """Mutual-information estimate (nats), a scalar differentiable in ``z``."""

    def width_error(self, z: torch.Tensor, c: torch.Tensor, z_name: str = "z") -> str | None:
        """What is wrong with the widths of a batch's ``z`` (rows x features, or any shape
        whose rows flatten to them; called ``z_name`` in the message) and ``c`` for this
        estimator, or None when they fit."""
        widths = {
            z_name: (self.z_dim, math.prod(z.shape[1:]) if len(z) else None),
            "the encoded attribute c": (self.c_dim, math.prod(c.shape[1:]) if len(c) else None),
        }
        wrong = [
            f"{name} has {given} columns where the estimator was built for {built}"
            for name, (built, given) in widths.items()
            if built is not None and given is not None and built != given
        ]
        return "; ".join(wrong) if wrong else None

    def objective(
        self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Loss minimised by the estimator's optimiser, and new buffer values.

        The default loss is the negative estimate and no buffer changes.
        """
        return -self.estimate(z, c, perm), {}

    def prepare(self, z: torch.Tensor) -> None:
        """Build any state the estimator derives from the features before its first step, from
        ``z`` (rows x features, detached). Called before every estimator step, so that state is
        never first created inside a compiled or functionally differentiated step (where it
        would hold traced tensors); the default has none."""

    def follow_progress(self, progress: float) -> None:
        """Adjust to the share of the run done, from 0 to 1 (the trainer calls it before each
        step); the default does nothing."""

    def apply_buffer_updates(self, updates: dict[str, torch.Tensor]) -> None:
        """Store buffer values returned by :meth:`objective`."""
        buffers = dict(self.named_buffers())
        with torch.no_grad():
            for name, value in updates.items():
                buffers[name].copy_(value)

    def reset(self) -> None:
        """Re-initialise every parameter and running statistic, as if newly built.

        Layers are drawn again by their own ``reset_parameters`` (from torch's global random
        generator); an estimator with running statistics extends this to clear them.
        """
        for module in self.modules():
            if module is not self and callable(getattr(module, "reset_parameters", None)):
                module.reset_parameters()

    def penalty_terms(
        self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """What the model minimises, as ``(weighed, fixed)``: the model's loss is
        ``task + lam * weighed + fixed``, and ``weighed + fixed`` is the estimate.

        The default weighs the whole estimate by lambda (``fixed`` is 0); an estimator whose
        method applies part of its term at a weight of its own overrides this and sets
        :attr:`fixed_term`.
        """
        return self.estimate(z, c, perm), z.new_zeros(())

    def forward(
        self,
        z: torch.Tensor,
        c: torch.Tensor,
        perm: torch.Tensor,
        part: Literal["estimate", "objective", "terms"] = "estimate",
    ) -> torch.Tensor | tuple[torch.Tensor, Any]:
        """Return :meth:`estimate`, :meth:`objective` or :meth:`penalty_terms` (``part``)."""
        if part == "objective":
            return self.objective(z, c, perm)
        if part == "terms":
            return self.penalty_terms(z, c, perm)
        return self.estimate(z, c, perm)

    def penalty(
        self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`penalty_terms` as a function of ``z`` only: no gradient reaches the
        estimator."""
        frozen = {name: t.detach() for name, t in self.state_dict(keep_vars=True).items()}
        return functional_call(self, frozen, (z, c, perm), {"part": "terms"})


def log_mean_exp(x: torch.Tensor) -> torch.Tensor:
    """``log(mean(exp(x)))`` over all elements, computed stably."""
    return torch.logsumexp(x.reshape(-1), dim=0) - math.log(x.numel())


def marginal_permutation(
    n: int, generator: torch.Generator | None = None, strata: torch.Tensor | None = None
) -> torch.Tensor:
    """A random permutation of ``range(n)`` pairing each z with another row's c.

    With ``strata`` (integer labels of shape ``(n,)``), rows are only shuffled among rows of
    the same stratum, so ``c[perm]`` samples p(c | stratum) instead of p(c).
    """
    if strata is None:
        return torch.randperm(n, generator=generator)
    if strata.shape != (n,):
        raise ValueError(f"strata must have shape ({n},), got {tuple(strata.shape)}")
    return stratified_permutations(strata.cpu()[None], generator)[0]


def derangement(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """A random permutation of ``range(n)`` that moves every index (``n >= 2``).

    Pairs each z with another row's c, never its own. A plain shuffle leaves one row in place
    on average, and at a high MI that one joint pair, scored as a marginal sample, inflates
    the marginal term of a Donsker-Varadhan bound. Each index is sent to the next one in a
    random cyclic order.
    """
    if n < 2:
        raise ValueError(f"a derangement needs at least 2 rows, got {n}")
    order = torch.randperm(n, generator=generator)
    perm = torch.empty_like(order)
    perm[order] = order.roll(1)
    return perm


def stratified_permutations(
    strata: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """One within-stratum permutation per row of ``strata`` (integer labels, shape ``(B, n)``).

    Sorting the rows by ``stratum + uniform noise`` twice gives two random orders that list the
    strata in the same blocks; pairing the i-th entries of the two orders shuffles each stratum
    independently, for every row of the batch at once.
    """
    keys = strata.to(torch.float64)
    first = (keys + torch.rand(keys.shape, generator=generator, dtype=torch.float64)).argsort(1)
    second = (keys + torch.rand(keys.shape, generator=generator, dtype=torch.float64)).argsort(1)
    return torch.empty_like(first).scatter_(1, first, second)
