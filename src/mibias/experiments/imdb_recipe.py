"""The settings of an IMDB faces run (:class:`ImdbRun`), read without torch (the command
line's options); :mod:`mibias.experiments.imdb` trains a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mibias.methods import methods_of
from mibias.settings import nested, refuse_invalid_settings, setting
from mibias.training.config import OptimizerConfig, TrainerConfig

# this recipe's name in the method registry (mibias.methods)
EXPERIMENT = "imdb"
# the settings each job of a Table 2 grid sets itself
PER_JOB = ("train", "method", "seed", "progress")


@dataclass
class ImdbRun:
    """Settings of one ``mibias imdb`` run; the defaults are the authors'.

    ``trainer`` holds the settings of Algorithm 1 (:class:`~mibias.training.TrainerConfig`):
    the recipe sets its ``lam`` (``lam`` None takes the method's default), and bfloat16 and
    channels-last on a GPU; its ``seed`` also draws the splits and the subsample, and its
    ``progress`` shows the split report. ``subsample`` draws that many training images (the
    paper used 2,000-image subsets; None keeps the whole split). ``splits`` reads eb1.txt /
    eb2.txt / test.txt lists from a folder instead of building the splits from the seed.
    ``eval_limit`` caps the rows of each evaluation split. MI: T of 3 x ``estimator_hidden``
    leaky ReLU units, SGD at the estimator's learning rate, ``k`` steps per model step, each
    accumulating ``accumulation`` batches. ``kim`` and ``alvi`` put a 12-way age head on z
    (Adam ``head_lr``, one update per model step); ``lam`` weighs Alvi's confusion loss and
    Kim's entropy term, and Kim's reversed gradient reaches the encoder at ``reversal``
    whatever ``lam``. ``leakage_steps`` is how long each fresh estimator of the final
    age-leakage audit trains (None: the default of
    :func:`mibias.audit.audit_leakage`).
    """

    data: str = setting(help="the imdb_crop folder (holds imdb.mat)")
    train: Literal["eb1", "eb2"] = setting("eb1", "the age-biased split trained on")
    method: str = setting("mi", "the debiasing method", choices=methods_of(EXPERIMENT))
    lam: float | None = setting(
        None,
        "weight of the MI term or the baseline's (default: the method's)",
        flag="--lambda",
        at_least=0,
    )
    trainer: TrainerConfig = nested(
        TrainerConfig,
        skip=("lam", "bf16", "channels_last"),
        k=20,
        accumulation=10,
        clip="none",
        model_optimizer=OptimizerConfig(lr=1e-5),
        estimator_optimizer=OptimizerConfig(name="sgd", lr=0.1),
        compile_estimator=False,
    )
    splits: str | None = setting(None, "folder of eb1.txt, eb2.txt, test.txt image lists")
    subsample: int | None = setting(
        2000, "training images drawn from the split (0: all of them)", at_least=0
    )
    test_size: float = setting(
        0.3, "share of the images in the unbiased test split", above=0, below=1
    )
    min_face_score: float | None = setting(None, "drop faces scored below this")
    eval_limit: int | None = setting(None, "evaluate on at most this many images", at_least=1)
    leakage_steps: int | None = setting(
        None,
        "steps of each fresh estimator in the final audit of age in z (default: the audit's)",
        at_least=1,
    )
    arch: str = setting("resnet50", "a torchvision ResNet")
    weights: str = setting(
        "imagenet", "imagenet (download), none (from scratch) or a state dict file"
    )
    image_size: int = setting(224, "side of the square input images", at_least=1)
    z_dim: int = setting(128, "size of the representation z", at_least=1)
    batch_size: int = setting(24, "images per batch", at_least=2)
    estimator_hidden: int = setting(512, "units of each of T's 3 hidden layers", at_least=1)
    head_lr: float = setting(1e-4, "kim/alvi: the age head's learning rate", above=0)
    reversal: float = setting(0.1, "kim: gradient reversal factor", at_least=0)
    loader_workers: int = setting(4, "image loading processes (at most 2 on the CPU)", at_least=0)

    def __post_init__(self) -> None:
        refuse_invalid_settings(self)
