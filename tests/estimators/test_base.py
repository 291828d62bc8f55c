import math

import numpy as np
import pytest
import torch

from mibias.estimators import (
    CLUB,
    MINE,
    AttributeEncoder,
    log_mean_exp,
    make_estimator,
    marginal_permutation,
)
from mibias.estimators.names import NOISE_FALL_SHARE
from mibias.methods import make_term


def batch(n=64, z_dim=5, c_dim=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, z_dim, generator=g), torch.randn(n, c_dim, generator=g)


@pytest.mark.parametrize("name", ["mine", "mine-dv", "nwj", "infonce", "club"])
def test_penalty_is_differentiable_in_z_and_leaves_the_estimator_alone(name):
    torch.manual_seed(0)
    est = make_estimator(name, 5, 3)
    z, c = batch()
    z.requires_grad_(True)
    before = {k: v.clone() for k, v in est.state_dict().items()}
    weighed, fixed = est.penalty(z, c, torch.randperm(len(z)))
    (weighed + fixed).backward()
    assert z.grad is not None and torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0
    assert all(p.grad is None for p in est.parameters())
    for key, tensor in est.state_dict().items():
        assert torch.equal(tensor, before[key]) or (
            torch.isnan(tensor).all() and torch.isnan(before[key]).all()
        )


@pytest.mark.parametrize("name", ["mine", "reversal"])
def test_penalty_terms_add_up_to_the_estimate(name):
    torch.manual_seed(0)
    est = make_term(name, 5, 3)
    z, c = batch()
    perm = torch.randperm(len(z))
    weighed, fixed = est.penalty(z, c, perm)
    assert torch.allclose(weighed + fixed, est.estimate(z, c, perm))
    assert (fixed.item() != 0) == est.fixed_term


def test_mine_moving_average_correction():
    torch.manual_seed(0)
    est = MINE(5, 3, hidden=(8,), ema_rate=0.1)
    z, c = batch()
    perm = torch.randperm(len(z))
    loss, updates = est.objective(z, c, perm)
    joint, marginal = est.joint_and_marginal_scores(z, c, perm)
    # first call: the average starts at the batch value
    assert torch.allclose(updates["log_ema"], log_mean_exp(marginal))
    est.apply_buffer_updates(updates)
    ema = float(torch.exp(est.log_ema))
    # second call: gradient of the marginal term is grad(mean exp T) / ema_new
    loss, updates = est.objective(z, c, perm)
    new_ema = 0.9 * ema + 0.1 * float(torch.exp(log_mean_exp(marginal.detach())))
    assert math.isclose(float(torch.exp(updates["log_ema"])), new_ema, rel_tol=1e-5)
    grads = torch.autograd.grad(loss, list(est.parameters()))
    joint, marginal = est.joint_and_marginal_scores(z, c, perm)
    reference = -(joint.mean() - torch.exp(marginal).mean() / new_ema)
    expected = torch.autograd.grad(reference, list(est.parameters()))
    for g, e in zip(grads, expected, strict=True):
        assert torch.allclose(g, e, atol=1e-5)


def test_plain_dv_objective_is_the_negative_bound():
    torch.manual_seed(0)
    est = make_estimator("mine-dv", 5, 3)
    z, c = batch()
    perm = torch.randperm(len(z))
    loss, updates = est.objective(z, c, perm)
    assert updates == {}
    assert torch.allclose(loss, -est.estimate(z, c, perm))


def test_club_categorical_checks_groups():
    with pytest.raises(ValueError, match="do not add up"):
        CLUB(4, 6, groups=(2, 3))


def test_smoothing_noise_is_refused_where_no_critic_reads_it():
    assert make_estimator("nwj", 4, 2, noise=0.5).noise == 0.5
    with pytest.raises(ValueError, match="noise must be >= 0, got -1"):
        make_estimator("mine", 4, 2, noise=-1.0)
    with pytest.raises(ValueError, match="not to 'club'"):
        make_estimator("club", 4, 2, groups=(2,), noise=0.5)


def test_a_smoothing_noise_that_starts_larger_falls_to_its_scale_over_the_fall_share():
    estimator = make_estimator("mine", 4, 2, noise=0.5, noise_start=4.0)
    multiples = []
    for share_of_fall in (0.0, 0.5, 1.0, 4.5):
        estimator.follow_progress(share_of_fall * NOISE_FALL_SHARE)
        multiples.append(estimator.noise_multiple.item())
    assert multiples == pytest.approx([4.0, 2.5, 1.0, 1.0])
    z, _ = batch(n=4000, z_dim=4)
    estimator.follow_progress(0.0)
    spread = (estimator.smoothed(z) - estimator.smoothed(z)).std().item()
    assert spread == pytest.approx(0.5 * 4.0 * math.sqrt(2), rel=0.05)
    with pytest.raises(ValueError, match=r"noise_start must be >= 1, got 0\.5"):
        make_estimator("nwj", 4, 2, noise=0.5, noise_start=0.5)


@pytest.mark.parametrize("mixed", [False, True])
def test_mixed_noise_reads_half_the_rows_sharp_and_half_at_sqrt2_times_the_noise(mixed):
    torch.manual_seed(0)
    estimator = make_estimator("mine", 64, 2, noise=0.5, mixed_noise=mixed)
    z, _ = batch(n=2000, z_dim=64)
    standardised = (z - z.mean(0)) / (z.std(0) + 1e-4)
    row_scales = (estimator.smoothed(z) - standardised).std(dim=1)
    if mixed:
        sharp = row_scales < 1e-3
        assert sharp.float().mean().item() == pytest.approx(0.5, abs=0.05)
        noisy = row_scales[~sharp]
        assert noisy.mean().item() == pytest.approx(0.5 * math.sqrt(2), rel=0.03)
    else:  # every row at the noise, up to the sampling of 64 draws
        assert row_scales.min().item() > 0.3 and row_scales.max().item() < 0.7


def test_unknown_estimator_is_refused():
    with pytest.raises(ValueError, match="unknown estimator 'mime'"):
        make_estimator("mime", 4, 2)


def test_marginal_permutation_respects_strata():
    strata = torch.tensor([0, 0, 1, 1, 1, 2, 0, 2])
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        perm = marginal_permutation(len(strata), g, strata)
        assert sorted(perm.tolist()) == list(range(len(strata)))
        assert torch.equal(strata[perm], strata)


class TestAttributeEncoder:
    def test_labels_become_one_hot(self):
        enc = AttributeEncoder().fit(np.array(["a", "b", "a", "c"]))
        assert enc.groups_ == (3,)
        out = enc.transform(np.array(["c", "a"]))
        assert out.tolist() == [[0, 0, 1], [1, 0, 0]]

    def test_one_hot_input_is_kept(self):
        onehot = np.eye(4)[[0, 3, 2, 1, 0]]
        enc = AttributeEncoder().fit(onehot)
        assert enc.groups_ == (4,)
        assert np.array_equal(enc.transform(onehot).numpy(), onehot)

    def test_integer_columns_as_groups(self):
        codes = np.array([[0, 7, 1], [3, 2, 1], [7, 0, 0]])
        enc = AttributeEncoder(kind="categorical").fit(codes)
        assert enc.groups_ == (3, 3, 2)
        assert enc.transform(codes).shape == (3, 8)

    def test_auto_reads_several_columns_of_labels_as_a_block_each(self):
        """Two attributes of whole numbers (sex and a three-valued one, say) are groups, as
        one such column is; a column of measurements among them makes them continuous."""
        codes = np.array([[0, 2], [1, 0], [0, 1], [1, 1]])
        assert AttributeEncoder().fit(codes).groups_ == (2, 3)
        assert AttributeEncoder().fit(codes == 1).groups_ == (2, 2)
        assert AttributeEncoder().fit(np.c_[codes[:, :1], [0.5, 1.5, 2.5, 0.1]]).groups_ is None

    def test_continuous_is_standardised_with_fit_statistics(self):
        values = np.array([[0.5, 1.0], [1.5, 3.0], [2.5, 5.0]])
        enc = AttributeEncoder().fit(values)
        assert enc.groups_ is None
        out = enc.transform(values).numpy()
        assert np.allclose(out.mean(0), 0, atol=1e-6) and np.allclose(out.std(0), 1, atol=1e-6)

    @pytest.mark.parametrize(
        "values, message",
        [
            (np.ones(5), "constant"),
            (np.array([1.0, np.nan, 2.0]), "NaN"),
            (np.zeros((2, 2, 2)), "1 or 2 dimensions"),
            (np.array([]), "empty"),
        ],
    )
    def test_bad_attributes_are_refused(self, values, message):
        with pytest.raises(ValueError, match=message):
            AttributeEncoder().fit(values)

    def test_unseen_category_is_refused(self):
        enc = AttributeEncoder().fit(np.array([0, 1, 0, 1]))
        with pytest.raises(ValueError, match="not seen"):
            enc.transform(np.array([2]))


@pytest.mark.parametrize("name", ["mine", "mine-dv", "nwj", "infonce", "club"])
def test_reset_draws_the_estimator_as_if_newly_built(name):
    torch.manual_seed(3)
    fresh = make_estimator(name, 5, 3)
    torch.manual_seed(0)
    estimator = make_estimator(name, 5, 3)
    z, c = batch()
    loss, updates = estimator(z, c, torch.randperm(64), part="objective")
    loss.backward()
    estimator.apply_buffer_updates(updates)
    torch.manual_seed(3)
    with torch.no_grad():
        estimator.reset()
    for (key, mine), theirs in zip(
        estimator.state_dict().items(), fresh.state_dict().values(), strict=True
    ):
        assert torch.equal(mine, theirs) or (mine.isnan().all() and theirs.isnan().all()), key


def narrow_batch(rows=500, narrow=0.01, seed=0):
    """Three columns, the second a copy of the first but for ``narrow`` times an independent
    draw: the direction between them hardly varies. Carries gradient, as an encoder's does."""
    generator = torch.Generator().manual_seed(seed)
    mixing = torch.tensor([[1.0, 1.0, 0.0], [0.0, narrow, 0.0], [0.0, 0.0, 2.0]])
    return (torch.randn(rows, 3, generator=generator) @ mixing).requires_grad_(True)


def smoothed_eigenvalues(estimator, z):
    return torch.linalg.eigvalsh(torch.cov(estimator.smoothed(z).detach().T))


def test_a_whitened_critic_reads_a_narrow_direction_at_full_scale():
    z = narrow_batch()
    whitened = make_estimator("mine", 3, 2, noise=1e-6, whiten=True)
    standardised = make_estimator("mine", 3, 2, noise=1e-6)
    assert torch.allclose(smoothed_eigenvalues(whitened, z), torch.ones(3), atol=0.05)
    assert smoothed_eigenvalues(standardised, z).min() < 1e-3


def test_the_whitening_follows_encoder_batches_and_only_them():
    """An encoder that shrinks the narrow direction threefold more reads small at first and is
    caught up with by the running covariance (weight 0.05 a batch: 0.95^150 < 0.001 of the old
    one is left; the ridge and float32 rounding keep it below 1: 0.67); rows without
    gradient (the estimator's own steps, evaluation) leave it as it is."""
    estimator = make_estimator("mine", 3, 2, noise=1e-6, whiten=True)
    estimator.smoothed(narrow_batch())
    before = estimator.whitener.clone()
    shrunk = narrow_batch(narrow=0.003, seed=1000).detach()
    assert smoothed_eigenvalues(estimator, shrunk).min() < 0.2
    assert torch.equal(estimator.whitener, before)
    for seed in range(150):
        estimator.smoothed(narrow_batch(narrow=0.003, seed=seed))
    assert smoothed_eigenvalues(estimator, shrunk).min() > 0.5


def test_the_whitening_raises_its_ridge_where_rounding_leaves_the_covariance_short():
    """A covariance of fewer rows than z's width has zero eigenvalues, which float32 rounding
    can put below the ridge (a fit of MIFairClassifier on 3 to 10 rows failed in the
    factorisation): a running covariance with one eigenvalue at -5e-6 of the others, 0.95 of it
    kept beside a batch of equal rows, needs the ridge raised once."""
    estimator = make_estimator("mine", 4, 2, noise=1.0, whiten=True)
    estimator.running_covariance = torch.diag(torch.tensor([1.0, 1.0, 1.0, -5e-6]))
    whitener = estimator.whitening(torch.zeros(3, 4, requires_grad=True))
    assert torch.isfinite(whitener).all()
    assert whitener[:3, :3].diagonal().allclose(torch.full((3,), 0.95**-0.5), rtol=1e-4)


def test_the_whitening_names_features_it_cannot_square():
    """z of 1e30 squares past float32's range: the error says so, where the factorisation's
    own was a bare 'not positive-definite'."""
    estimator = make_estimator("mine", 4, 2, noise=1.0, whiten=True)
    rows = torch.randn(8, 4, generator=torch.Generator().manual_seed(0)) * 1e30
    with pytest.raises(FloatingPointError, match="too large to square in float32"):
        estimator.whitening(rows.requires_grad_(True))
