"""scikit-learn's own estimator checks on MIFairClassifier."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from mibias.fairness import MIFairClassifier

# small and quick, but enough to learn the checks' toy problems
FAST = MIFairClassifier(steps=150, batch_size=32, k=1, check_leakage=False, random_state=0)


@parametrize_with_checks([FAST])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
