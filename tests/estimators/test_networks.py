import torch

from mibias.estimators import MINE, StatisticsNetwork, make_estimator


def concatenated_scores(critic: StatisticsNetwork, z: torch.Tensor, c: torch.Tensor):
    """The critic read the plain way: its MLP on concat(z, c)."""
    return critic.net(torch.cat([z, c], dim=1)).squeeze(1)


def test_split_first_layer_scores_like_the_concatenated_network():
    torch.manual_seed(0)
    critic = StatisticsNetwork(7, 3, hidden=(16, 16))
    z, c = torch.randn(50, 7), torch.randn(50, 3)
    assert torch.allclose(critic(z, c), concatenated_scores(critic, z, c), atol=1e-6)


def test_mine_scores_joint_and_shuffled_pairs_like_the_concatenated_network():
    torch.manual_seed(0)
    est = MINE(7, 3, hidden=(16, 16))
    z, c, perm = torch.randn(50, 7), torch.randn(50, 3), torch.randperm(50)
    joint, marginal = est.joint_and_marginal_scores(z, c, perm)
    assert torch.allclose(joint, concatenated_scores(est.critic, z, c), atol=1e-6)
    assert torch.allclose(marginal, concatenated_scores(est.critic, z, c[perm]), atol=1e-6)


def test_infonce_scores_every_pair_like_the_concatenated_network():
    torch.manual_seed(0)
    est = make_estimator("infonce", 7, 3, hidden=(16,))
    n = 12
    z, c = torch.randn(n, 7), torch.randn(n, 3)
    grid = concatenated_scores(est.critic, z.repeat_interleave(n, dim=0), c.repeat(n, 1))
    grid = grid.view(n, n)  # grid[i, j] = T(z_i, c_j)
    expected = (grid.diagonal() - torch.logsumexp(grid, dim=1)).mean() + torch.log(
        torch.tensor(float(n))
    )
    assert torch.allclose(est.estimate(z, c, torch.arange(n)), expected, atol=1e-5)
