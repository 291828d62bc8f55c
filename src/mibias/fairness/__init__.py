"""Fair classification: the scikit-learn estimator and the Table 3 methods.

The names below are imported on first use (:mod:`mibias.lazy`).
"""

from mibias.lazy import lazy_names

# this package's name in the method registry (mibias.methods)
EXPERIMENT = "fairness"
# each public name and the module that defines it
_HOMES = {"MIFairClassifier": "mibias.fairness.classifier"}

__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
