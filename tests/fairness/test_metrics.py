import pytest

from mibias.fairness.metrics import fairness_metrics


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
