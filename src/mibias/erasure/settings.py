"""The erasers' names and the defaults of :class:`~mibias.erasure.eraser.MIEraser` and
:class:`~mibias.baselines.erasers.LeaceEraser`, readable without torch or scikit-learn:
``mibias erase --help`` shows them. ``MIEraser`` takes its defaults from :data:`MI_ERASER`;
``LeaceEraser`` writes its own in its signature, equal to :data:`LEACE_ERASER` (the parameters
are documented in each class)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from mibias.audit.settings import PROBES, ProbeKind

ERASERS = ("mi", "leace", "inlp", "project")
LINEAR_ERASERS = ERASERS[1:]
# the probes that check erased vectors: the audit's and the nearest-neighbour vote, which
# reads an attribute left in which vectors lie next to each other (word vectors,
# docs/erasure-measured.md)
ERASURE_PROBES: tuple[ProbeKind, ...] = (*PROBES, "knn")
Keep = Literal["auto", "distance", "similarity", "reconstruction", "task"]
KEEPS: tuple[str, ...] = get_args(Keep)
# noise="auto": the least of these critic noises at which a critic trained for
# AUTO_NOISE_STEPS map steps, the map held by a lambda of HELD_LAM, reads at most CHANCE_NATS
# from the attribute shuffled among the fitting rows (docs/erasure-measured.md, "A critic
# noise fitted to the rows")
AUTO_NOISES = (0.25, 0.5, 1.0, 2.0, 4.0)
AUTO_NOISE_STEPS = 1000
HELD_LAM = 1e-6
CHANCE_NATS = 0.1


@dataclass(frozen=True)
class MIEraserDefaults:
    """The default of each of :class:`~mibias.erasure.eraser.MIEraser`'s settings of the fit (what
    each means: that class's parameters)."""

    lam: float = 5.0
    keep: Keep = "auto"
    keep_weight: float = 1.0
    hidden_size: int = 512
    steps: int = 2000
    batch_size: int = 256
    lr: float = 1e-3
    estimator_lr: float = 1e-3
    k: int = 5
    noise: float | Literal["auto"] = 0.25
    noise_start: float = 1.0
    kernel_weight: float = 0.0
    whiten: bool = False
    linear_first: str | None = None
    min_variance: float = 0.0
    n_init: int = 1
    n_components: int | None = None


MI_ERASER = MIEraserDefaults()


@dataclass(frozen=True)
class LeaceEraserDefaults:
    """The default of each of :class:`~mibias.baselines.erasers.LeaceEraser`'s settings (what
    each means: that class's parameters). ``baselines`` sits below ``erasure`` and does not
    import it, so ``LeaceEraser`` writes these in its signature; a test holds the two equal
    (tests/erasure/test_settings.py)."""

    second_order_directions: int = 0


LEACE_ERASER = LeaceEraserDefaults()
