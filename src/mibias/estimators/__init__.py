"""Mutual-information estimators sharing one interface (:class:`MIEstimator`).

The names below are imported on first use (:mod:`mibias.lazy`): the estimators' names
(:mod:`mibias.estimators.names`) can be read without importing torch.
"""

from mibias.lazy import lazy_names

# each public name and the module that defines it
_HOMES = {
    "AttributeEncoder": "mibias.estimators.attributes",
    "AveragedCritic": "mibias.estimators.networks",
    "CLUB": "mibias.estimators.club",
    "CRITIC_ESTIMATORS": "mibias.estimators.names",
    "ESTIMATORS": "mibias.estimators.names",
    "InfoNCE": "mibias.estimators.mine",
    "MINE": "mibias.estimators.mine",
    "MIEstimator": "mibias.estimators.base",
    "NWJ": "mibias.estimators.mine",
    "StatisticsNetwork": "mibias.estimators.networks",
    "averaged": "mibias.estimators.mine",
    "derangement": "mibias.estimators.base",
    "log_mean_exp": "mibias.estimators.base",
    "make_estimator": "mibias.estimators.factory",
    "marginal_permutation": "mibias.estimators.base",
    "mlp": "mibias.estimators.networks",
    "noise_error": "mibias.estimators.names",
    "stratified_permutations": "mibias.estimators.base",
}

__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
