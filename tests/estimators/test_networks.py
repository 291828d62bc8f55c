import numpy as np
import pytest
import torch

from mibias.estimators import (
    CRITIC_ESTIMATORS,
    MINE,
    AveragedCritic,
    StatisticsNetwork,
    averaged,
    make_estimator,
)


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


def test_an_averaged_critic_scores_every_pair_as_its_members_mean():
    torch.manual_seed(0)
    members = [StatisticsNetwork(7, 3, hidden=widths) for widths in [(16, 16), (8,), (16, 4)]]
    z, c = torch.randn(50, 7), torch.randn(50, 3)
    expected = torch.stack([member(z, c) for member in members]).mean(0)
    assert torch.allclose(AveragedCritic(members)(z, c), expected, atol=1e-6)


@pytest.mark.parametrize("name", CRITIC_ESTIMATORS)
def test_the_averaged_critics_bound_reads_at_least_the_mean_of_the_members_bounds(name):
    """Every critic bound is concave in the scores: Jensen's inequality, on the same rows."""
    torch.manual_seed(0)
    z = torch.randn(200, 4)
    c = z[:, :2] + 0.5 * torch.randn(200, 2)
    members = [make_estimator(name, 4, 2, hidden=(16,)) for _ in range(3)]
    for member in members:  # a few steps each, so the members differ in more than their start
        optimiser = torch.optim.Adam(member.parameters(), lr=1e-2)
        for _ in range(20):
            optimiser.zero_grad()
            member.objective(z, c, torch.roll(torch.arange(200), 1))[0].backward()
            optimiser.step()
    perm = torch.roll(torch.arange(200), 7)
    with torch.no_grad():
        bounds = [member.estimate(z, c, perm).item() for member in members]
        combined = averaged(members).estimate(z, c, perm).item()
    assert combined >= np.mean(bounds) - 1e-6
    assert combined > min(bounds)
    assert all(isinstance(member.critic, StatisticsNetwork) for member in members)
