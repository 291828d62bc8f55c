import copy
import logging

import pytest
import torch

from mibias.estimators import make_estimator
from mibias.training import EstimatorUpdater, FeaturePool


def test_pool_keeps_the_most_recent_rows():
    pool = FeaturePool(5)
    for start in (0, 3, 6):
        rows = torch.arange(start, start + 3, dtype=torch.float32)[:, None]
        pool.add(rows, rows)
    assert pool.size == 5
    assert sorted(pool.z[:, 0].tolist()) == [4, 5, 6, 7, 8]


def test_pool_samples_distinct_rows_and_permutations():
    pool = FeaturePool(64)
    pool.add(torch.arange(64.0)[:, None], torch.arange(64.0)[:, None])
    z, c, perms = pool.sample(4, 16, torch.Generator().manual_seed(0))
    assert z.shape == (4, 16, 1) and perms.shape == (4, 16)
    for step in range(4):
        assert len(set(z[step, :, 0].tolist())) == 16
        assert sorted(perms[step].tolist()) == list(range(16))
    assert torch.equal(z, c)


def test_pool_holding_fewer_rows_than_a_step_draws_them_with_replacement():
    pool = FeaturePool(100)
    pool.add(torch.arange(10.0)[:, None], torch.arange(10.0)[:, None])
    z, c, perms = pool.sample(2, 32, torch.Generator().manual_seed(0))
    assert z.shape == (2, 32, 1) and perms.shape == (2, 32)
    assert set(z.flatten().tolist()) <= set(range(10)) and torch.equal(z, c)
    for step in range(2):
        assert sorted(perms[step].tolist()) == list(range(32))


def test_empty_pool_refuses_to_sample():
    with pytest.raises(RuntimeError, match="empty"):
        FeaturePool(4).sample(1, 2, torch.Generator())


def train(updater, z, c, perms):
    for i in range(len(z)):
        updater.step(z[i : i + 1], c[i : i + 1], perms[i : i + 1])


def test_steps_raise_the_bound():
    torch.manual_seed(0)
    est = make_estimator("mine", 2, 2, hidden=(32,))
    z = torch.randn(2048, 2)
    c = z + 0.3 * torch.randn(2048, 2)
    pool = FeaturePool(2048)
    pool.add(z, c)
    zs, cs, perms = pool.sample(300, 256, torch.Generator().manual_seed(0))
    before = est.estimate(z, c, torch.randperm(2048)).item()
    train(EstimatorUpdater(est, torch.optim.Adam(est.parameters(), 1e-2)), zs, cs, perms)
    after = est.estimate(z, c, torch.randperm(2048)).item()
    assert after > before + 0.5


def test_accumulation_averages_gradients():
    torch.manual_seed(0)
    est = make_estimator("mine-dv", 3, 2, hidden=(8,))
    twin = copy.deepcopy(est)
    z, c = torch.randn(2, 16, 3), torch.randn(2, 16, 2)
    perms = torch.stack([torch.randperm(16), torch.randperm(16)])
    EstimatorUpdater(est, torch.optim.SGD(est.parameters(), lr=0.1)).step(z, c, perms)
    twin_opt = torch.optim.SGD(twin.parameters(), lr=0.1)
    loss = sum(twin(z[a], c[a], perms[a], part="objective")[0] for a in range(2)) / 2
    loss.backward()
    twin_opt.step()
    for a, b in zip(est.parameters(), twin.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-6)


def test_compiled_step_matches_eager_step_and_prints_no_notice():
    notices = []  # what torch would print about tracing the optimiser's profiler annotation
    handler = logging.Handler()
    handler.emit = notices.append
    logger = logging.getLogger("torch._dynamo.variables.ctx_manager")
    logger.addHandler(handler)
    try:
        torch._logging._internal.warning_once.cache_clear()  # torch warns once per process
        torch._dynamo.reset()
        torch.manual_seed(0)
        eager = make_estimator("mine", 4, 3, hidden=(16, 16))
        fused = copy.deepcopy(eager)
        z, c = torch.randn(5, 1, 32, 4), torch.randn(5, 1, 32, 3)
        perms = torch.stack([torch.randperm(32) for _ in range(5)])[:, None]
        updaters = [
            EstimatorUpdater(model, torch.optim.SGD(model.parameters(), lr=0.05), compile=flag)
            for model, flag in ((eager, False), (fused, True))
        ]
        for updater in updaters:
            for i in range(5):
                updater.step(z[i], c[i], perms[i])
    finally:
        logger.removeHandler(handler)
    assert updaters[1]._compiled is not None, "compilation fell back to eager"
    for a, b in zip(eager.state_dict().values(), fused.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-5)
    assert not notices


@pytest.mark.parametrize("whiten", [False, True])
def test_compiled_step_draws_the_smoothing_noise_as_the_eager_step_does(whiten):
    # inductor's own random kernel drew other numbers, and on 128 x 1024 rows made a compiled
    # step four times slower than one without noise; torch's kernel draws the eager numbers.
    # Whitened: the first step built the whitening matrix inside the compiled gradient, where
    # it held traced tensors, and compilation failed; the encoder's batches update it between
    # steps (here as the penalty would), which must not make torch compile again.
    from torch._dynamo.utils import counters

    torch._dynamo.reset()
    torch.manual_seed(0)
    eager = make_estimator("mine", 6, 3, hidden=(16,), noise=0.5, whiten=whiten)
    compiled = copy.deepcopy(eager)
    z, c = torch.randn(3, 1, 32, 6), torch.randn(3, 1, 32, 3)
    perms = torch.stack([torch.randperm(32) for _ in range(3)])[:, None]
    for model, flag in ((eager, False), (compiled, True)):
        updater = EstimatorUpdater(model, torch.optim.SGD(model.parameters(), lr=0.05), flag)
        torch.manual_seed(1)
        graphs = []
        for i in range(3):
            updater.step(z[i], c[i], perms[i])
            graphs.append(counters["stats"]["unique_graphs"])
            model.smoothed(2 * z[i, 0].requires_grad_())
        assert not flag or updater._compiled is not None, "compilation fell back to eager"
        assert graphs[-1] == graphs[0]
    for a, b in zip(eager.state_dict().values(), compiled.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-5)
    if whiten:
        assert torch.allclose(eager.whitener, compiled.whitener)


def test_updaters_made_one_after_another_share_one_compiled_step():
    # compiling the optimiser's update too made torch guard on each optimiser object: every
    # new updater compiled again, and from the ninth on the steps ran eagerly
    from torch._dynamo.utils import counters

    torch._dynamo.reset()
    z, c = torch.randn(1, 32, 4), torch.randn(1, 32, 3)
    perm = torch.randperm(32)[None]
    compiled = []
    for _ in range(10):
        model = make_estimator("mine", 4, 3, hidden=(16, 16))
        optimizer = torch.optim.Adam(model.parameters(), 1e-3, fused=True)
        updater = EstimatorUpdater(model, optimizer, compile=True)
        updater.step(z, c, perm)
        assert updater._compiled is not None, "compilation fell back to eager"
        compiled.append(counters["stats"]["unique_graphs"])
    assert compiled[0] > 0 and compiled[-1] == compiled[0]


def test_pool_permutations_stay_within_strata_and_strata_are_all_or_nothing():
    pool = FeaturePool(12)
    strata = torch.tensor([0, 1, 0, 1, 2, 2])
    pool.add(torch.arange(6.0)[:, None], torch.zeros(6, 1), strata)
    pool.add(torch.arange(6.0, 12.0)[:, None], torch.zeros(6, 1), strata)
    z, _, perms = pool.sample(5, 8, torch.Generator().manual_seed(0))
    held = torch.cat([strata, strata])
    for rows, perm in zip(z[..., 0].long(), perms, strict=True):
        assert torch.equal(held[rows][perm], held[rows])
    with pytest.raises(ValueError, match="strata with every batch"):
        pool.add(torch.zeros(2, 1), torch.zeros(2, 1))


def test_restart_clears_the_optimiser_in_place_as_if_newly_built():
    torch.manual_seed(0)
    est = make_estimator("mine", 3, 2, hidden=(8,))
    optimizer = torch.optim.Adam(est.parameters(), 1e-2)
    updater = EstimatorUpdater(est, optimizer)
    z, c = torch.randn(3, 32, 3), torch.randn(3, 32, 2)
    perms = torch.stack([torch.randperm(32) for _ in range(3)])
    train(updater, z, c, perms)
    kept = {id(t) for state in optimizer.state.values() for t in state.values()}
    torch.manual_seed(1)
    updater.restart()
    assert {id(t) for state in optimizer.state.values() for t in state.values()} == kept
    updater.step(z[:1], c[:1], perms[:1])
    torch.manual_seed(1)
    twin = make_estimator("mine", 3, 2, hidden=(8,))
    EstimatorUpdater(twin, torch.optim.Adam(twin.parameters(), 1e-2)).step(z[:1], c[:1], perms[:1])
    for a, b in zip(est.state_dict().values(), twin.state_dict().values(), strict=True):
        assert torch.allclose(a, b)
