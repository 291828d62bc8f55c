"""Feature extractors and heads for the paper's experiments."""

from mibias.models.digits import DigitEncoder, digit_classifier

__all__ = ["DigitEncoder", "digit_classifier"]
