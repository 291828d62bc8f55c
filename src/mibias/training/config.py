"""Typed, serialisable configuration of a training run."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

from mibias.io import InputError
from mibias.settings import nested, refuse_invalid_settings, setting

if TYPE_CHECKING:
    import torch

ClipMode = Literal["param", "global", "z", "none"]
EstimatorFeatures = Literal["pool", "fresh"]
MIStep = Literal["joint", "separate"]
LRSchedule = Literal["constant", "cosine", "step"]
MICondition = Literal["none", "label", "positive"]
Penalised = Literal["representation", "prediction"]


@dataclass
class OptimizerConfig:
    """An optimiser and its settings.

    Parameters
    ----------
    name : {"adam", "adamw", "sgd"}
        The optimiser.
    lr : float
        Learning rate.
    momentum : float
        SGD momentum.
    weight_decay : float
        L2 penalty (decoupled for AdamW).
    betas : tuple of float
        Adam's moment rates.
    """

    name: Literal["adam", "adamw", "sgd"] = setting("adam", "the optimiser", name="optimizer")
    lr: float = setting(1e-3, "learning rate", above=0)
    momentum: float = setting(0.0, "SGD momentum", at_least=0)
    weight_decay: float = setting(0.0, "weight decay", at_least=0)
    betas: tuple[float, float] = setting((0.9, 0.999), "Adam's moment rates")

    def build(
        self, params: Iterable[torch.nn.Parameter], lr_scale: float = 1.0, fused: bool = False
    ) -> torch.optim.Optimizer:
        """Create the optimiser over ``params`` with learning rate ``lr * lr_scale``;
        ``fused``: torch's fused implementation, one kernel for every parameter's update (the
        estimator's many small steps)."""
        import torch  # here, not above: the settings are read without torch (the command line)

        lr = self.lr * lr_scale
        shared = {"lr": lr, "weight_decay": self.weight_decay, "fused": fused or None}
        if self.name == "adam":
            return torch.optim.Adam(params, betas=self.betas, **shared)
        if self.name == "adamw":
            return torch.optim.AdamW(params, betas=self.betas, **shared)
        if self.name == "sgd":
            return torch.optim.SGD(params, momentum=self.momentum, **shared)
        raise ValueError(f"unknown optimizer {self.name!r}; choose adam, adamw or sgd")


@dataclass
class TrainerConfig:
    """Settings of Algorithm 1 (the alternating trainer).

    Parameters
    ----------
    lam : float
        Weight lambda of the MI term; 0 is plain empirical risk minimisation.
    lam_warmup : float
        Epochs over which the weight rises linearly from 0 to ``lam``, step by step (0: full
        weight from the first step). Lets the task shape the representation before the MI term
        can empty it: from a random network the MI gradient alone drives every ReLU of z to
        zero (docs/colored-mnist.md).
    clamp_penalty : bool
        The model minimises ``max(I_hat, 0)`` instead of ``I_hat``. The true MI is never
        negative, so a lower bound below 0 says nothing about z; minimising it further only
        chases a stale estimator (seen as estimates of -50 nats and a collapsed network).
        Terms whose weighed part is not such an estimate (Kim et al.'s: ``clampable`` false)
        are not clamped.
    k : int
        Estimator steps before each model step (the paper's K). With ``lam = 0`` and ``k > 0``
        the estimator is still trained, so the MI estimate is logged for the baseline too.
    epochs : int
        Passes over the training data.
    estimator_batch : int or None
        Rows per estimator step, at most the pool's ``feature_pool`` batches; default the
        training batch size.
    feature_pool : int
        The estimator steps draw their rows from the detached features of the last
        ``feature_pool`` training batches (1 = the current batch only). The encoder is never
        run again for them: this is what makes K estimator steps cheap. Older features were
        computed by slightly older encoder weights; see docs/estimator-steps.md.
    estimator_features : {"pool", "fresh"}
        ``pool`` as above; ``fresh`` is Algorithm 1 read literally, as the authors' code does:
        every estimator step draws a new training batch and runs the encoder on it (without
        gradients). About K forward passes of the encoder per model step: for comparisons.
        Resuming a ``fresh`` run restarts its stream of extra batches, so it is not
        step-for-step identical to an uninterrupted run.
    warmup_batches : int
        Estimator-only steps at the start of each epoch, one per training batch, features
        computed without gradients; ``-1`` is a full pass, as in the authors' code.
    accumulation : int
        Mini-batches whose estimator gradients are averaged per estimator step.
    clip : {"param", "global", "z", "none"}
        Clipping of the MI gradient so it cannot dominate the task gradient: ``param`` is the
        authors' per-parameter rule ``g_MI <- min(|g_task|, |g_MI|) g_MI / |g_MI|``,
        ``global`` the same on the global norms, ``z`` on the gradients at the representation
        (one backward pass through the encoder instead of two), ``none`` off.
    clip_ratio : float
        The MI gradient may reach ``clip_ratio`` times the task gradient's norm (1 in the
        authors' rule).
    mi_step : {"joint", "separate"}
        ``joint`` adds the (clipped) MI gradient to the task gradient in one optimiser;
        ``separate`` applies it with its own optimiser of learning rate ``lr * lam``, as the
        authors' code does.
    mi_condition : {"none", "label", "positive"}
        Which independence the MI term measures. ``none``: I(z; c), the paper's term
        (demographic parity for a protected c). ``label``: I(z; c | y), equalized odds: the
        marginal samples shuffle c only among rows of the same class; the estimator should
        also see y, so the caller appends y one-hot to c (as :class:`mibias.MIFairClassifier`
        does). ``positive``: I(z; c | y = 1), equal opportunity: only rows with ``y == 1`` enter
        the estimator and the MI term.
    penalise : {"representation", "prediction"}
        What the estimator reads as its "z": the encoder's output (the paper) or the
        classifier's logits (a dependence between prediction and c, as in Mary et al.).
    model_optimizer, estimator_optimizer : OptimizerConfig
        Optimisers of the model (encoder and classifier) and of the estimator.
    lr_schedule : {"constant", "cosine", "step"}
        Learning rate of the model's optimisers over the epochs: constant; cosine decay from
        ``lr`` in the first epoch towards 0 after the last (set per epoch, so resuming with a
        different ``epochs`` re-plans the rest of the decay); or ``step``: multiplied by
        ``lr_gamma`` every ``lr_step`` epochs (Kim et al.'s schedule: 0.1 every 40). The
        estimator's learning rate stays constant: T must keep tracking the encoder to the end.
    lr_step, lr_gamma : int, float
        Period and factor of the ``step`` schedule.
    mi_floor : float
        A lower-bound MI estimate below this (nats) means the estimator has lost track of the
        encoder (seen as estimates of -3,000 nats when the encoder's learning rate outran the
        estimator's): the estimator is re-fitted (``refits``), or, with none left, the run
        stops as diverged.
    refits : int
        Re-fits of the estimator a run may make before an estimate below ``mi_floor`` stops
        it. A re-fit draws the estimator's weights afresh, clears its optimiser's state and
        trains it ``refit_steps`` steps on the features it has, then the model step goes on
        with the new estimate; each one is reported (``progress``) and counted in the run's
        metrics (``estimator_refits``). A run that never breaches the floor is unchanged.
        0 stops at the first breach.
    refit_steps : int
        Estimator steps of a re-fit.
    bf16 : bool
        Run the encoder and classifier under bfloat16 autocast (the estimator, losses and
        optimiser states stay float32). About 2x faster convolutions on CPUs with AVX-512
        bf16 (benchmarks/results/digits_speed.md); on an x86 CPU without bfloat16
        instructions (avx512_bf16, amx_bf16) the run uses float32, with a warning
        (:class:`~mibias.training.precision.Precision`), and ``run.json``'s ``ran_on`` says
        which ran.
    channels_last : bool
        Keep 4-D inputs and the encoder in channels-last memory layout.
    compile_estimator : bool
        Compile each estimator step's forward pass and gradient with ``torch.compile`` (the
        update is torch's fused optimiser kernel either way); falls back to eager execution
        with a warning when compilation fails.
    device : str
        ``auto`` (CUDA when present), ``cpu``, ``cuda`` or ``cuda:N``.
    seed : int
        Seed of every random number generator of the run.
    progress, tensorboard : bool
        Show a progress bar (off a terminal, one line per epoch) and report each re-fit on
        stderr (off: as a ``RuntimeWarning``); write TensorBoard logs.
    """

    lam: float = setting(1.0, "weight of the MI term", flag="--lambda", at_least=0)
    lam_warmup: float = setting(
        0.0,
        "raise lambda linearly from 0 over this many epochs",
        flag="--lambda-warmup",
        at_least=0,
    )
    clamp_penalty: bool = setting(
        False, "minimise max(MI estimate, 0): no gradient from a negative lower bound"
    )
    k: int = setting(40, "estimator steps before each model step (the paper's K)", at_least=0)
    epochs: int = setting(10, "training epochs", at_least=1)
    estimator_batch: int | None = setting(
        None, "rows per estimator step (default: the training batch's)", at_least=2
    )
    feature_pool: int = setting(
        8, "recent batches of detached features the estimator trains on", at_least=1
    )
    estimator_features: EstimatorFeatures = setting(
        "pool", "pool: recent detached features (fast); fresh: Algorithm 1 read literally"
    )
    warmup_batches: int = setting(
        0, "estimator-only steps at the start of each epoch (-1: a full pass)", at_least=-1
    )
    accumulation: int = setting(
        1, "batches whose estimator gradients make one estimator step", at_least=1
    )
    clip: ClipMode = setting("param", "how the MI gradient is capped against the task's")
    clip_ratio: float = setting(1.0, "MI / task gradient norm cap", above=0)
    mi_step: MIStep = setting("joint", "one optimiser step for both terms, or one each")
    mi_condition: MICondition = setting(
        "none", "the independence the term measures: I(z; c), I(z; c | y) or I(z; c | y = 1)"
    )
    penalise: Penalised = setting(
        "representation", "what the estimator reads: z or the classifier's logits"
    )
    model_optimizer: OptimizerConfig = nested(OptimizerConfig)
    estimator_optimizer: OptimizerConfig = nested(OptimizerConfig, prefix="estimator_", lr=1e-4)
    lr_schedule: LRSchedule = setting("constant", "the model's learning rate over the epochs")
    lr_step: int = setting(40, "step schedule: epochs between decays", at_least=1)
    lr_gamma: float = setting(0.1, "step schedule: the factor of each decay", above=0)
    mi_floor: float = setting(
        -10.0, "an MI estimate below this (nats): re-fit the estimator, or stop as diverged"
    )
    refits: int = setting(
        3,
        "estimator re-fits allowed when the estimate falls below mi_floor (0: stop at once)",
        at_least=0,
    )
    refit_steps: int = setting(200, "estimator steps of a re-fit", at_least=1)
    bf16: bool = setting(
        False, "bfloat16 autocast for the network (float32 on an x86 CPU without bf16 instructions)"
    )
    channels_last: bool = setting(False, "channels-last layout")
    compile_estimator: bool = setting(
        True, "compiled estimator steps (torch.compile)", flag="--no-compile"
    )
    device: str = setting("auto", "cpu, cuda, cuda:N or auto")
    seed: int = setting(0, "seed of every random number generator of the run", at_least=0)
    progress: bool = setting(True, "a live progress bar")
    tensorboard: bool = setting(True, "TensorBoard logs")

    def __post_init__(self) -> None:
        checks = {
            "penalise='prediction' needs clip='none' and mi_step='joint' (the MI gradient must "
            "reach the classifier too)": self.penalise == "representation"
            or (self.clip == "none" and self.mi_step == "joint"),
        }
        failed = [message for message, ok in checks.items() if not ok]
        refuse_invalid_settings(self, failed, "training settings")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dictionary of every setting."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainerConfig:
        """Rebuild a config written by :meth:`to_dict`."""
        values = dict(values)
        for name in ("model_optimizer", "estimator_optimizer"):
            if isinstance(values.get(name), dict):
                opt = dict(values[name])
                opt["betas"] = tuple(opt.get("betas", (0.9, 0.999)))
                values[name] = OptimizerConfig(**opt)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown TrainerConfig settings: {', '.join(unknown)}")
        return cls(**values)


def untrained_term_error(lam: float, k: int) -> str | None:
    """What is wrong with a weighted term whose estimator has parameters but ``k`` 0 steps
    to train them, or None: its estimate would say nothing about z."""
    if lam > 0 and k == 0:
        return (
            f"k 0 with lambda {lam:g}: the estimator would never train, and the term would "
            "penalise what an untrained network reads; give k >= 1"
        )
    return None


def lr_factor(
    schedule: LRSchedule, epoch: int, epochs: int, step: int = 40, gamma: float = 0.1
) -> float:
    """Multiplier of the base learning rate during ``epoch`` (1-based) of ``epochs``."""
    if schedule == "constant":
        return 1.0
    if schedule == "step":
        return gamma ** ((epoch - 1) // step)
    return 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / epochs))


def resolve_device(device: str) -> torch.device:
    """Turn ``auto`` into ``cuda`` when a GPU is present, else ``cpu``.

    Raises
    ------
    InputError
        For a name torch does not read as a device, or a GPU this machine does not have.
    """
    import torch  # here, not above, as in OptimizerConfig.build

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise InputError(
            f"device {device!r} is not a device: use cpu, cuda, cuda:N or auto"
        ) from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {device!r} requested but CUDA is not available")
    if resolved.type == "cuda" and (resolved.index or 0) >= torch.cuda.device_count():
        raise InputError(
            f"device {device!r} requested but this machine has {torch.cuda.device_count()} GPUs"
        )
    return resolved
