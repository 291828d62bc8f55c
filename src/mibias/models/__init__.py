"""Feature extractors and heads for the paper's experiments."""

from mibias.models.digits import DigitEncoder, ZLayer, digit_classifier, representation_size

__all__ = ["DigitEncoder", "ZLayer", "digit_classifier", "representation_size"]
