"""Fair classification: the scikit-learn estimator and the Table 3 methods."""

from mibias.fairness.classifier import MIFairClassifier

__all__ = ["MIFairClassifier"]
