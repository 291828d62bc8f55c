"""Fair classification: the scikit-learn estimator, FERM and the Table 3 methods."""

from mibias.fairness.classifier import MIFairClassifier
from mibias.fairness.ferm import LinearFERM

__all__ = ["LinearFERM", "MIFairClassifier"]
