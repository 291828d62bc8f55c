import numpy as np
import pytest

from mibias.fairness.metrics import eo_sampling_floor, fairness_metrics


def test_fairness_metrics_on_a_hand_computed_example():
    # group 0: positives rows 0, 1 -> both predicted 1 (TPR 1); negatives rows 4, 5 -> FPR 1/2
    # group 1: positives rows 2, 3 -> one predicted 1 (TPR 1/2); negatives rows 6, 7 -> FPR 0
    y_true = [1, 1, 1, 1, 0, 0, 0, 0]
    y_pred = [1, 1, 0, 1, 0, 1, 0, 0]
    group = [0, 0, 1, 1, 0, 0, 1, 1]
    metrics = fairness_metrics(y_true, y_pred, group)
    assert metrics["accuracy"] == pytest.approx(6 / 8)
    assert metrics["eo"] == pytest.approx(0.5)  # |1 - 1/2|
    assert metrics["eodds"] == pytest.approx(0.5)  # max(|1 - 1/2|, |1/2 - 0|)
    assert metrics["dp"] == pytest.approx(3 / 4 - 1 / 4)  # P(yhat=1): 3/4 vs 1/4


def test_eo_sampling_floor_on_hand_computed_cases():
    # one positive per group at rate 1/2: the rates differ (gap 1) with probability 1/2
    assert eo_sampling_floor((1, 1), 0.5) == pytest.approx(0.5)
    # one and two positives: E|A - B/2| = 1/2 (A in {0, 1}; B/2 in {0, 1/2, 1} w.p. 1/4, 1/2, 1/4)
    assert eo_sampling_floor((1, 2), 0.5) == pytest.approx(0.5)
    # a rate of 0 or 1 leaves no room for chance
    assert eo_sampling_floor((30, 170), 1.0) == pytest.approx(0.0)


def test_eo_sampling_floor_matches_a_simulation_and_shrinks_with_the_groups():
    rng = np.random.default_rng(0)
    positives, tpr = (32, 178), 0.85
    simulated = np.abs(
        rng.binomial(positives[0], tpr, 200_000) / positives[0]
        - rng.binomial(positives[1], tpr, 200_000) / positives[1]
    ).mean()
    assert eo_sampling_floor(positives, tpr) == pytest.approx(simulated, abs=0.001)
    assert eo_sampling_floor((320, 1780), tpr) < eo_sampling_floor(positives, tpr) / 3


@pytest.mark.parametrize(("positives", "tpr"), [((0, 5), 0.5), ((5, 5), 1.5)])
def test_eo_sampling_floor_refuses_bad_input(positives, tpr):
    with pytest.raises(ValueError, match=r"positive row|tpr"):
        eo_sampling_floor(positives, tpr)
