"""The model's update in a step of Algorithm 1: task loss plus lambda times the MI term, with
the MI gradient clipped against the task's and applied jointly or by its own optimiser."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from mibias.training.clipping import clip_mi_gradients
from mibias.training.config import TrainerConfig
from mibias.training.distributed import average_gradients


class GradientRule:
    """Steps the encoder and classifier on ``task + lambda * mi`` as configured.

    ``clip="none"`` with the joint step backpropagates the sum (one backward pass; under data
    parallel, DistributedDataParallel averages the gradients). The other rules take the task
    and MI gradients apart (``torch.autograd.grad``, averaged over ranks explicitly), clip the
    MI one (:func:`~mibias.training.clipping.clip_mi_gradients`) and either add it to the task
    gradient or apply it with ``mi_optimizer`` (``mi_step="separate"``, learning rate
    ``lr * lam``, as the authors' code does). The classifier always gets the task gradient
    only.

    Parameters
    ----------
    config : TrainerConfig
        Reads ``lam``, ``clip`` and ``clip_ratio``.
    encoder_params, classifier_params : sequence of Parameter
        The trainable parameters of g and f.
    model_optimizer : Optimizer
        Steps every model parameter.
    mi_optimizer : Optimizer or None
        Steps the encoder on the MI gradient alone (``mi_step="separate"``).
    """

    def __init__(
        self,
        config: TrainerConfig,
        encoder_params: Sequence[nn.Parameter],
        classifier_params: Sequence[nn.Parameter],
        model_optimizer: torch.optim.Optimizer,
        mi_optimizer: torch.optim.Optimizer | None,
    ) -> None:
        self.config = config
        self.encoder_params = list(encoder_params)
        self.classifier_params = list(classifier_params)
        self.model_optimizer = model_optimizer
        self.mi_optimizer = mi_optimizer

    @property
    def explicit(self) -> bool:
        """Whether gradients come from ``torch.autograd.grad`` (clipping, a separate step)."""
        return self.config.lam > 0 and (self.config.clip != "none" or self.mi_optimizer is not None)

    def task_only(self, task: torch.Tensor) -> None:
        """A step on the task loss alone."""
        self.model_optimizer.zero_grad(set_to_none=True)
        task.backward()
        self.model_optimizer.step()

    def apply(self, z: torch.Tensor, task: torch.Tensor, mi: torch.Tensor, fraction: float) -> None:
        """Step on ``task + fraction * lam * mi``, the MI gradient clipped as configured (the
        separate optimiser's learning rate already holds ``lam``)."""
        config = self.config
        scale = fraction * (config.lam if self.mi_optimizer is None else 1.0)
        self.model_optimizer.zero_grad(set_to_none=True)
        if self.mi_optimizer is not None:
            self.mi_optimizer.zero_grad(set_to_none=True)
        if config.clip == "none" and self.mi_optimizer is None:
            (task + scale * mi).backward()
            self.model_optimizer.step()
            return
        n_classifier = len(self.classifier_params)
        if config.clip == "z":
            grads = torch.autograd.grad(task, [*self.classifier_params, z], retain_graph=True)
            classifier_grads, task_z = grads[:n_classifier], grads[n_classifier]
            (mi_z,) = torch.autograd.grad(scale * mi, z, retain_graph=True)
            (mi_z,) = clip_mi_gradients([task_z], [mi_z], "z", config.clip_ratio)
            separate = self.mi_optimizer is not None
            encoder_task = torch.autograd.grad(
                z, self.encoder_params, task_z if separate else task_z + mi_z, retain_graph=separate
            )
            encoder_mi = torch.autograd.grad(z, self.encoder_params, mi_z) if separate else None
        else:
            grads = average_gradients(
                torch.autograd.grad(
                    task, [*self.classifier_params, *self.encoder_params], retain_graph=True
                )
            )
            classifier_grads, encoder_task = grads[:n_classifier], grads[n_classifier:]
            encoder_mi = clip_mi_gradients(
                encoder_task,
                average_gradients(torch.autograd.grad(scale * mi, self.encoder_params)),
                config.clip,
                config.clip_ratio,
            )
            if self.mi_optimizer is None:
                encoder_task = tuple(t + m for t, m in zip(encoder_task, encoder_mi, strict=True))
                encoder_mi = None
        _assign(self.classifier_params, classifier_grads)
        _assign(self.encoder_params, encoder_task)
        self.model_optimizer.step()
        if self.mi_optimizer is not None and encoder_mi is not None:
            _assign(self.encoder_params, encoder_mi)
            self.mi_optimizer.step()


def _assign(params: Sequence[nn.Parameter], grads: Sequence[torch.Tensor | None]) -> None:
    for p, g in zip(params, grads, strict=True):
        p.grad = g
