"""The alternating trainer: the paper's Algorithm 1 for any PyTorch encoder and classifier."""

from __future__ import annotations

import contextlib
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from mibias.estimators import MIEstimator, marginal_permutation
from mibias.run_lock import run_folder_lock
from mibias.training.checkpoint import (
    capture_rng_state,
    load_latest_checkpoint,
    previous_path,
    restore_rng_state,
    save_atomic,
)
from mibias.training.clipping import clip_mi_gradients
from mibias.training.config import TrainerConfig, lr_factor, resolve_device
from mibias.training.distributed import (
    all_reduce_sum,
    average_gradients,
    broadcast_module,
    gather_rows,
    is_main_process,
    scale_gradient,
    world_size,
)
from mibias.training.estimator_updates import EstimatorUpdater, FeaturePool
from mibias.training.run_log import RunLog

Batch = Sequence[torch.Tensor]
CHECKPOINT = "checkpoint.pt"
# settings that may differ between an interrupted run and its resumption
RESUMABLE_CHANGES = frozenset(
    {"epochs", "progress", "tensorboard", "device", "compile_estimator", "channels_last"}
)


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


class Callback(Protocol):
    """Hooks a recipe or test can attach to :class:`MITrainer`; every method is optional."""

    def on_step_end(self, trainer: MITrainer, epoch: int, step: int) -> None: ...

    def on_epoch_end(self, trainer: MITrainer, row: dict[str, float]) -> None: ...


class MITrainer:
    """Train ``classifier(encoder(x))`` while minimising the MI between ``z`` and ``c``.

    Per model step (Algorithm 1): ``k`` estimator steps maximise the estimator's bound on
    detached features, then one step on the encoder and classifier with
    ``task_loss + lam * I_hat(z; c)``, the classifier receiving only the task gradient.

    Parameters
    ----------
    encoder : nn.Module
        Feature extractor g: ``x -> z`` of shape ``(N, z_dim)``.
    classifier : nn.Module
        Head f: ``z -> logits``.
    estimator : MIEstimator or None
        Estimator of I(z; c), fed ``c`` as the loader yields it (a float matrix, for example
        from :class:`~mibias.estimators.AttributeEncoder`). ``None`` only with
        ``lam = 0`` and ``k = 0``.
    config : TrainerConfig
        Algorithm settings.
    task_loss : callable, optional
        ``loss(logits, y)``; cross-entropy by default.
    auxiliary : nn.Module, optional
        A further loss ``auxiliary(x, z, y, c)`` added to the task loss, whose parameters the
        model's optimiser trains too (Moyer et al.'s conditional decoder); needs
        ``clip="none"`` and ``mi_step="joint"``.
    out_dir : path, optional
        Where metrics.csv, TensorBoard logs, run.json and the checkpoint go. Without it
        nothing is written and ``resume`` is unavailable.
    callbacks : iterable of Callback
        Objects with optional ``on_step_end`` / ``on_epoch_end`` methods.

    Notes
    -----
    Under torchrun (see :mod:`mibias.training.distributed`) the networks are wrapped in
    DistributedDataParallel, the estimator reads z and c gathered from every rank (the global
    batch), its updates run identically on every rank, and only rank 0 logs and checkpoints.
    With ``clip="none"`` and the joint MI step, DistributedDataParallel averages the gradients
    during the backward pass; the other clipping and step rules average them explicitly before
    clipping. Data parallel does not support ``clip="z"`` or ``estimator_features="fresh"``.
    """

    def __init__(
        self,
        encoder: nn.Module,
        classifier: nn.Module,
        estimator: MIEstimator | None,
        config: TrainerConfig | None = None,
        *,
        task_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        auxiliary: nn.Module | None = None,
        out_dir: str | Path | None = None,
        callbacks: Iterable[Callback] = (),
    ) -> None:
        self.config = config = config or TrainerConfig()
        if estimator is None and (config.lam > 0 or config.k > 0):
            raise ValueError("an estimator is needed when lam > 0 or k > 0")
        self.device = resolve_device(config.device)
        self.world_size = world_size()
        unsupported = {"clip": "z", "estimator_features": "fresh"}
        refused = [f"{k}={v!r}" for k, v in unsupported.items() if getattr(config, k) == v]
        if self.world_size > 1 and refused:
            raise ValueError(f"data-parallel training does not support {', '.join(refused)}")
        self.encoder = encoder.to(self.device)
        if config.channels_last:
            self.encoder = self.encoder.to(memory_format=torch.channels_last)
        self.classifier = classifier.to(self.device)
        self.estimator = estimator.to(self.device) if estimator is not None else None
        self.task_loss = task_loss or nn.functional.cross_entropy
        if auxiliary is not None and (config.clip != "none" or config.mi_step != "joint"):
            raise ValueError("an auxiliary loss needs clip='none' and mi_step='joint'")
        self.auxiliary = auxiliary.to(self.device) if auxiliary is not None else None
        # what the forward passes call: the networks, or their DistributedDataParallel wrappers
        self._encoder = self._data_parallel(self.encoder)
        self._classifier = self._data_parallel(self.classifier)
        self._auxiliary = (
            self._data_parallel(self.auxiliary) if self.auxiliary is not None else None
        )
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.callbacks = list(callbacks)
        self._steps_per_epoch: int | None = None  # set by each epoch, read by the lambda warm-up
        self.generator = torch.Generator().manual_seed(config.seed)
        self.encoder_params = [p for p in self.encoder.parameters() if p.requires_grad]
        self.classifier_params = [p for p in self.classifier.parameters() if p.requires_grad]
        self.model_optimizer = config.model_optimizer.build(
            self.encoder_params
            + self.classifier_params
            + (list(self.auxiliary.parameters()) if self.auxiliary is not None else [])
        )
        self.mi_optimizer = (
            config.model_optimizer.build(self.encoder_params, lr_scale=config.lam)
            if config.mi_step == "separate" and config.lam > 0
            else None
        )
        self._base_lrs = [
            [group["lr"] for group in optimizer.param_groups]
            for optimizer in self._model_optimizers
        ]
        trainable = self.estimator is not None and any(
            p.requires_grad for p in self.estimator.parameters()
        )
        if config.k > 0 and self.estimator is not None and not trainable:
            raise ValueError(f"{type(self.estimator).__name__} has no parameters to train: use k=0")
        self.updater = (
            EstimatorUpdater(
                self.estimator,
                config.estimator_optimizer.build(self.estimator.parameters()),
                compile=config.compile_estimator,
            )
            if self.estimator is not None and trainable
            else None
        )
        self.pool: FeaturePool | None = None
        self._estimator_rows = 0
        self._fresh_batches: Iterator[Batch] | None = None
        self.history: list[dict[str, float]] = []

    def _data_parallel(self, module: nn.Module) -> nn.Module:
        trainable = any(p.requires_grad for p in module.parameters())
        if self.world_size == 1 or not trainable:
            return module
        devices = [self.device.index] if self.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(module, device_ids=devices)

    @property
    def _explicit_gradients(self) -> bool:
        """Whether gradients come from torch.autograd.grad (clipping, a separate MI step)."""
        return self.config.lam > 0 and (self.config.clip != "none" or self.mi_optimizer is not None)

    def _gradient_sync(self) -> contextlib.AbstractContextManager[None]:
        """No DistributedDataParallel sync where gradients are averaged explicitly."""
        stack = contextlib.ExitStack()
        if self._explicit_gradients:
            for module in (self._encoder, self._classifier):
                if isinstance(module, nn.parallel.DistributedDataParallel):
                    stack.enter_context(module.no_sync())
        return stack

    @property
    def _model_optimizers(self) -> list[torch.optim.Optimizer]:
        return [self.model_optimizer] + ([self.mi_optimizer] if self.mi_optimizer else [])

    def _schedule_lr(self, epoch: int) -> None:
        config = self.config
        factor = lr_factor(
            config.lr_schedule, epoch, config.epochs, config.lr_step, config.lr_gamma
        )
        for optimizer, base_lrs in zip(self._model_optimizers, self._base_lrs, strict=True):
            for group, base in zip(optimizer.param_groups, base_lrs, strict=True):
                group["lr"] = base * factor

    @property
    def checkpoint_path(self) -> Path | None:
        """The run's checkpoint file, if the run has an output folder."""
        return self.out_dir / CHECKPOINT if self.out_dir is not None else None

    # ------------------------------------------------------------------ training loop
    def fit(
        self,
        train_loader: Iterable[Batch],
        eval_loaders: Mapping[str, Iterable[Batch]] | None = None,
        *,
        final: Callable[[MITrainer], Mapping[str, float]] | None = None,
        resume: bool = False,
    ) -> list[dict[str, float]]:
        """Train for ``config.epochs`` epochs; returns one row of metrics per epoch.

        Parameters
        ----------
        train_loader : iterable of (x, y, c)
            Training batches, for example a DataLoader with ``shuffle=True``.
        eval_loaders : mapping of name to iterable of (x, y, c), optional
            Evaluated after every epoch; their accuracy and loss are logged as
            ``{name}_accuracy`` and ``{name}_loss``.
        final : callable, optional
            Called once with the trainer after the last epoch; the metrics it returns join
            that epoch's row. For data read once, at the end: a test set, a leakage audit.
        resume : bool
            Continue from the checkpoint in ``out_dir`` if there is one (the previous one
            when the latest is damaged).

        Raises
        ------
        RunFolderBusy
            When another process is training in ``out_dir``.
        """
        if self.out_dir is None or not is_main_process():
            return self._fit(train_loader, eval_loaders, final, resume)
        with run_folder_lock(self.out_dir):
            return self._fit(train_loader, eval_loaders, final, resume)

    def _fit(
        self,
        train_loader: Iterable[Batch],
        eval_loaders: Mapping[str, Iterable[Batch]] | None,
        final: Callable[[MITrainer], Mapping[str, float]] | None,
        resume: bool,
    ) -> list[dict[str, float]]:
        eval_loaders = dict(eval_loaders or {})
        if self.config.estimator_features == "fresh":
            self._fresh_batches = _endless(train_loader)
        log = (
            RunLog(self.out_dir, self.config.to_dict(), self.config.tensorboard)
            if self.out_dir is not None and is_main_process()
            else None
        )
        start = 0
        path = self.checkpoint_path
        if resume and path is not None and (path.exists() or previous_path(path).exists()):
            start = self._restore(load_latest_checkpoint(path, self.device))
            if log is not None:
                log.restore(self.history)
        elif resume and self.out_dir is None:
            raise ValueError("resume needs an out_dir holding a checkpoint")
        else:
            seed_everything(self.config.seed)
            self.generator.manual_seed(self.config.seed)
        if self.estimator is not None:
            broadcast_module(self.estimator)  # every rank starts from rank 0's estimator
        try:
            for epoch in range(start + 1, self.config.epochs + 1):
                row = self._run_epoch(epoch, train_loader)
                started = time.perf_counter()
                for name, loader in eval_loaders.items():
                    for key, value in self.evaluate(loader).items():
                        row[f"{name}_{key}"] = value
                if final is not None and epoch == self.config.epochs:
                    row.update(final(self))
                row["eval_seconds"] = time.perf_counter() - started
                self.history.append(row)
                if log is not None:
                    log.log_epoch(row)
                    self._save(epoch)
                    log.write_summary("running")
                if self.config.progress and is_main_process() and not sys.stderr.isatty():
                    # no live bar off a terminal (a log file, a pipe): one plain line an epoch
                    run = f"{self.out_dir.name}: " if self.out_dir is not None else ""
                    line = epoch_line(row, self.config.epochs)
                    print(run + line, file=sys.stderr, flush=True)
                for callback in self.callbacks:
                    if hasattr(callback, "on_epoch_end"):
                        callback.on_epoch_end(self, row)
        except DivergenceError as error:
            if log is not None:
                log.write_summary("diverged", {"error": str(error)})
            raise
        finally:
            if log is not None:
                log.close()
        if log is not None:
            log.write_summary("finished")
        return self.history

    def _run_epoch(self, epoch: int, loader: Iterable[Batch]) -> dict[str, float]:
        self.encoder.train()
        self.classifier.train()
        started = time.perf_counter()
        self._schedule_lr(epoch)
        sampler = getattr(loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)  # a DistributedSampler reshuffles per epoch
        if self.config.warmup_batches and self.config.k > 0:
            self._warm_up(loader)
        totals = {"task_loss": 0.0, "mi": 0.0, "correct": 0.0, "rows": 0.0, "steps": 0.0}
        total_steps = len(loader) if hasattr(loader, "__len__") else None
        self._steps_per_epoch = total_steps
        bar = tqdm(
            loader,
            total=total_steps,
            desc=f"epoch {epoch}/{self.config.epochs}",
            disable=None if self.config.progress and is_main_process() else True,
            leave=False,
            dynamic_ncols=True,
        )
        for step, batch in enumerate(bar, start=1):
            stats = self.train_step(batch, epoch=epoch, step=step)
            for key in ("task_loss", "mi"):
                totals[key] += stats[key]
            totals["correct"] += stats["correct"]
            totals["rows"] += stats["rows"]
            totals["steps"] += 1
            if step % 10 == 0 or step == total_steps:
                bar.set_postfix(
                    loss=f"{totals['task_loss'] / totals['steps']:.3f}",
                    mi=f"{totals['mi'] / totals['steps']:.3f}",
                    acc=f"{totals['correct'] / totals['rows']:.3f}",
                )
            for callback in self.callbacks:
                if hasattr(callback, "on_step_end"):
                    callback.on_step_end(self, epoch, step)
        bar.close()
        steps = max(totals["steps"], 1.0)
        return {
            "epoch": float(epoch),
            "task_loss": totals["task_loss"] / steps,
            "mi": totals["mi"] / steps,
            "train_accuracy": totals["correct"] / max(totals["rows"], 1.0),
            "lr": self.model_optimizer.param_groups[0]["lr"],
            "epoch_seconds": time.perf_counter() - started,
        }

    def _warm_up(self, loader: Iterable[Batch]) -> None:
        """Estimator-only steps, one per batch, on features computed without gradients."""
        limit = self.config.warmup_batches
        for index, batch in enumerate(loader):
            if 0 <= limit <= index:
                break
            target, c, strata = self._detached_mi_rows(batch)
            if len(target) >= 2:
                self._estimator_steps(target, c, strata, steps=1)

    def _detached_mi_rows(
        self, batch: Batch
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        x, y, c = self._to_device(batch)
        with torch.no_grad():
            if self.config.penalise == "representation":
                z = self._encode(x)
                return self._mi_rows(z, z, y, c)
            z, logits = self._forward(x)
            return self._mi_rows(z, logits, y, c)

    def _estimator_steps(
        self, z: torch.Tensor, c: torch.Tensor, strata: torch.Tensor | None, steps: int
    ) -> None:
        """Add the batch to the feature pool, then run ``steps`` estimator updates from it."""
        assert self.updater is not None
        if self._fresh_batches is not None:
            self._fresh_estimator_steps(steps)
            return
        if self.pool is None:
            self.pool = FeaturePool(self.config.feature_pool * len(z))
            self._estimator_rows = self.config.estimator_batch or len(z)
        self.pool.add(z, c, strata)
        # a fixed row count keeps the compiled step's shapes fixed when batches vary in size
        rows = self._estimator_rows
        accumulation = self.config.accumulation
        zs, cs, perms = self.pool.sample(steps * accumulation, rows, self.generator)
        shape = (steps, accumulation)
        zs = zs.view(*shape, *zs.shape[1:])
        cs = cs.view(*shape, *cs.shape[1:])
        perms = perms.view(*shape, perms.shape[-1])
        for i in range(steps):
            self.updater.step(zs[i], cs[i], perms[i])

    def _fresh_estimator_steps(self, steps: int) -> None:
        """Algorithm 1 read literally: each step on a new batch run through the encoder."""
        assert self.updater is not None and self._fresh_batches is not None
        for _ in range(steps):
            parts = []
            while len(parts) < self.config.accumulation:
                z, c, strata = self._detached_mi_rows(next(self._fresh_batches))
                if len(z) >= 2:
                    parts.append((z, c, strata))
            rows = min(len(z) for z, _, _ in parts)
            perms = [
                marginal_permutation(rows, self.generator, None if s is None else s[:rows])
                for _, _, s in parts
            ]
            zs = torch.stack([z[:rows] for z, _, _ in parts])
            cs = torch.stack([c[:rows] for _, c, _ in parts])
            perms = torch.stack(perms).to(self.device)
            self.updater.step(zs, cs, perms)

    def train_step(self, batch: Batch, *, epoch: int = 0, step: int = 0) -> dict[str, float]:
        """One model step preceded by ``k`` estimator steps; returns the step's statistics."""
        config = self.config
        x, y, c = self._to_device(batch)
        with self._gradient_sync():
            z, logits = self._forward(x)
        task = self.task_loss(logits, y)
        if self.auxiliary is not None:
            assert self._auxiliary is not None
            task = task + self._auxiliary(x, z, y, c)
        target, c_rows, strata = self._mi_rows(z, logits, y, c)
        if config.k > 0 and len(target) >= 2:
            self._estimator_steps(target, c_rows, strata, config.k)
        perm = marginal_permutation(len(target), self.generator, strata).to(self.device)
        correct = (logits.detach().argmax(dim=1) == y).sum().item() if logits.ndim == 2 else 0
        # one all-reduce: the global task loss and accuracy (so every rank sees a divergence)
        task_sum, correct, rows = all_reduce_sum(
            [task.item() * len(y), float(correct), float(len(y))], self.device
        )
        task_value = task_sum / max(rows, 1.0)
        penalised = self.estimator is not None and (config.lam > 0 or self.estimator.fixed_term)
        if penalised and len(target) >= 2:
            assert self.estimator is not None
            weighed, fixed = self.estimator.penalty(target, c_rows, perm)
            mi = (weighed + fixed).detach()
            self._check_divergence(epoch, step, task_value, mi)
            penalty = weighed.clamp(min=0.0) if config.clamp_penalty else weighed
            self._apply_gradients(
                z,
                task + scale_gradient(fixed),
                scale_gradient(penalty),
                self.lam_fraction(epoch, step),
            )
        else:
            with torch.no_grad():
                tracked = self.estimator is not None and (config.k > 0 or self.updater is None)
                mi = (
                    self.estimator.estimate(target.detach(), c_rows, perm)
                    if tracked and len(target) >= 2
                    else torch.tensor(math.nan)
                )
            self._check_divergence(epoch, step, task_value, None if math.isnan(mi.item()) else mi)
            self.model_optimizer.zero_grad(set_to_none=True)
            task.backward()
            self.model_optimizer.step()
        return {"task_loss": task_value, "mi": mi.item(), "correct": correct, "rows": rows}

    def _mi_rows(
        self, z: torch.Tensor, logits: torch.Tensor, y: torch.Tensor, c: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """What the estimator reads (z or logits), its attribute rows and permutation strata,
        gathered from every rank under torchrun."""
        target = z if self.config.penalise == "representation" else logits
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

    def _autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.bf16)

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        """The representation, in float32 whatever precision computed it."""
        with self._autocast():
            return self._encoder(x).float()

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Representation and logits, in float32 whatever precision computed them."""
        z = self._encode(x)
        with self._autocast():
            logits = self._classifier(z)
        return z, logits.float()

    def lam_fraction(self, epoch: int, step: int) -> float:
        """The share of ``lam`` applied at ``step`` of ``epoch`` (1-based) under the warm-up."""
        if self.config.lam_warmup <= 0:
            return 1.0
        within = step / self._steps_per_epoch if self._steps_per_epoch else 0.0
        return min(1.0, max(0.0, (epoch - 1 + within) / self.config.lam_warmup))

    def _apply_gradients(
        self, z: torch.Tensor, task: torch.Tensor, mi: torch.Tensor, fraction: float
    ) -> None:
        """Step the model on task + fraction * lam * MI, with the MI gradient clipped as
        configured (the separate optimiser's learning rate already holds ``lam``)."""
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

    def _check_divergence(
        self, epoch: int, step: int, task: float, mi: torch.Tensor | None
    ) -> None:
        if not math.isfinite(task):
            raise DivergenceError(epoch, step, f"the task loss is {task}", self.checkpoint_path)
        if mi is not None and not torch.isfinite(mi):
            raise DivergenceError(
                epoch, step, f"the MI estimate is {mi.item()}", self.checkpoint_path
            )
        floor_check = self.estimator is not None and self.estimator.floor_check
        if mi is not None and floor_check and mi.item() < self.config.mi_floor:
            raise DivergenceError(
                epoch,
                step,
                f"the MI estimate is {mi.item():.4g} nats, below {self.config.mi_floor:g}: the "
                "estimator has lost track of the encoder (lower the model's learning rate, "
                "raise the estimator's, or clip the MI gradient)",
                self.checkpoint_path,
            )

    # ------------------------------------------------------------------ inference
    @torch.no_grad()
    def evaluate(self, loader: Iterable[Batch]) -> dict[str, float]:
        """Accuracy and mean task loss of the model on ``loader``."""
        self.encoder.eval()
        self.classifier.eval()
        loss_sum, correct, rows = 0.0, 0, 0
        for batch in loader:
            x, y, _ = self._to_device(batch)
            _, logits = self._forward(x)
            loss_sum += self.task_loss(logits, y).item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            rows += len(y)
        self.encoder.train()
        self.classifier.train()
        return {"accuracy": correct / max(rows, 1), "loss": loss_sum / max(rows, 1)}

    @torch.no_grad()
    def embed(self, loader: Iterable[Batch]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The representation z of every row of ``loader``, with its y and c (numpy arrays)."""
        self.encoder.eval()
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for batch in loader:
            x, y, c = self._to_device(batch)
            z = self._encode(x)
            parts.append((z.cpu().numpy(), y.cpu().numpy(), c.cpu().numpy()))
        self.encoder.train()
        return tuple(np.concatenate(arrays) for arrays in zip(*parts, strict=True))  # type: ignore[return-value]

    # ------------------------------------------------------------------ checkpoints
    def _save(self, epoch: int) -> None:
        assert self.checkpoint_path is not None
        state: dict[str, Any] = {
            "epoch": epoch,
            "config": self.config.to_dict(),
            "encoder": self.encoder.state_dict(),
            "classifier": self.classifier.state_dict(),
            "model_optimizer": self.model_optimizer.state_dict(),
            "rng": capture_rng_state(self.generator),
            "history": self.history,
        }
        if self.estimator is not None and self.updater is not None:
            state["estimator"] = self.estimator.state_dict()
            state["estimator_optimizer"] = self.updater.optimizer.state_dict()
        if self.mi_optimizer is not None:
            state["mi_optimizer"] = self.mi_optimizer.state_dict()
        if self.auxiliary is not None:
            state["auxiliary"] = self.auxiliary.state_dict()
        if self.pool is not None:
            state["pool"] = self.pool.state_dict()
            state["estimator_rows"] = self._estimator_rows
        save_atomic(state, self.checkpoint_path)

    def _restore(self, state: dict[str, Any]) -> int:
        # settings added after a checkpoint was written take their defaults
        saved = {**TrainerConfig().to_dict(), **state["config"]}
        current = self.config.to_dict()
        changed = sorted(
            key
            for key in current
            if key not in RESUMABLE_CHANGES and saved.get(key) != current[key]
        )
        if changed:
            raise ValueError(
                "cannot resume: the checkpoint was written with different settings for "
                + ", ".join(f"{key} ({saved.get(key)!r} -> {current[key]!r})" for key in changed)
            )
        self.encoder.load_state_dict(state["encoder"])
        self.classifier.load_state_dict(state["classifier"])
        self.model_optimizer.load_state_dict(state["model_optimizer"])
        if self.estimator is not None and self.updater is not None:
            self.estimator.load_state_dict(state["estimator"])
            self.updater.optimizer.load_state_dict(state["estimator_optimizer"])
        if self.mi_optimizer is not None:
            self.mi_optimizer.load_state_dict(state["mi_optimizer"])
        if self.auxiliary is not None:
            self.auxiliary.load_state_dict(state["auxiliary"])
        if "pool" in state:
            self.pool = FeaturePool(len(state["pool"]["z"]))
            self.pool.load_state_dict(state["pool"])
            self._estimator_rows = int(
                state.get("estimator_rows")
                or self.config.estimator_batch
                or self.pool.capacity // self.config.feature_pool
            )
        restore_rng_state(state["rng"], self.generator)
        self.history = [dict(row) for row in state["history"]]
        return int(state["epoch"])

    def _to_device(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if len(batch) != 3:
            raise ValueError(
                f"each training batch must be (x, y, c); got a batch of {len(batch)} items"
            )
        x, y, c = (t.to(self.device, non_blocking=True) for t in batch)
        if self.config.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, y, c


def epoch_line(row: Mapping[str, float], epochs: int) -> str:
    """One epoch's metrics as one plain line: epoch, task loss, MI estimate, accuracies and
    seconds."""
    accuracies = ", ".join(
        f"{key.removesuffix('_accuracy').replace('_', ' ')} accuracy {value:.4f}"
        for key, value in row.items()
        if key.endswith("_accuracy")
    )
    seconds = row.get("epoch_seconds", 0.0) + row.get("eval_seconds", 0.0)
    return (
        f"epoch {int(row['epoch'])}/{epochs}: task loss {row['task_loss']:.4f}, "
        f"MI {row['mi']:.4f} nats, {accuracies}, {seconds:.1f} s"
    )


def _endless(loader: Iterable[Batch]) -> Iterator[Batch]:
    """The loader's batches, epoch after epoch."""
    while True:
        yield from loader


def _assign(params: Sequence[nn.Parameter], grads: Sequence[torch.Tensor | None]) -> None:
    for p, g in zip(params, grads, strict=True):
        p.grad = g


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global random number generators."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the global generator user code draws from
    torch.manual_seed(seed)
