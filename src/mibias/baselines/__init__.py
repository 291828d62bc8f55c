"""The methods mibias measures MI backprop against: the dependence terms that replace the
MI estimator (bias heads, penalties), Moyer et al.'s variational model and the fairness peers.
Which method uses which, with its default lambda, is in :mod:`mibias.methods`.

The names below are imported on first use (:mod:`mibias.lazy`).
"""

from mibias.lazy import lazy_names

_PENALTIES = (
    "PENALTIES",
    "Adversary",
    "ChiSquaredInformation",
    "ConfusionAdversary",
    "NormalisedHSIC",
    "PairwiseGaussianKL",
    "ReversalAdversary",
    "make_penalty",
    "reverse_gradient",
)
_VARIATIONAL = ("ConditionalDecoder", "GaussianPosterior", "SampledClassifier")
# each public name and the module that defines it
_HOMES = {
    "LinearFERM": "mibias.baselines.ferm",
    **{name: "mibias.baselines.penalties" for name in _PENALTIES},
    **{name: "mibias.baselines.variational" for name in _VARIATIONAL},
}

__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
