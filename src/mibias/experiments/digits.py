"""One Colored MNIST run: data, the digit network, a method, a schedule -> metrics."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from mibias.audit import audit_leakage
from mibias.baselines.variational import ConditionalDecoder, GaussianPosterior, SampledClassifier
from mibias.data.colored_mnist import (
    ColoredMNIST,
    TestColours,
    binary_colour,
    colour_bins,
    colour_class,
    make_colored_mnist,
    one_hot_bins,
)
from mibias.estimators import ESTIMATORS, MIEstimator, noise_error
from mibias.io import InputError
from mibias.methods import METHODS, find_method, make_term, methods_of, own_estimate
from mibias.models import DigitEncoder, ZLayer, digit_classifier, representation_size
from mibias.run_folder import CHECKPOINT, RECIPE, write_json_atomic
from mibias.settings import choice_errors, nested, setting, settings_record
from mibias.training import MITrainer, OptimizerConfig, TrainerConfig
from mibias.training.distributed import is_main_process, training_loader

Encoding = Literal["onehot", "binary"]
# this recipe's name in the method registry (mibias.methods)
EXPERIMENT = "colored_mnist"


@dataclass
class DigitsRun:
    """Settings of one ``mibias digits`` run (the authors' network and T).

    ``trainer`` holds the settings of Algorithm 1 (:class:`~mibias.training.TrainerConfig`);
    the recipe sets its ``lam`` (``lam`` None takes the method's default,
    :data:`mibias.methods.METHODS`) and, for the baselines, what their terms need (below).

    The defaults are the recipe chosen on the validation digits (docs/colored-mnist.md, "The
    conv recipe re-chosen"): the paper's lambda 1 on the network's flattened convolutional
    features (``z_layer="conv"``, 1024-d), with the two stabilisers it needs there (a clamped
    penalty and a two-epoch warm-up of lambda), K = 10 estimator steps on the feature pool,
    Adam 1e-3 for the network (12 epochs, cosine decay) and 1e-4 for T, no clipping, bf16
    autocast and channels-last. :data:`FC_TERM` is the recipe of the paper's 64-d FC z
    (lambda 0.3, K = 40, no stabilisers; the defaults until 2026-11-29): the paper's lambda 1
    there collapses the representation.

    ``alvi`` and ``kim`` replace the MI estimator by a bias head on z that predicts c (Adam
    ``head_lr``, ``head_steps`` updates per model step): Alvi et al.'s confusion loss weighted
    by ``lam``, or Kim et al.'s two terms as their code weighs them: the head's cross-entropy
    gradient reaches the encoder reversed and scaled by ``reversal`` (0.1) whatever ``lam``,
    and ``lam`` (0.01) weighs the entropy term. ``moyer`` makes z a Gaussian posterior
    (``[mu, log_var]``) on the FC layer whatever ``z_layer``, adds a decoder of x from (z, c)
    with a prior KL (weights ``moyer_reconstruction``, ``moyer_beta``) and penalises the mean
    pairwise KL of the posteriors; see docs/baselines.md. The baselines' default lambdas were
    chosen on the FC z (``--fc-term``).

    ``trainer.mi_condition="label"`` (``mi`` and ``erm`` only) makes the MI term I(z; c | y): the
    estimator sees ``[c, one-hot y]`` and its marginal rows shuffle c only among digits of the
    same class. Once z fits the labels, I(z; c) = I(y; c) + I(z; c | y) on the training data,
    so the paper's term differs from this one by a floor the network cannot remove without
    forgetting the labels (docs/colored-mnist.md).

    ``leakage_steps`` is how long each fresh estimator of the final colour-leakage audit
    trains (None: :func:`mibias.audit.audit_leakage`'s default).
    """

    sigma: float = setting(0.02, "colour variance")
    method: str = setting("mi", "the debiasing method", choices=methods_of(EXPERIMENT))
    lam: float | None = setting(
        None, "weight of the MI term (default: the method's)", flag="--lambda"
    )
    trainer: TrainerConfig = nested(
        TrainerConfig,
        skip=("lam",),
        clip="none",
        clamp_penalty=True,
        lam_warmup=2.0,
        k=10,
        epochs=12,
        lr_schedule="cosine",
        bf16=True,
        channels_last=True,
    )
    z_layer: ZLayer = setting(
        "conv",
        "the layer the term reads: conv (the 1024-d convolutional features) or fc (the "
        "paper's 64-d z; --fc-term also sets the recipe chosen there); moyer's z is always on fc",
    )
    batch_size: int = setting(128, "digits per model step")
    init_from: str | None = setting(None, "start from an earlier run's network (its folder)")
    estimator: str = setting("mine", "the MI estimator", choices=ESTIMATORS)
    noise: float = setting(
        0.0,
        "smoothing of the MI term: the critic reads the batch-standardised z plus Gaussian noise "
        "of this scale (critic estimators only; 0: z as it is)",
    )
    encoding: Encoding = setting("onehot", "encoding of the colour attribute c")
    test_colours: TestColours = setting("palette", "how unbiased digits are coloured")
    data_seed: int = setting(0, "seed of the colours")
    limit: int | None = setting(None, "use only the first N training, validation and test digits")
    leakage_steps: int | None = setting(
        None,
        "steps of each fresh estimator in the final audit of colour in z (default: the audit's)",
    )
    track_mi: bool = setting(True, "train the estimator under ERM too, to log its MI estimate")
    head_lr: float = setting(1e-3, "alvi/kim: the bias head's learning rate")
    head_steps: int = setting(1, "alvi/kim: head updates per model step")
    reversal: float = setting(0.1, "kim: gradient reversal factor")
    moyer_beta: float = setting(0.1, "moyer: weight of KL(q(z|x) || N(0, I))")
    moyer_reconstruction: float = setting(1.0, "moyer: weight of the decoder's reconstruction loss")


# the MI term on the paper's 64-d FC z, with the settings chosen for it there (docs/
# colored-mnist.md; the defaults until 2026-11-29): lambda 0.3, since the paper's 1 collapses
# the representation, K 40 and neither stabiliser; its lam is MI backprop's (preset_lambda)
FC_TERM: dict[str, Any] = {
    "z_layer": "fc",
    "lam": 0.3,
    "clamp_penalty": False,
    "lam_warmup": 0.0,
    "k": 40,
}


def preset_lambda(method: str, lam: float | None) -> float | None:
    """The lambda a run of ``method`` takes from a preset's ``lam`` (such as
    :data:`FC_TERM`'s) when none is given: the preset's for MI backprop, the term it was
    chosen for, and None (the method's own default) for every other method."""
    return lam if method == "mi" else None


def run_weight(method: str, lam: float | None, preset_lam: float | None = None) -> float:
    """The lambda a run of ``method`` trains at: ``lam`` when given, else what it takes from a
    preset's ``preset_lam`` (:func:`preset_lambda`), else the method's default
    (:meth:`mibias.methods.Method.weight`; 0 for ERM)."""
    chosen = lam if lam is not None else preset_lambda(method, preset_lam)
    return METHODS[method].weight(EXPERIMENT, chosen)


# Kim et al.'s schedule (their code): SGD, momentum 0.9, weight decay 5e-4, lr 0.01 x 0.1
# every 40 epochs, 100 epochs
KIM_SCHEDULE = {
    "optimizer": "sgd",
    "momentum": 0.9,
    "weight_decay": 5e-4,
    "lr": 0.01,
    "lr_schedule": "step",
    "lr_step": 40,
    "epochs": 100,
}


def method_estimator(run: DigitsRun, c_dim: int) -> MIEstimator:
    """The estimator (or bias head) behind ``run.method`` on the run's z."""
    return make_term(
        METHODS[run.method].term or run.estimator,
        representation_size(run.z_layer),
        c_dim,
        groups=((8, 8, 8) + ((10,) if run.trainer.mi_condition == "label" else ()))
        if run.encoding == "onehot"
        else None,
        reversal=run.reversal,
        noise=run.noise,
    )


def load_network(encoder: torch.nn.Module, classifier: torch.nn.Module, source: str) -> None:
    """Start from the encoder and classifier weights of an earlier run (its folder or its
    checkpoint.pt), as Kim et al.'s code starts its unlearning from an ERM network."""
    from mibias.training.checkpoint import load_checkpoint

    path = Path(source)
    path = path / CHECKPOINT if path.is_dir() else path
    if not path.exists():
        raise InputError(f"init_from: no checkpoint at {path}")
    state = load_checkpoint(path, torch.device("cpu"))
    try:
        encoder.load_state_dict(state["encoder"])
        classifier.load_state_dict(state["classifier"])
    except RuntimeError as error:
        raise InputError(
            f"init_from: {path} holds a different network ({str(error).splitlines()[0]})"
        ) from error


def attribute(images: np.ndarray, encoding: Encoding) -> np.ndarray:
    """The bias attribute c of colour images, in the chosen encoding."""
    if encoding == "onehot":
        return one_hot_bins(colour_bins(images))
    if encoding == "binary":
        return binary_colour(images)
    raise ValueError(f"unknown encoding {encoding!r}; choose onehot or binary")


def to_dataset(
    images: np.ndarray, labels: np.ndarray, encoding: Encoding, label_in_c: bool = False
) -> TensorDataset:
    """``(x uint8 NCHW, y, c)`` tensors for the trainer; ``label_in_c`` appends one-hot y to c
    (the estimator's input for I(z; c | y))."""
    x = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
    c = attribute(images, encoding)
    if label_in_c:
        c = np.hstack([c, np.eye(10, dtype=np.float32)[labels]])
    return TensorDataset(x, torch.from_numpy(labels.astype(np.int64)), torch.from_numpy(c))


@dataclass
class PreparedRun:
    """A ``mibias digits`` run ready to train: what :func:`run_digits` passes to
    :meth:`MITrainer.fit <mibias.training.MITrainer.fit>`."""

    trainer: MITrainer
    train_loader: DataLoader
    evaluations: dict[str, DataLoader]
    final: Callable[[MITrainer, Mapping[str, float]], dict[str, float]]


def run_digits(
    run: DigitsRun,
    out_dir: str | Path | None,
    data: ColoredMNIST | None = None,
    resume: bool = False,
) -> list[dict[str, float]]:
    """Train one configuration (:func:`prepare_digits`); returns per-epoch metrics."""
    prepared = prepare_digits(run, out_dir, data, resume)
    return prepared.trainer.fit(
        prepared.train_loader, prepared.evaluations, final=prepared.final, resume=resume
    )


def prepare_digits(
    run: DigitsRun,
    out_dir: str | Path | None,
    data: ColoredMNIST | None = None,
    resume: bool = False,
) -> PreparedRun:
    """Build one configuration's network, estimator, trainer and loaders, untrained
    (``resume``: leave the network to the checkpoint, not to ``init_from``).

    Fitted, every epoch logs the accuracy on the validation digits (held-out training digits,
    unbiased) under both colour rules; the last epoch alone adds the test digits'
    (``test_accuracy`` under the run's rule) and the leakage of colour into z on the test digits
    (:meth:`mibias.audit.AuditResult.columns`: a fresh estimator's I(z; colour class) and
    probes predicting the digit's nearest palette colour from z).

    ``method="erm"`` is lambda 0 through the same trainer; with ``track_mi`` its estimator is
    still trained, so the MI estimate is logged for the baseline too (Figure 4).
    """
    lam = find_method(run.method, EXPERIMENT).weight(EXPERIMENT, run.lam) or 0.0
    problems = choice_errors(run)
    if problems:
        raise InputError("; ".join(problems))
    seed = run.trainer.seed
    problem = noise_error(run.estimator, run.noise)
    if problem:
        raise InputError(problem)
    if run.trainer.mi_condition not in ("none", "label"):
        raise InputError(f"mi_condition must be none or label, got {run.trainer.mi_condition!r}")
    conditional = run.trainer.mi_condition == "label"
    if conditional and run.method not in ("mi", "erm"):
        raise InputError(
            f"mi_condition 'label' conditions the MI term; method {run.method!r} has none "
            "(use mi or erm)"
        )
    if run.method == "moyer":
        run = replace(run, z_layer="fc")  # its z is a Gaussian posterior on the FC layer
    data = data or make_colored_mnist(run.sigma, seed=run.data_seed)
    rows = slice(run.limit)
    train = to_dataset(data.train_images[rows], data.train_labels[rows], run.encoding, conditional)
    # unbiased digits under the run's colour rule ("validation", "test") and the other rule
    # ("validation_uniform", ...): validation every epoch, the test set once, after the last
    other = "uniform" if run.test_colours == "palette" else "palette"
    rules = ((run.test_colours, ""), (other, f"_{other}"))

    def unbiased(split: str, rule: TestColours) -> DataLoader:
        images = getattr(data, f"{split}_images")(rule)[rows]
        labels = getattr(data, f"{split}_labels")[rows]
        return DataLoader(to_dataset(images, labels, run.encoding, conditional), batch_size=1000)

    evaluations = {f"validation{suffix}": unbiased("validation", rule) for rule, suffix in rules}

    def final(trainer: MITrainer, row: Mapping[str, float]) -> dict[str, float]:
        tests = {suffix: unbiased("test", rule) for rule, suffix in rules}
        metrics = {
            f"test{suffix}_{key}": value
            for suffix, loader in tests.items()
            for key, value in trainer.evaluate(loader).items()
        }
        z, _, _ = trainer.embed(tests[""])
        colour = colour_class(data.test_images(run.test_colours)[rows])
        steps = {} if run.leakage_steps is None else {"steps": run.leakage_steps}
        leakage = audit_leakage(z, colour, seed=seed, progress=False, **steps)
        trained = own_estimate(run.method, row, conditional)
        trainer.say(leakage.summary_line("colour class", trained))
        return {**metrics, **leakage.columns()}

    head = run.method in ("alvi", "kim")
    moyer = run.method == "moyer"
    torch.manual_seed(seed)
    c_dim = train.tensors[2].shape[1]
    encoder: torch.nn.Module = DigitEncoder(z_layer=run.z_layer)
    classifier: torch.nn.Module = digit_classifier(z_layer=run.z_layer)
    auxiliary = None
    if moyer:
        negative = [
            f"{name} {value:g}"
            for name, value in (("moyer_beta", run.moyer_beta),
                                ("moyer_reconstruction", run.moyer_reconstruction))
            if value < 0
        ]  # fmt: skip
        if negative:
            raise InputError(f"moyer's weights must be >= 0, got {', '.join(negative)}")
        encoder = GaussianPosterior(encoder, 64, 64)
        classifier = SampledClassifier(64, 10)
        auxiliary = ConditionalDecoder(
            64, c_dim, (3, 28, 28), beta=run.moyer_beta,
            reconstruction_weight=run.moyer_reconstruction,
        )  # fmt: skip
    estimator = method_estimator(run, c_dim) if lam > 0 or run.track_mi or head else None
    # a term without parameters (moyer's, hsic) is a closed form: no estimator steps
    trainable = estimator is not None and any(p.requires_grad for p in estimator.parameters())
    k = (run.head_steps if head else run.trainer.k) if trainable else 0
    config = replace(
        run.trainer,
        lam=lam,
        k=k,
        clip="none" if moyer else run.trainer.clip,
        mi_step="joint" if moyer else run.trainer.mi_step,
        estimator_optimizer=OptimizerConfig(lr=run.head_lr)
        if head
        else run.trainer.estimator_optimizer,
    )
    if run.init_from is not None and not resume:
        load_network(encoder, classifier, run.init_from)
    trainer = MITrainer(
        encoder, classifier, estimator, config, auxiliary=auxiliary, out_dir=out_dir
    )
    if out_dir is not None and is_main_process():
        # the weight the run used, not None for "the method's"
        write_json_atomic(settings_record(replace(run, lam=lam)), Path(out_dir) / RECIPE)
    # shuffling draws from torch's global generator, whose state checkpoints restore
    train_loader = training_loader(train, run.batch_size, seed=seed)
    return PreparedRun(trainer, train_loader, evaluations, final)
