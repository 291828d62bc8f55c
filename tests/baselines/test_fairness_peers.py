import numpy as np
import pytest

from mibias.baselines.fairness_peers import (
    AdversarialPeer,
    ExponentiatedGradientPeer,
    PeerDiverged,
)


def biased_task(n: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """s shifts one input column and the label."""
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 5))
    x[:, 0] += s
    y = (x[:, 1] + 0.5 * s + 0.3 * rng.normal(size=n) > 0).astype(int)
    return x, y, s


def test_the_adversarial_peer_learns_the_task_within_its_step_budget():
    x, y, s = biased_task()
    peer = AdversarialPeer(seed=0, steps=200, batch_size=64).fit(x, y, sensitive_features=s)
    assert peer.model.max_iter == 200
    assert set(np.unique(peer.predict(x))) <= {0, 1}
    assert (peer.predict(x) == y).mean() > 0.8


def test_a_diverged_adversarial_game_says_so_instead_of_failing_inside_torch():
    # inputs a thousand times too large saturate the predictor's sigmoid at once: the path
    # two of German's ten runs take after some hundred steps
    x, y, s = biased_task()
    peer = AdversarialPeer(seed=0, steps=200, batch_size=64)
    with pytest.raises(PeerDiverged, match="diverged: its predictor's weights became NaN"):
        peer.fit(x * 1e3, y, sensitive_features=s)


def test_exponentiated_gradient_predictions_repeat_for_a_seed_and_scores_are_probabilities():
    x, y, s = biased_task()
    first = ExponentiatedGradientPeer(seed=3).fit(x, y, sensitive_features=s)
    second = ExponentiatedGradientPeer(seed=3).fit(x, y, sensitive_features=s)
    np.testing.assert_array_equal(first.predict(x), second.predict(x))
    scores = first.scores(x)
    assert scores.shape == (len(x),)
    assert scores.min() >= 0.0 and scores.max() <= 1.0
