"""The alternating trainer: the paper's Algorithm 1 (:mod:`mibias.training.algorithm`) run
over epochs, for any PyTorch encoder and classifier, with evaluation, logs and checkpoints."""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from mibias.estimators import MIEstimator
from mibias.run_folder import (
    CHECKPOINT,
    RunFolderTaken,
    holds_checkpoint,
    run_folder_lock,
    run_progress,
)
from mibias.training.algorithm import AlternatingStep, DivergenceError
from mibias.training.checkpoint import load_latest_checkpoint
from mibias.training.config import TrainerConfig, lr_factor, resolve_device
from mibias.training.distributed import (
    broadcast_module,
    epoch_sampler,
    has_trainable_parameters,
    is_main_process,
    world_size,
    wrap,
)
from mibias.training.estimator_updates import EstimatorFeed, EstimatorUpdater
from mibias.training.gradient_rules import GradientRule
from mibias.training.precision import Precision
from mibias.training.run_log import RunLog
from mibias.training.run_state import RunState
from mibias.user_warnings import warn

Batch = Sequence[torch.Tensor]
# off a terminal, the least time between two plain epoch lines (the first and last epoch
# always have theirs): every epoch of a run whose epochs take longer has its line, and a fit of
# thousands of tiny epochs (a scikit-learn style fit on a few hundred rows) does not flood its log
PLAIN_LINE_SECONDS = 1.0


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
        unsupported = {"clip": "z", "estimator_features": "fresh"}
        refused = [f"{k}={v!r}" for k, v in unsupported.items() if getattr(config, k) == v]
        if world_size() > 1 and refused:
            raise ValueError(f"data-parallel training does not support {', '.join(refused)}")
        if auxiliary is not None and (config.clip != "none" or config.mi_step != "joint"):
            raise ValueError("an auxiliary loss needs clip='none' and mi_step='joint'")
        self.precision = Precision(self.device, config.bf16, config.channels_last)
        self.encoder = self.precision.place(encoder, layout=True)
        self.classifier = self.precision.place(classifier)
        self.estimator = self.precision.place(estimator) if estimator is not None else None
        self.auxiliary = self.precision.place(auxiliary) if auxiliary is not None else None
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.callbacks = list(callbacks)
        self.generator = torch.Generator().manual_seed(config.seed)
        encoder_params = [p for p in self.encoder.parameters() if p.requires_grad]
        classifier_params = [p for p in self.classifier.parameters() if p.requires_grad]
        self.model_optimizer = config.model_optimizer.build(
            encoder_params
            + classifier_params
            + (list(self.auxiliary.parameters()) if self.auxiliary is not None else [])
        )
        self.mi_optimizer = (
            config.model_optimizer.build(encoder_params, lr_scale=config.lam)
            if config.mi_step == "separate" and config.lam > 0
            else None
        )
        self._base_lrs = [
            [group["lr"] for group in optimizer.param_groups]
            for optimizer in self._model_optimizers
        ]
        trainable = has_trainable_parameters(self.estimator)
        if config.k > 0 and self.estimator is not None and not trainable:
            raise ValueError(f"{type(self.estimator).__name__} has no parameters to train: use k=0")
        # Algorithm 1's step over the networks as the forward passes call them (their
        # DistributedDataParallel wrappers under torchrun)
        self.step = AlternatingStep(
            config,
            self.precision,
            wrap(self.encoder, self.device),
            wrap(self.classifier, self.device),
            wrap(self.auxiliary, self.device) if self.auxiliary is not None else None,
            task_loss or nn.functional.cross_entropy,
            self.estimator,
            None,
            GradientRule(
                config, encoder_params, classifier_params, self.model_optimizer, self.mi_optimizer
            ),
            self.generator,
            lambda: self.checkpoint_path,
            self._report,
        )
        self.feed = (
            EstimatorFeed(
                EstimatorUpdater(
                    self.estimator,
                    config.estimator_optimizer.build(self.estimator.parameters(), fused=True),
                    compile=config.compile_estimator,
                ),
                config,
                self.generator,
                self.step.detached_rows,
            )
            if self.estimator is not None and trainable
            else None
        )
        self.step.feed = self.feed
        self.history: list[dict[str, float]] = []
        parts: dict[str, Any] = {
            "encoder": self.encoder,
            "classifier": self.classifier,
            "model_optimizer": self.model_optimizer,
        }
        if self.estimator is not None and self.feed is not None:
            parts["estimator"] = self.estimator
            parts["estimator_optimizer"] = self.feed.updater.optimizer
        if self.mi_optimizer is not None:
            parts["mi_optimizer"] = self.mi_optimizer
        if self.auxiliary is not None:
            parts["auxiliary"] = self.auxiliary
        self.state = RunState(parts, self.feed, self.generator)

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
        final: Callable[[MITrainer, Mapping[str, float]], Mapping[str, float]] | None = None,
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
            Called once after the last epoch with the trainer and that epoch's metrics so
            far (training and evaluation); the metrics it returns join that epoch's row, with
            its duration as ``final_seconds``. For data read once, at the end: a test set, a
            leakage audit (whose finding it can :meth:`say`).
        resume : bool
            Continue from the checkpoint in ``out_dir`` if there is one (the previous one
            when the latest is damaged); a larger ``config.epochs`` extends the run.

        Raises
        ------
        RunFolderBusy
            When another process is training in ``out_dir``.
        RunFolderTaken
            When ``out_dir`` holds a checkpoint and ``resume`` is false: starting afresh would
            overwrite that run.
        InputError
            When resuming under settings that change results, or with fewer epochs than
            the checkpoint has done.
        """
        if self.out_dir is None or not is_main_process():
            return self._fit(train_loader, eval_loaders, final, resume)
        with run_folder_lock(self.out_dir):
            return self._fit(train_loader, eval_loaders, final, resume)

    def _fit(
        self,
        train_loader: Iterable[Batch],
        eval_loaders: Mapping[str, Iterable[Batch]] | None,
        final: Callable[[MITrainer, Mapping[str, float]], Mapping[str, float]] | None,
        resume: bool,
    ) -> list[dict[str, float]]:
        eval_loaders = dict(eval_loaders or {})
        path = self.checkpoint_path
        saved = path is not None and holds_checkpoint(path)
        if saved and not resume:
            raise RunFolderTaken(
                f"{self.out_dir} already holds a run{run_progress(self.out_dir)}: "
                "fit(..., resume=True) continues it (a larger epochs extends it); to train from "
                "the start, give another out_dir or delete the folder"
            )
        if self.config.estimator_features == "fresh" and self.feed is not None:
            self.feed.read_fresh_batches(train_loader)
        log = (
            RunLog(
                self.out_dir,
                self.config.to_dict(),
                self.config.tensorboard,
                ran_on={"device": str(self.device), "bf16": self.precision.bf16},
            )
            if self.out_dir is not None and is_main_process()
            else None
        )
        start = 0
        if resume and saved:
            assert path is not None
            start, self.history = self.state.restore(
                load_latest_checkpoint(path, self.device), self.config
            )
            if log is not None:
                log.restore(self.history)
        elif resume and self.out_dir is None:
            raise ValueError("resume needs an out_dir holding a checkpoint")
        else:
            seed_everything(self.config.seed)
            self.generator.manual_seed(self.config.seed)
        if self.estimator is not None:
            broadcast_module(self.estimator)  # every rank starts from rank 0's estimator
        last_line = -math.inf  # when the last plain epoch line was said
        try:
            for epoch in range(start + 1, self.config.epochs + 1):
                row = self.train_epoch(epoch, train_loader)
                started = time.perf_counter()
                for name, loader in eval_loaders.items():
                    for key, value in self.evaluate(loader).items():
                        row[f"{name}_{key}"] = value
                row["eval_seconds"] = time.perf_counter() - started
                if final is not None and epoch == self.config.epochs:
                    # on a terminal too: the epoch's bar is gone and these can take minutes
                    self.say(
                        f"final checks after epoch {epoch}/{self.config.epochs} running "
                        "(the data read once, at the end)"
                    )
                    started = time.perf_counter()
                    row.update(final(self, row))
                    row["final_seconds"] = time.perf_counter() - started
                self.history.append(row)
                if log is not None:
                    log.log_epoch(row)
                    assert path is not None
                    self.state.save(path, epoch, self.config, self.history)
                    log.write_summary("running")
                now = time.monotonic()
                if not sys.stderr.isatty() and (
                    epoch in (start + 1, self.config.epochs)
                    or now - last_line >= PLAIN_LINE_SECONDS
                ):
                    # no live bar off a terminal (a log file, a pipe): one plain line an epoch,
                    # of epochs that take under PLAIN_LINE_SECONDS one such line a period
                    last_line = now
                    self.say(epoch_line(row, self.config.epochs, auxiliary_name(self.auxiliary)))
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

    def train_epoch(self, epoch: int, loader: Iterable[Batch]) -> dict[str, float]:
        """One pass of Algorithm 1 over ``loader`` as epoch ``epoch`` (1-based) of
        ``config.epochs`` (its learning rate and lambda warm-up), without evaluation, logs or
        checkpoints: what :meth:`fit` runs between them. Returns the epoch's training metrics,
        its duration as ``epoch_seconds``."""
        self.encoder.train()
        self.classifier.train()
        started = time.perf_counter()
        self._schedule_lr(epoch)
        sampler = epoch_sampler(loader)
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)  # a DistributedSampler reshuffles per epoch
        if self.config.warmup_batches and self.config.k > 0 and self.feed is not None:
            self.feed.warm_up(loader)
        auxiliary = ("auxiliary_loss",) if self.auxiliary is not None else ()
        means = ("task_loss", *auxiliary, "mi")
        totals = dict.fromkeys((*means, "correct", "rows", "steps"), 0.0)
        total_steps = len(loader) if hasattr(loader, "__len__") else None
        self.step.steps_per_epoch = total_steps
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
            for key in (*means, "correct", "rows"):
                totals[key] += stats[key]
            totals["steps"] += 1
            if step % 10 == 0 or step == total_steps:
                shown = {key: totals[key] / totals["steps"] for key in means}
                shown["accuracy"] = totals["correct"] / totals["rows"]
                bar.set_postfix(
                    {key.removesuffix("_loss"): f"{value:.3f}" for key, value in shown.items()
                     if not math.isnan(value)}
                )  # fmt: skip
            for callback in self.callbacks:
                if hasattr(callback, "on_step_end"):
                    callback.on_step_end(self, epoch, step)
        bar.close()
        steps = max(totals["steps"], 1.0)
        return {
            "epoch": float(epoch),
            **{key: totals[key] / steps for key in means},
            "train_accuracy": totals["correct"] / max(totals["rows"], 1.0),
            "lr": self.model_optimizer.param_groups[0]["lr"],
            "estimator_refits": float(self.feed.refits if self.feed is not None else 0),
            "epoch_seconds": time.perf_counter() - started,
        }

    def train_step(self, batch: Batch, *, epoch: int = 0, step: int = 0) -> dict[str, float]:
        """One step of Algorithm 1 (:class:`~mibias.training.algorithm.AlternatingStep`):
        ``k`` estimator steps, then one model step; returns the step's statistics.

        Raises
        ------
        DivergenceError
            When a loss or the estimate is not finite, the estimate has fallen below
            ``mi_floor``, or the estimator met features it cannot compute with (NaN, inf).
        """
        try:
            return self.step(batch, epoch=epoch, step=step)
        except FloatingPointError as error:  # non-finite features met by the estimator
            raise DivergenceError(epoch, step, str(error), self.checkpoint_path) from error

    # ------------------------------------------------------------------ inference
    def evaluate(self, loader: Iterable[Batch]) -> dict[str, float]:
        """Accuracy and mean task loss of the model on ``loader``."""
        return self.evaluate_and_embed(loader, keep=False)[0]

    @torch.no_grad()
    def evaluate_and_embed(
        self, loader: Iterable[Batch], keep: bool = True
    ) -> tuple[dict[str, float], tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """:meth:`evaluate` and :meth:`embed` in one pass over ``loader``, so that a final
        check reads its test rows once (with ``keep`` False, the arrays are left empty)."""
        self.encoder.eval()
        self.classifier.eval()
        loss_sum, correct, rows = 0.0, 0, 0
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for batch in loader:
            x, y, c = self.precision.batch(batch)
            z, logits = self.step.forward(x)
            loss_sum += self.step.task_loss(logits, y).item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            rows += len(y)
            if keep:
                parts.append((z.cpu().numpy(), y.cpu().numpy(), c.cpu().numpy()))
        self.encoder.train()
        self.classifier.train()
        metrics = {"accuracy": correct / max(rows, 1), "loss": loss_sum / max(rows, 1)}
        if not parts:
            return metrics, (np.empty(0), np.empty(0), np.empty(0))
        z, y, c = (np.concatenate(arrays) for arrays in zip(*parts, strict=True))
        return metrics, (z, y, c)

    def _report(self, line: str) -> None:
        """An event of the run (a re-fit of the estimator), from the main process: a line on
        stderr with ``progress`` on, else a ``RuntimeWarning`` (what library code can filter)."""
        if self.config.progress:
            self.say(line)
        elif is_main_process():
            warn(line, RuntimeWarning)

    def say(self, line: str) -> None:
        """One plain line on stderr, named by the run's folder when it has one, from the main
        process, when the run shows its progress (``config.progress``): a finding of the run
        for its log, such as its final check."""
        if self.config.progress and is_main_process():
            run = f"{self.out_dir.name}: " if self.out_dir is not None else ""
            print(run + line, file=sys.stderr, flush=True)

    def embed(self, loader: Iterable[Batch]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The representation z of every row of ``loader``, with its y and c (numpy arrays)."""
        return self.evaluate_and_embed(loader)[1]


def auxiliary_name(auxiliary: nn.Module | None) -> str:
    """What an auxiliary loss is called in the per-epoch line: its ``name`` attribute where it
    has one (``MIEraser``'s keep loss), else "auxiliary"."""
    return str(getattr(auxiliary, "name", "auxiliary"))


def epoch_line(row: Mapping[str, float], epochs: int, auxiliary: str = "auxiliary") -> str:
    """One epoch's metrics as one plain line: epoch, task loss (not for a head of one class,
    which classifies nothing: its loss is 0 and it has no training accuracy), the auxiliary
    loss under the name ``auxiliary`` where there is one, MI estimate, accuracies and seconds
    (training and evaluation; the last epoch's final checks apart)."""
    classifies = not math.isnan(row.get("train_accuracy", 0.0))
    parts = [f"task loss {row['task_loss']:.4f}"] if classifies else []
    if "auxiliary_loss" in row:
        parts.append(f"{auxiliary} loss {row['auxiliary_loss']:.4f}")
    parts.append(f"MI {row['mi']:.4f} nats")
    parts += [
        f"{key.removesuffix('_accuracy').replace('_', ' ')} accuracy {value:.4f}"
        for key, value in row.items()
        if key.endswith("_accuracy") and not math.isnan(value)
    ]
    seconds = row.get("epoch_seconds", 0.0) + row.get("eval_seconds", 0.0)
    return f"epoch {int(row['epoch'])}/{epochs}: {', '.join(parts)}, {seconds:.1f} s" + (
        f" (+ {row['final_seconds']:.1f} s final checks)" if "final_seconds" in row else ""
    )


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's global random number generators."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the global generator user code draws from
    torch.manual_seed(seed)
