import numpy as np
import pytest

from mibias.baselines import LinearFERM
from tests.fairness.test_classifier import biased_table


def test_every_linear_score_has_equal_mean_on_both_groups_positives():
    X, y, s = biased_table(600)
    model = LinearFERM(random_state=0).fit(X, y, sensitive_features=s)
    scores = model.decision_function(X)
    positive = y == 1
    gap = scores[positive & (s == 1)].mean() - scores[positive & (s == 0)].mean()
    assert abs(gap) < 1e-6
    assert model.score(X, y) > 0.6


def test_ferm_refuses_a_non_binary_attribute():
    X, y, _ = biased_table(100)
    with pytest.raises(ValueError, match="binary attribute"):
        LinearFERM().fit(X, y, sensitive_features=np.arange(100) % 3)
