"""The losses MIEraser minimises beside the MI term."""

import numpy as np
import pytest
import torch

from mibias.erasure.losses import (
    ConditionalReconstruction,
    DistanceLoss,
    KernelDependence,
    LossSum,
    SimilarityLoss,
    total_variance,
)


def batch(seed=0, n=64, width=5):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, width, generator=generator)
    c = torch.nn.functional.one_hot(torch.randint(0, 2, (n,), generator=generator), 2).float()
    return x, c


def test_the_keep_losses_read_zero_where_z_keeps_what_they_keep():
    x, c = batch()
    assert DistanceLoss(2.0)(x, x, None, c).item() == 0.0
    assert DistanceLoss(2.0)(x, x + 1, None, c).item() == pytest.approx(2.0 * x.shape[1])
    # cosine similarities ignore each row's length
    assert SimilarityLoss(1.0)(x, 3 * x, None, c).item() == pytest.approx(0.0, abs=1e-6)
    assert SimilarityLoss(1.0)(x, torch.randn_like(x), None, c).item() > 0.01


def test_the_total_variance_is_the_mean_squared_distance_to_the_mean_and_never_zero():
    x = np.random.default_rng(0).normal(size=(10_000, 3)) * [1.0, 2.0, 3.0]
    assert total_variance(x) == pytest.approx(14.0, rel=0.05)
    assert total_variance(np.ones((5, 3))) > 0


def test_the_kernel_term_reads_more_where_z_carries_c_and_the_sum_adds_its_parts():
    x, c = batch(n=256)
    term = KernelDependence(1.0)
    # measured on seeds 0-4: 0.873 to 0.889 where z carries c, -0.005 to 0.009 where it does not
    assert term(x, torch.cat([x, 3 * c], 1), None, c).item() > 0.5
    assert abs(term(x, torch.cat([x, x[:, :2]], 1), None, c).item()) < 0.05
    decoder = ConditionalReconstruction(5, 2, 8, weight=1.0)
    parts = [DistanceLoss(1.0), decoder]
    total = LossSum(parts, "keep")(x, x + 1, None, c)
    assert total.item() == pytest.approx(sum(p(x, x + 1, None, c).item() for p in parts), rel=1e-5)


def test_the_reconstruction_rebuilds_x_from_a_narrower_z():
    x, c = batch(n=64)
    decoder = ConditionalReconstruction(5, 2, 8, weight=1.0, z_width=3)
    assert decoder.decoder[0].in_features == 3 + 2 and decoder.decoder[-1].out_features == 5
    loss = decoder(x, x[:, :3], None, c)
    assert loss.ndim == 0 and loss.item() > 0
