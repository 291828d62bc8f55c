"""What the audit's fresh estimators read, and when a training run scores its weights."""

import numpy as np
import torch

from mibias.audit.estimates import check_steps, leading_components, whitened_components


def test_whitened_components_leave_out_a_direction_with_no_variance_and_clip_held_out_rows():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(500, 3))
    train = np.concatenate([train, -train.sum(1, keepdims=True)], 1)  # columns sum to 0
    test = 10 * np.concatenate([rng.normal(size=(50, 3)), np.zeros((50, 1))], 1)
    train_view, test_view = whitened_components(train, test, max_dims=64)
    assert train_view.shape == (500, 3) and test_view.shape == (50, 3)
    assert torch.allclose(train_view.mean(0), torch.zeros(3), atol=1e-5)
    assert torch.allclose(train_view.std(0, unbiased=False), torch.ones(3), atol=1e-4)
    assert (test_view <= train_view.max(0).values).all()
    assert (test_view >= train_view.min(0).values).all()


def test_whitened_components_of_float32_rows_far_from_zero_are_those_of_the_centred_rows():
    """Columns around 10,000 that vary by about 1, as float32 (the audit's z): the components
    are the same as the centred rows' (was: a covariance formed in float32 lost to rounding,
    two components of five kept and the whitened probe at 0.68 where it read 0.84)."""
    rng = np.random.default_rng(0)
    centred = rng.normal(size=(2000, 5)) * [1.0, 0.9, 0.8, 0.7, 0.5]
    far = (centred + 1e4).astype(np.float32)
    near_view, _ = whitened_components(centred.astype(np.float32), centred[:10], max_dims=64)
    far_view, _ = whitened_components(far, far[:10], max_dims=64)
    assert far_view.shape == near_view.shape == (2000, 5)
    agreement = np.abs(np.corrcoef(near_view.numpy().T, far_view.numpy().T)[:5, 5:])
    assert (agreement.max(1) > 0.999).all()


def test_a_narrow_z_is_read_column_by_column_and_a_wide_one_as_its_components():
    rng = np.random.default_rng(1)
    narrow = rng.normal(size=(300, 5))
    assert leading_components(narrow, narrow[:10], max_dims=64)[0].shape == (300, 5)
    wide = rng.normal(size=(300, 100))
    assert leading_components(wide, wide[:10], max_dims=64)[0].shape == (300, 64)


def test_weights_are_scored_before_the_first_step_and_after_the_last():
    steps = check_steps(4000)
    assert {0, 4000} <= steps
    assert min(s for s in steps if s > 0) == 1  # geometric checks early on
    assert len(steps) <= 31
