"""Algorithm 1 of the paper, one model step at a time.

Per model step: ``k`` estimator steps maximise the estimator's bound on detached features
(:class:`~mibias.training.estimator_updates.EstimatorFeed`), then one step on the encoder g
and the classifier f with ``task_loss + lam * I_hat(z; c)`` through the updated estimator
(:class:`~mibias.training.gradient_rules.GradientRule`), the classifier receiving only the task
gradient. An estimate below ``mi_floor`` means the estimator has lost track of the encoder:
it is re-fitted from scratch before the model step (:meth:`AlternatingStep.refit_if_lost`),
at most ``refits`` times a run. Everything else (the loop over epochs, evaluation,
checkpoints, logs) is :class:`~mibias.training.trainer.MITrainer`'s.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import nn

from mibias.estimators import MIEstimator, marginal_permutation
from mibias.io import InputError
from mibias.training.config import TrainerConfig
from mibias.training.distributed import all_reduce_sum, gather_rows, no_sync, scale_gradient
from mibias.training.estimator_updates import EstimatorFeed
from mibias.training.gradient_rules import GradientRule
from mibias.training.precision import Precision

Batch = Sequence[torch.Tensor]


class DivergenceError(RuntimeError):
    """A loss or the MI estimate became NaN or infinite; the run stopped."""

    def __init__(self, epoch: int, step: int, what: str, checkpoint: Path | None) -> None:
        kept = (
            f"; the last good checkpoint is kept at {checkpoint}"
            if checkpoint is not None and checkpoint.exists()
            else ""
        )
        super().__init__(f"training diverged at epoch {epoch}, step {step}: {what}{kept}")
        self.epoch, self.step, self.checkpoint = epoch, step, checkpoint


class AlternatingStep:
    """One step of Algorithm 1 over a batch ``(x, y, c)``.

    Parameters
    ----------
    config : TrainerConfig
        The algorithm's settings.
    precision : Precision
        Device, autocast and layout of the forward passes.
    encoder, classifier, auxiliary : nn.Module
        g, f and an optional further loss ``auxiliary(x, z, y, c)``, as the forward passes
        call them (DistributedDataParallel wrappers under torchrun).
    task_loss : callable
        ``loss(logits, y)``.
    estimator : MIEstimator or None
        The estimator of I(z; c) (or the bias head that replaces it).
    feed : EstimatorFeed or None
        Trains the estimator (None: an estimator without parameters, or none).
    rule : GradientRule
        Turns the two terms into the model's update.
    generator : torch.Generator
        Draws the marginal permutations.
    checkpoint : callable
        Returns the run's checkpoint path (or None), named when a run diverges.
    say : callable
        Reports a line on the run's output (each re-fit of the estimator).
    """

    def __init__(
        self,
        config: TrainerConfig,
        precision: Precision,
        encoder: nn.Module,
        classifier: nn.Module,
        auxiliary: nn.Module | None,
        task_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        estimator: MIEstimator | None,
        feed: EstimatorFeed | None,
        rule: GradientRule,
        generator: torch.Generator,
        checkpoint: Callable[[], Path | None],
        say: Callable[[str], None],
    ) -> None:
        self.config = config
        self.precision = precision
        self.encoder, self.classifier, self.auxiliary = encoder, classifier, auxiliary
        self.task_loss = task_loss
        self.estimator = estimator
        self.feed = feed
        self.rule = rule
        self.generator = generator
        self.checkpoint = checkpoint
        self.say = say
        self.steps_per_epoch: int | None = None  # set by each epoch, read by the warm-up

    def __call__(self, batch: Batch, *, epoch: int = 0, step: int = 0) -> dict[str, float]:
        """One model step preceded by ``k`` estimator steps; returns the step's statistics."""
        config = self.config
        x, y, c = self.precision.batch(batch)
        if self.estimator is not None:
            self.estimator.follow_progress(self.epochs_done(epoch, step) / config.epochs)
        with no_sync([self.encoder, self.classifier], when=self.rule.explicit):
            z, logits = self.forward(x)
        task = self.task_loss(logits, y)
        auxiliary = self.auxiliary(x, z, y, c) if self.auxiliary is not None else None
        # 1. k steps of the estimator on detached features
        target, c_rows, strata = self.mi_rows(z, logits, y, c)
        if config.k > 0 and len(target) >= 2:
            assert self.feed is not None
            self.feed.steps(target, c_rows, strata, config.k)
        perm = marginal_permutation(len(target), self.generator, strata).to(target.device)
        # a head of one class (an eraser keeping geometry, not a task) classifies nothing
        classifies = logits.ndim == 2 and logits.shape[1] > 1
        correct = (logits.detach().argmax(dim=1) == y).sum().item() if classifies else math.nan
        rank_auxiliary = auxiliary.item() if auxiliary is not None else 0.0
        # one all-reduce: the global losses and accuracy (so every rank sees a divergence)
        task_sum, auxiliary_sum, correct, rows = all_reduce_sum(
            [task.item() * len(y), rank_auxiliary * len(y), float(correct), float(len(y))],
            x.device,
        )
        task_value = task_sum / max(rows, 1.0)
        auxiliary_value = auxiliary_sum / max(rows, 1.0)
        if auxiliary is not None:
            task = task + auxiliary
        # 2. one step of g and f on task + lambda * I_hat(z; c)
        penalised = self.estimator is not None and (config.lam > 0 or self.estimator.fixed_term)
        if penalised and len(target) >= 2:
            assert self.estimator is not None
            weighed, fixed = self.estimator.penalty(target, c_rows, perm)
            while self.refit_if_lost(weighed + fixed, epoch, step):
                weighed, fixed = self.estimator.penalty(target, c_rows, perm)
            mi = (weighed + fixed).detach()
            self.check_divergence(epoch, step, task_value + auxiliary_value, mi)
            clamped = config.clamp_penalty and self.estimator.clampable
            penalty = weighed.clamp(min=0.0) if clamped else weighed
            self.rule.apply(
                z,
                task + scale_gradient(fixed),
                scale_gradient(penalty),
                self.lam_fraction(epoch, step),
            )
        else:
            with torch.no_grad():
                tracked = self.estimator is not None and (config.k > 0 or self.feed is None)
                mi = (
                    self.estimator.estimate(target.detach(), c_rows, perm)
                    if tracked and len(target) >= 2
                    else torch.tensor(math.nan)
                )
                while self.refit_if_lost(mi, epoch, step):
                    mi = self.estimator.estimate(target.detach(), c_rows, perm)
            self.check_divergence(
                epoch, step, task_value + auxiliary_value, None if math.isnan(mi.item()) else mi
            )
            self.rule.task_only(task)
        stats = {"task_loss": task_value, "mi": mi.item(), "correct": correct, "rows": rows}
        if self.auxiliary is not None:
            stats["auxiliary_loss"] = auxiliary_value
        return stats

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The representation, in float32 whatever precision computed it."""
        return self.precision.run(self.encoder, x)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Representation and logits, in float32 whatever precision computed them."""
        z = self.encode(x)
        return z, self.precision.run(self.classifier, z)

    def mi_rows(
        self, z: torch.Tensor, logits: torch.Tensor, y: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """What the estimator reads (z or logits), its attribute rows and permutation strata,
        gathered from every rank under torchrun."""
        target = z if self.config.penalise == "representation" else logits
        read = "z" if self.config.penalise == "representation" else "the prediction"
        problem = (
            self.estimator.width_error(target, c, read) if self.estimator is not None else None
        )
        if problem is not None:
            raise InputError(
                f"the batch does not fit the estimator: {problem} (build it for the widths "
                "of what it reads and of the encoded attribute, "
                "AttributeEncoder().fit_transform(c).shape[1])"
            )
        strata = None
        if self.config.mi_condition == "label":
            strata = y
        elif self.config.mi_condition == "positive":
            positive = y == 1
            target, c = target[positive], c[positive]
        return (
            gather_rows(target),
            gather_rows(c),
            None if strata is None else gather_rows(strata),
        )

    @torch.no_grad()
    def detached_rows(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """The estimator's rows of a batch, computed without gradients (warm-up passes and
        Algorithm 1's fresh batches)."""
        x, y, c = self.precision.batch(batch)
        if self.config.penalise == "representation":
            z = self.encode(x)
            return self.mi_rows(z, z, y, c)
        z, logits = self.forward(x)
        return self.mi_rows(z, logits, y, c)

    def epochs_done(self, epoch: int, step: int) -> float:
        """The epochs done by the end of ``step`` of ``epoch`` (both 1-based), in fractions."""
        within = step / self.steps_per_epoch if self.steps_per_epoch else 0.0
        return max(0.0, epoch - 1 + within)

    def lam_fraction(self, epoch: int, step: int) -> float:
        """The share of ``lam`` applied at ``step`` of ``epoch`` (1-based) under the warm-up."""
        if self.config.lam_warmup <= 0:
            return 1.0
        return min(1.0, self.epochs_done(epoch, step) / self.config.lam_warmup)

    def refit_if_lost(self, mi: torch.Tensor, epoch: int, step: int) -> bool:
        """Re-fit the estimator when ``mi`` is below ``mi_floor`` and the run has re-fits left
        (``TrainerConfig.refits``); True when it did, so the caller estimates again."""
        feed, config = self.feed, self.config
        if feed is None or config.k == 0 or feed.refits >= config.refits or not self.lost_track(mi):
            return False
        feed.refit()
        self.say(
            f"epoch {epoch}, step {step}: the MI estimate fell to {mi.item():.4g} nats, below "
            f"{config.mi_floor:g}: the estimator lost track of the encoder and was re-fitted "
            f"({feed.refits} of {config.refits} re-fits, {config.refit_steps} steps)"
        )
        return True

    def lost_track(self, mi: torch.Tensor) -> bool:
        """Whether an estimate below ``mi_floor`` says the estimator has lost track of the
        encoder (estimators whose ``floor_check`` is off never do)."""
        floor_check = self.estimator is not None and self.estimator.floor_check
        return floor_check and mi.item() < self.config.mi_floor

    def check_divergence(self, epoch: int, step: int, loss: float, mi: torch.Tensor | None) -> None:
        """Stop on a non-finite loss (the task's, plus the auxiliary one's) or estimate, or an
        estimate below ``mi_floor``."""
        if not math.isfinite(loss):
            what = "task loss" if self.auxiliary is None else "task plus auxiliary loss"
            raise DivergenceError(epoch, step, f"the {what} is {loss}", self.checkpoint())
        if mi is not None and not torch.isfinite(mi):
            raise DivergenceError(epoch, step, f"the MI estimate is {mi.item()}", self.checkpoint())
        if mi is not None and self.lost_track(mi):
            refits = self.feed.refits if self.feed is not None else 0
            raise DivergenceError(
                epoch,
                step,
                f"the MI estimate is {mi.item():.4g} nats, below {self.config.mi_floor:g}: the "
                f"estimator has lost track of the encoder, with {refits} of "
                f"{self.config.refits} re-fits made (lower the model's learning rate, raise the "
                "estimator's, clip the MI gradient or allow more re-fits)",
                self.checkpoint(),
            )
