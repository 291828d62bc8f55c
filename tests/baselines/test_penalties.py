"""The baselines' dependence terms."""

import math

import pytest
import torch

from mibias.baselines import (
    Adversary,
    ChiSquaredInformation,
    ConfusionAdversary,
    NormalisedHSIC,
    PairwiseGaussianKL,
    ReversalAdversary,
    make_penalty,
    reverse_gradient,
)
from mibias.training import EstimatorUpdater


def test_chi_squared_information_is_zero_under_independence_and_hgr_squared_for_copies() -> None:
    measure = ChiSquaredInformation(2)
    c = torch.nn.functional.one_hot(torch.tensor([0, 1, 0, 1]), 2).float()
    constant = torch.zeros(4, 2)
    assert measure.estimate(constant, c, torch.arange(4)).item() == pytest.approx(0.0, abs=1e-6)
    # a hard copy of c: maximal correlation 1
    copy = 50 * (2 * c - 1)
    assert measure.estimate(copy, c, torch.arange(4)).item() == pytest.approx(1.0, abs=1e-4)
    assert list(measure.parameters()) == []


def test_adversary_bound_is_entropy_minus_cross_entropy() -> None:
    torch.manual_seed(0)
    adversary = Adversary(3, 2)
    z = torch.randn(64, 3)
    c = torch.nn.functional.one_hot(torch.randint(0, 2, (64,)), 2).float()
    freq = c.mean(0)
    entropy = -(freq * freq.log()).sum()
    expected = entropy - adversary.cross_entropy(z, c)
    assert adversary.estimate(z, c, torch.arange(64)).item() == pytest.approx(expected.item())
    loss, updates = adversary.objective(z, c, torch.arange(64))
    assert loss.item() == pytest.approx(adversary.cross_entropy(z, c).item())
    assert updates == {}


def test_a_trained_adversary_detects_a_leaked_attribute() -> None:
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (2000,), generator=generator)
    z = torch.randn(2000, 4, generator=generator)
    z[:, 0] += 3 * labels
    c = torch.nn.functional.one_hot(labels, 2).float()
    adversary = make_penalty("adversary", 4, 2)
    updater = EstimatorUpdater(adversary, torch.optim.Adam(adversary.parameters(), lr=1e-2))
    for _ in range(200):
        updater.step(z[None], c[None], torch.arange(2000)[None])
    estimate = adversary.estimate(z, c, torch.arange(2000)).item()
    assert 0.4 < estimate <= math.log(2) + 1e-6


def test_gradient_reversal_reverses_and_scales_the_gradient():
    x = torch.randn(5, 3, requires_grad=True)
    out = reverse_gradient(x, 0.1)
    assert torch.equal(out, x)
    (out * torch.arange(3.0)).sum().backward()
    assert torch.allclose(x.grad, -0.1 * torch.arange(3.0).expand(5, 3))


def test_confusion_loss_is_minimal_at_uniform_predictions():
    torch.manual_seed(0)
    confusion = ConfusionAdversary(4, 5, groups=(2, 3))
    z = torch.randn(32, 4)
    c = torch.zeros(32, 5)
    assert confusion.estimate(z, c, torch.arange(32)).item() > 0
    for layer in confusion.head:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.zeros_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    assert confusion.estimate(z, c, torch.arange(32)).item() == pytest.approx(0.0, abs=1e-6)


def test_reversal_adversary_pushes_z_to_raise_the_heads_loss():
    torch.manual_seed(0)
    kim = ReversalAdversary(3, 2, reversal=0.5)
    z = torch.randn(16, 3, requires_grad=True)
    c = torch.nn.functional.one_hot(torch.randint(0, 2, (16,)), 2).float()
    kim.estimate(z, c, torch.arange(16)).backward()
    via_reversal = z.grad.clone()
    z.grad = None
    entropy = sum(
        -(torch.softmax(b, 1) * torch.log_softmax(b, 1)).sum(1).mean()
        for b in kim.head(z).split((2,), 1)
    )
    (-0.5 * kim.cross_entropy(z, c) - entropy).backward()
    assert torch.allclose(via_reversal, z.grad, atol=1e-6)


def test_pairwise_kl_matches_a_direct_computation_and_vanishes_for_equal_posteriors():
    from torch.distributions import Normal, kl_divergence

    torch.manual_seed(0)
    mu, log_var = torch.randn(5, 3), torch.randn(5, 3)
    penalty = PairwiseGaussianKL().estimate(torch.cat([mu, log_var], 1), None, None)
    q = [Normal(mu[i], (0.5 * log_var[i]).exp()) for i in range(5)]
    direct = sum(kl_divergence(q[i], q[j]).sum() for i in range(5) for j in range(5) if i != j)
    assert penalty.item() == pytest.approx(direct.item() / 20, rel=1e-5)
    same = torch.cat([mu[:1].expand(4, 3), log_var[:1].expand(4, 3)], 1)
    assert PairwiseGaussianKL().estimate(same, None, None).item() == pytest.approx(0, abs=1e-6)


def test_an_unknown_penalty_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="choose from chi2, adversary"):
        make_penalty("mine", 4, 2)


def labelled_rows(n: int, seed: int, shift: float) -> tuple[torch.Tensor, torch.Tensor]:
    """8 categories one-hot, and 64-d Gaussian rows whose first coordinate moves with c."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 8, (n,), generator=generator)
    z = torch.randn(n, 64, generator=generator)
    z[:, 0] += shift * labels
    return z, torch.nn.functional.one_hot(labels, 8).float()


def test_normalised_hsic_is_near_zero_for_independent_rows_and_high_for_dependent_ones() -> None:
    measure = NormalisedHSIC()
    # measured on seeds 0-4: independent -0.002 to 0.003, dependent 0.43 to 0.45
    independent = [measure.estimate(*labelled_rows(512, s, 0.0), None).item() for s in range(5)]
    dependent = [measure.estimate(*labelled_rows(512, s, 3.0), None).item() for s in range(5)]
    assert max(abs(v) for v in independent) < 0.03
    assert min(dependent) > 0.3
    z, c = labelled_rows(128, 0, 3.0)
    assert measure.estimate(100 * z, c, None).item() == pytest.approx(
        measure.estimate(z, c, None).item(), abs=1e-4
    )  # the median bandwidth makes the scale of z irrelevant
    assert measure.estimate(c, c, None).item() == pytest.approx(1.0, abs=1e-4)
    assert measure.estimate(z[:3], c[:3], None).item() == 0.0
    assert list(measure.parameters()) == []


def test_descending_normalised_hsic_removes_the_attribute_from_z() -> None:
    z, c = labelled_rows(256, 0, 3.0)
    z.requires_grad_(True)
    measure = make_penalty("hsic", 64, 8)
    optimiser = torch.optim.Adam([z], lr=0.05)
    start = measure.estimate(z, c, None).item()
    for _ in range(100):
        optimiser.zero_grad()
        measure.estimate(z, c, None).backward()
        optimiser.step()
    assert start > 0.3 and measure.estimate(z, c, None).item() < 0.05
