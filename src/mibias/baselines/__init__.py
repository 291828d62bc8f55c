"""The methods mibias measures MI backprop against: the dependence terms that replace the
MI estimator (bias heads, penalties), Moyer et al.'s variational model and the fairness peers.
Which method uses which, with its default lambda, is in :mod:`mibias.methods`."""

from mibias.baselines.ferm import LinearFERM
from mibias.baselines.penalties import (
    PENALTIES,
    Adversary,
    ChiSquaredInformation,
    ConfusionAdversary,
    NormalisedHSIC,
    PairwiseGaussianKL,
    ReversalAdversary,
    make_penalty,
    reverse_gradient,
)
from mibias.baselines.variational import ConditionalDecoder, GaussianPosterior, SampledClassifier

__all__ = [
    "PENALTIES",
    "Adversary",
    "ChiSquaredInformation",
    "ConditionalDecoder",
    "ConfusionAdversary",
    "GaussianPosterior",
    "LinearFERM",
    "NormalisedHSIC",
    "PairwiseGaussianKL",
    "ReversalAdversary",
    "SampledClassifier",
    "make_penalty",
    "reverse_gradient",
]
