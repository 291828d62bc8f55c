"""Conditional MI through within-stratum marginals."""

import pytest
import torch

from mibias.estimators import make_estimator, marginal_permutation, stratified_permutations
from mibias.training import EstimatorUpdater


def test_stratified_permutations_only_exchange_rows_of_one_stratum() -> None:
    strata = torch.randint(0, 3, (5, 40), generator=torch.Generator().manual_seed(0))
    perms = stratified_permutations(strata, torch.Generator().manual_seed(1))
    for row, perm in zip(strata, perms, strict=True):
        assert sorted(perm.tolist()) == list(range(40))
        assert torch.equal(row[perm], row)
    assert not torch.equal(perms[0], torch.arange(40))


def test_marginal_permutation_refuses_strata_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="strata must have shape"):
        marginal_permutation(4, strata=torch.zeros(3, dtype=torch.long))


def _fit(c: torch.Tensor, z: torch.Tensor, strata: torch.Tensor | None, seed: int) -> float:
    """Train MINE on (z, c) with (within-stratum) marginals; held-out estimate."""
    torch.manual_seed(seed)
    model = make_estimator("mine", z.shape[1], c.shape[1])
    updater = EstimatorUpdater(model, torch.optim.Adam(model.parameters(), lr=1e-3))
    generator = torch.Generator().manual_seed(seed)
    half = len(z) // 2
    for _ in range(1500):
        rows = torch.randperm(half, generator=generator)[:256]
        perm = marginal_permutation(256, generator, None if strata is None else strata[rows])
        updater.step(z[rows][None], c[rows][None], perm[None])
    held = slice(half, None)
    with torch.no_grad():
        values = [
            model.estimate(
                z[held],
                c[held],
                marginal_permutation(
                    len(z) - half, generator, None if strata is None else strata[held]
                ),
            ).item()
            for _ in range(5)
        ]
    return sum(values) / len(values)


def test_conditional_estimate_is_near_zero_when_c_is_independent_of_z_given_y() -> None:
    generator = torch.Generator().manual_seed(0)
    n = 8000
    y = torch.randint(0, 2, (n,), generator=generator)
    flip = torch.rand(n, generator=generator) < 0.1
    c = torch.where(flip, 1 - y, y)  # c depends on y ...
    z = y[:, None].float() + 0.3 * torch.randn(n, 2, generator=generator)  # ... z only on y
    c_hot = torch.nn.functional.one_hot(c, 2).float()
    y_hot = torch.nn.functional.one_hot(y, 2).float()
    marginal = _fit(c_hot, z, None, seed=0)
    conditional = _fit(torch.cat([c_hot, y_hot], 1), z, y, seed=0)
    # I(z; c) is about I(y; c) = log 2 - H(0.1) = 0.368 nats; I(z; c | y) = 0
    assert marginal > 0.25
    assert abs(conditional) < 0.05
