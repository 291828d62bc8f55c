from mibias.experiments.fairness_recipe import FairnessRun
from mibias.fairness import MIFairClassifier


def test_the_recipe_whitens_as_the_classifier_does_by_default():
    """The recipe's critic reads z as MIFairClassifier's default does; the recipe declares its
    own default (read without torch) and this holds the two together."""
    assert FairnessRun().whiten == MIFairClassifier().whiten
