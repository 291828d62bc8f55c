"""The settings of a Colored MNIST run (:class:`DigitsRun`) and the recipes' presets, read
without torch (the command line's options); :mod:`mibias.experiments.digits` trains a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mibias.audit.settings import MIN_ROWS
from mibias.data.colored_mnist import TestColours
from mibias.estimators.names import ESTIMATORS
from mibias.methods import METHODS, methods_of
from mibias.models.z_layer import ZLayer
from mibias.settings import nested, refuse_invalid_settings, setting
from mibias.training.config import TrainerConfig

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

    sigma: float = setting(0.02, "colour variance", at_least=0)
    method: str = setting("mi", "the debiasing method", choices=methods_of(EXPERIMENT))
    lam: float | None = setting(
        None, "weight of the MI term (default: the method's)", flag="--lambda", at_least=0
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
    batch_size: int = setting(128, "digits per model step", at_least=2)
    init_from: str | None = setting(None, "start from an earlier run's network (its folder)")
    estimator: str = setting("mine", "the MI estimator", choices=ESTIMATORS)
    noise: float = setting(
        0.0,
        "smoothing of the MI term: the critic reads the batch-standardised z plus Gaussian noise "
        "of this scale (critic estimators only; 0: z as it is)",
        at_least=0,
    )
    encoding: Encoding = setting("onehot", "encoding of the colour attribute c")
    test_colours: TestColours = setting("palette", "how unbiased digits are coloured")
    data_seed: int = setting(0, "seed of the colours", at_least=0)
    limit: int | None = setting(
        None,
        "use only the first N training, validation and test digits",
        at_least=MIN_ROWS,  # the test digits' audit reads them all
    )
    leakage_steps: int | None = setting(
        None,
        "steps of each fresh estimator in the final audit of colour in z (default: the audit's)",
        at_least=1,
    )
    track_mi: bool = setting(True, "train the estimator under ERM too, to log its MI estimate")
    head_lr: float = setting(1e-3, "alvi/kim: the bias head's learning rate", above=0)
    head_steps: int = setting(1, "alvi/kim: head updates per model step", at_least=1)
    reversal: float = setting(0.1, "kim: gradient reversal factor", at_least=0)
    moyer_beta: float = setting(0.1, "moyer: weight of KL(q(z|x) || N(0, I))", at_least=0)
    moyer_reconstruction: float = setting(
        1.0, "moyer: weight of the decoder's reconstruction loss", at_least=0
    )

    def __post_init__(self) -> None:
        refuse_invalid_settings(self)


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


# The main job's short recipe (`mibias quickstart`), applied where the caller sets nothing else:
# 20,000 training digits and 5 epochs of the default recipe (the MI term on the convolutional
# features); chosen on the validation digits at this budget (docs/colored-mnist.md, "The main
# job").
MAIN_JOB: dict[str, Any] = {"limit": 20_000, "epochs": 5}

# the seeds of each Table 1 cell by default (``mibias table1 --seeds``): the paper's three
TABLE1_SEEDS = 3
