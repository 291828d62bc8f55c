"""Every method mibias knows, in one registry: what replaces the MI estimator, its default
lambda in each experiment it applies to, and the settings it does not read.

A recipe looks a method up here (:func:`find_method`) for its default weight
(:meth:`Method.default_lambda`), and the command line refuses a setting that no method of a
run reads (:func:`check_settings_apply`); :func:`make_term` builds a method's dependence term.
The methods' code lives with what it builds: the MI estimators in :mod:`mibias.estimators`,
the baselines (bias heads, penalties, Moyer et al.'s model, the fairness peers) in
:mod:`mibias.baselines`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mibias.estimators.names import ESTIMATORS
from mibias.io import InputError
from mibias.settings import option_flag

if TYPE_CHECKING:
    from mibias.estimators import MIEstimator

Experiment = str  # "colored_mnist", "imdb" or "fairness"

# the settings of the MI estimator and its optimiser, which the bias heads (with their own
# Adam), Moyer et al.'s model and the closed-form penalties replace
ESTIMATOR_SETTINGS = frozenset(
    {"k", "estimator", "estimator_hidden", "accumulation", "estimator_optimizer",
     "estimator_lr", "estimator_momentum", "estimator_weight_decay", "estimator_betas", "noise"}
)  # fmt: skip
# what a trained term (an MI estimator or a bias head) trains on; a term without parameters
# trains on nothing
FEED_SETTINGS = frozenset(
    {"estimator_batch", "feature_pool", "estimator_features", "warmup_batches"}
)
HEAD_SETTINGS = frozenset({"head_lr", "head_steps"})
MOYER_SETTINGS = frozenset({"moyer_beta", "moyer_reconstruction"})


@dataclass(frozen=True)
class Method:
    """One method.

    Attributes
    ----------
    name, label : str
        Its command-line name and its row name in the tables.
    term : str or None
        The :func:`~mibias.baselines.make_penalty` name of the dependence term that
        replaces the MI estimator (a bias head, a penalty); None: the run's MI estimator.
    lambdas : mapping
        Experiment -> default weight of the method's term (None: the method has no weight);
        the experiments it applies to are the keys.
    ignores : frozenset of str
        Recipe settings the method does not read; giving one is an error.
    ignores_in : mapping
        Experiment -> further settings the method does not read there.
    measure : str
        What the runs' ``mi`` column holds for this method (the trainer logs its term's value).
    """

    name: str
    label: str
    term: str | None
    lambdas: Mapping[Experiment, float | None]
    ignores: frozenset[str] = field(default_factory=frozenset)
    ignores_in: Mapping[Experiment, frozenset[str]] = field(default_factory=dict)
    measure: str = "MI estimate (nats)"

    def ignored(self, experiment: Experiment) -> frozenset[str]:
        """The settings the method does not read in ``experiment``: ``lam`` among them where
        its default weight is 0 or None (plain training, or a method with its own weighting:
        :meth:`weight` never reads ``lam`` there)."""
        unweighted = experiment in self.lambdas and self.lambdas[experiment] in (0.0, None)
        lam = frozenset({"lam"}) if unweighted else frozenset()
        return self.ignores | self.ignores_in.get(experiment, frozenset()) | lam

    def default_lambda(self, experiment: Experiment) -> float | None:
        """The method's weight in ``experiment`` when none is given."""
        if experiment not in self.lambdas:
            raise InputError(
                f"method {self.name!r} does not apply to {experiment} "
                f"(it applies to {', '.join(self.lambdas)})"
            )
        return self.lambdas[experiment]

    def weight(self, experiment: Experiment, lam: float | None) -> float | None:
        """The weight a run uses: ``lam``, or the default where ``lam`` is None; always 0 for
        a method whose default is 0 (plain training)."""
        default = self.default_lambda(experiment)
        return default if lam is None or default in (0.0, None) else lam


_HEADS = ESTIMATOR_SETTINGS | MOYER_SETTINGS
_PENALTY = frozenset({"lam", "lam_warmup", "clamp_penalty", "clip", "clip_ratio", "mi_step"})
_MI = HEAD_SETTINGS | MOYER_SETTINGS | {"reversal"}
# the fairness methods without an MI critic to whiten z for
_NO_CRITIC = frozenset({"whiten"})

METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        # ERM trains the MI estimator on Colored MNIST only to log its estimate
        Method("erm", "ERM", None, {"colored_mnist": 0.0, "imdb": 0.0}, _MI | _PENALTY,
               {"imdb": ESTIMATOR_SETTINGS | FEED_SETTINGS}),
        Method("mi", "MI backprop", None, {"colored_mnist": 1.0, "imdb": 0.5, "fairness": 0.5},
               _MI),
        Method("alvi", "Alvi et al.", "confusion", {"colored_mnist": 0.3, "imdb": 0.5},
               _HEADS | {"reversal"}, measure="confusion loss (nats above uniform)"),
        Method("kim", "Kim et al.", "reversal", {"colored_mnist": 0.01, "imdb": 0.5}, _HEADS,
               measure="bias head cross-entropy - entropy (nats)"),
        Method("moyer", "Moyer et al.", "pairwise-kl", {"colored_mnist": 0.3},
               ESTIMATOR_SETTINGS | FEED_SETTINGS | HEAD_SETTINGS | {"reversal", "z_layer"},
               measure="mean pairwise KL (nats)"),
        Method("hsic", "normalised HSIC penalty (no inner loop)", "hsic", {"colored_mnist": 30.0},
               _HEADS | FEED_SETTINGS | HEAD_SETTINGS | {"reversal"}, measure="normalised HSIC"),
        Method("nn", "the same network without the MI term", None, {"fairness": None},
               _NO_CRITIC),
        Method("mi-eo", "MI backprop, I(z; c | y = 1)", None, {"fairness": 0.5}),
        Method("mi-eodds", "MI backprop, I(z; c | y)", None, {"fairness": 0.5}),
        Method("ferm", "FERM", None, {"fairness": None}, _NO_CRITIC),
        Method("chi2", "chi^2 penalty on the prediction | y = 1", "chi2", {"fairness": 1.0},
               _NO_CRITIC),
        Method("laftr", "adversary on z, positive rows (LAFTR-EO)", "adversary",
               {"fairness": 0.5}, _NO_CRITIC),
        Method("expgrad", "fairlearn ExponentiatedGradient, TPR parity, eps 0.01", None,
               {"fairness": None}, _NO_CRITIC),
        Method("adversarial", "fairlearn AdversarialFairnessClassifier (equalized odds)", None,
               {"fairness": None}, _NO_CRITIC),
    )
}  # fmt: skip


def methods_of(experiment: Experiment) -> list[str]:
    """The names of the methods that apply to ``experiment``, in registry order."""
    return [name for name, m in METHODS.items() if experiment in m.lambdas]


def find_method(name: str, experiment: Experiment) -> Method:
    """The method ``name`` of ``experiment``; an error names the ones that exist."""
    if name not in METHODS or experiment not in METHODS[name].lambdas:
        raise InputError(
            f"unknown method {name!r} for {experiment}; choose {', '.join(methods_of(experiment))}"
        )
    return METHODS[name]


def own_estimate(method: str, row: Mapping[str, float], conditional: bool) -> float | None:
    """A run's own estimate of I(z; c) in nats at its last epoch, to set beside an independent
    check: the epoch's ``mi`` where the method's term is the MI estimator (ERM's tracked one
    too) and not conditioned on the label; None where ``mi`` holds another measure (a bias
    head's loss, a penalty) or I(z; c | y)."""
    return None if METHODS[method].term is not None or conditional else row["mi"]


def check_settings_apply(
    experiment: Experiment, methods: Sequence[str], given: Collection[str], recipe: type
) -> None:
    """Refuse settings (fields of the dataclass ``recipe``) that no method of ``methods``
    reads; a grid of several methods may give one that only some of them read."""
    for name in methods:
        find_method(name, experiment)
    for setting in sorted(given):
        if all(setting in METHODS[name].ignored(experiment) for name in methods):
            readers = [
                m for m in methods_of(experiment) if setting not in METHODS[m].ignored(experiment)
            ]
            raise InputError(
                f"{option_flag(recipe, setting)} does not apply to {' or '.join(methods)}; "
                f"leave it out (it applies to {', '.join(readers)})"
            )


def make_term(
    name: str,
    z_dim: int,
    c_dim: int,
    *,
    groups: Sequence[int] | None = None,
    hidden: Sequence[int] | None = None,
    reversal: float = 0.1,
    noise: float = 0.0,
    whiten: bool = False,
    noise_start: float = 1.0,
    mixed_noise: bool = False,
) -> MIEstimator:
    """A dependence term by name: an MI estimator (:func:`~mibias.estimators.make_estimator`,
    which reads ``noise``, ``whiten``, ``noise_start`` and ``mixed_noise``) or a baseline's
    (:func:`~mibias.baselines.make_penalty`, which reads ``reversal``); ``groups`` and
    ``hidden`` as both describe them."""
    # imported here, not above: the registry is read without torch (the command line)
    from mibias.baselines.penalties import PENALTIES, make_penalty
    from mibias.estimators.factory import make_estimator

    if name in PENALTIES:
        return make_penalty(name, z_dim, c_dim, groups=groups, hidden=hidden, reversal=reversal)
    if name in ESTIMATORS:
        return make_estimator(
            name,
            z_dim,
            c_dim,
            groups=groups,
            hidden=hidden,
            noise=noise,
            whiten=whiten,
            noise_start=noise_start,
            mixed_noise=mixed_noise,
        )
    raise ValueError(f"unknown term {name!r}; choose from {', '.join(ESTIMATORS + PENALTIES)}")
