"""One Colored MNIST run: data, the digit network, a method, a schedule -> metrics."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

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
from mibias.estimators import MIEstimator, noise_error
from mibias.experiments.digits_recipe import (
    EXPERIMENT,
    DigitsRun,
    Encoding,
)
from mibias.io import InputError
from mibias.methods import METHODS, find_method, make_term, own_estimate
from mibias.models.digits import DigitEncoder, digit_classifier
from mibias.models.z_layer import representation_size
from mibias.run_folder import CHECKPOINT, claim_run_folder
from mibias.settings import settings_record
from mibias.training import MITrainer, OptimizerConfig
from mibias.training.config import untrained_term_error
from mibias.training.distributed import (
    has_trainable_parameters,
    is_main_process,
    training_loader,
)


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
    if out_dir is not None and is_main_process():
        # the weight the run used, not None for "the method's"
        claim_run_folder(out_dir, settings_record(replace(run, lam=lam)), resume=resume)
    data = data or make_colored_mnist(run.sigma, seed=run.data_seed)
    rows = slice(run.limit)
    train = to_dataset(data.train_images[rows], data.train_labels[rows], run.encoding, conditional)
    # unbiased digits under the run's colour rule ("validation", "test") and the other rule
    # ("validation_uniform", ...): validation every epoch, the test set once, after the last
    other = "uniform" if run.test_colours == "palette" else "palette"
    rules = ((run.test_colours, ""), (other, f"_{other}"))

    def unbiased(split: str, rule: TestColours) -> DataLoader:
        # read in batches of a model step's size: on one thread the main job's network read
        # 10,000 digits in 2.9 s in batches of 128 and in 5.6 s in batches of 1,000, whose
        # activations outgrow the CPU's caches (docs/estimator-steps.md)
        images = getattr(data, f"{split}_images")(rule)[rows]
        labels = getattr(data, f"{split}_labels")[rows]
        dataset = to_dataset(images, labels, run.encoding, conditional)
        return DataLoader(dataset, batch_size=run.batch_size)

    evaluations = {f"validation{suffix}": unbiased("validation", rule) for rule, suffix in rules}

    def final(trainer: MITrainer, row: Mapping[str, float]) -> dict[str, float]:
        # the test digits read once per rule; z (for the audit) under the run's own
        reads = {
            suffix: trainer.evaluate_and_embed(unbiased("test", rule), keep=not suffix)
            for rule, suffix in rules
        }
        metrics = {
            f"test{suffix}_{key}": value
            for suffix, (read, _) in reads.items()
            for key, value in read.items()
        }
        _, (z, _, _) = reads[""]
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
        encoder = GaussianPosterior(encoder, 64, 64)
        classifier = SampledClassifier(64, 10)
        auxiliary = ConditionalDecoder(
            64, c_dim, (3, 28, 28), beta=run.moyer_beta,
            reconstruction_weight=run.moyer_reconstruction,
        )  # fmt: skip
    estimator = method_estimator(run, c_dim) if lam > 0 or run.track_mi or head else None
    # a term without parameters (moyer's, hsic) is a closed form: no estimator steps
    trainable = has_trainable_parameters(estimator)
    k = (run.head_steps if head else run.trainer.k) if trainable else 0
    problem = untrained_term_error(lam, k) if trainable else None
    if problem:
        raise InputError(problem)
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
    # shuffling draws from torch's global generator, whose state checkpoints restore
    train_loader = training_loader(train, run.batch_size, seed=seed)
    return PreparedRun(trainer, train_loader, evaluations, final)
