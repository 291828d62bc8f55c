import json
import math
import signal
import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from mibias.baselines import make_penalty
from mibias.data.synthetic import make_biased_sample
from mibias.estimators import make_estimator
from mibias.experiments.demo import train_synthetic
from mibias.io import InputError
from mibias.run_folder import RunFolderTaken
from mibias.training import DivergenceError, MITrainer, OptimizerConfig, TrainerConfig
from mibias.training import trainer as trainer_module
from mibias.training.checkpoint import checksum_path, load_checkpoint
from tests.processes import two_at_a_time

JOB = Path(__file__).with_name("_resume_job.py")


def small_setup(seed=0, n=400):
    torch.manual_seed(seed)
    data = make_biased_sample(n, seed=seed)
    encoder = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 4))
    classifier = nn.Linear(4, 4)
    loader = DataLoader(data.dataset(), batch_size=50, shuffle=True)
    return encoder, classifier, loader


def quiet(**settings):
    return TrainerConfig(
        compile_estimator=False,
        progress=False,
        tensorboard=False,
        model_optimizer=OptimizerConfig(lr=1e-2),
        **settings,
    )


SYNTHETIC_SEEDS = range(5)
# measured over seeds 0-9 (lambda 1 minus lambda 0, seed by seed, at d8c8f06): unbiased test
# accuracy +0.074 median (sd 0.007), MLP probe of colour -0.136 (sd 0.037), the trainer's
# own MI -0.176 nats (sd 0.022); each limit sits 4-5 of those sds from the measured median
SYNTHETIC_LIMITS = {"test_accuracy": 0.04, "probe_mlp": -0.05, "mi": -0.08}


def synthetic_metrics(lam, seed):
    """The generated task's measurements that the test below compares (no trainer object), at
    the 20 epochs its limits were measured at."""
    run = train_synthetic(lam, seed, epochs=20)
    return {key: float(run[key]) for key in SYNTHETIC_LIMITS}


@pytest.mark.slow
def test_mi_penalty_removes_the_bias_and_generalises_better():
    """Same seeds, lambda 0 vs 1: a probe finds less colour in z, unbiased accuracy rises.
    Medians over 5 seeds of each seed's difference."""
    calls = [(lam, seed) for lam in (0.0, 1.0) for seed in SYNTHETIC_SEEDS]
    runs = two_at_a_time(synthetic_metrics, calls)
    erm, mi = runs[: len(SYNTHETIC_SEEDS)], runs[len(SYNTHETIC_SEEDS) :]
    for key, limit in SYNTHETIC_LIMITS.items():
        change = np.median([ours[key] - base[key] for base, ours in zip(erm, mi, strict=True)])
        assert (change >= limit) if limit > 0 else (change <= limit), (key, change)


def test_an_estimator_batch_larger_than_the_feature_pool_is_refused():
    encoder, classifier, loader = small_setup()
    estimator = make_estimator("mine", 4, 4)
    trainer = MITrainer(
        encoder, classifier, estimator, quiet(lam=1.0, k=1, feature_pool=2, estimator_batch=101)
    )
    with pytest.raises(ValueError, match=r"estimator_batch 101 .* holds 100 rows"):
        trainer.fit(loader)


@pytest.mark.parametrize(
    "build, settings, said",
    [
        (lambda: make_estimator("mine", 4, 3), {}, "the encoded attribute c has 4 columns where"),
        (lambda: make_estimator("club", 5, 4), {}, "z has 4 columns where the estimator was built"),
        (lambda: make_penalty("adversary", 4, 2), {}, "c has 4 columns where the estimator"),
        (
            lambda: make_penalty("chi2", 4, 3),
            {"penalise": "prediction", "k": 0, "clip": "none", "mi_step": "joint"},
            "the encoded attribute c has 4 columns",
        ),
    ],
)
def test_a_batch_of_other_widths_than_the_estimator_s_is_refused_by_name(build, settings, said):
    """Before any step reaches the estimator's network (a bare shape error from a matrix
    product), the one-line error names which width is wrong and what the estimator expects."""
    encoder, classifier, loader = small_setup()
    trainer = MITrainer(encoder, classifier, build(), quiet(**{"lam": 1.0, "k": 1, **settings}))
    with pytest.raises(InputError, match=f"the batch does not fit the estimator: .*{said}"):
        trainer.fit(loader)


def without_timings(rows):
    return [{k: v for k, v in row.items() if not k.endswith("_seconds")} for row in rows]


def test_resume_after_a_kill_mid_epoch_reaches_the_same_metrics(tmp_path):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    subprocess.run([sys.executable, str(JOB), str(whole)], check=True)
    killed = subprocess.run([sys.executable, str(JOB), str(broken), "--kill-at", "3", "4"])
    assert killed.returncode == -signal.SIGKILL
    assert load_checkpoint(broken / "checkpoint.pt")["epoch"] == 2
    subprocess.run([sys.executable, str(JOB), str(broken), "--resume"], check=True)
    expected = json.loads((whole / "run.json").read_text())
    resumed = json.loads((broken / "run.json").read_text())
    assert resumed["status"] == "finished"
    assert len(resumed["epochs"]) == 4
    assert without_timings(resumed["epochs"]) == without_timings(expected["epochs"])
    lines = (broken / "metrics.csv").read_text().strip().splitlines()
    assert len(lines) == 5  # header + 4 epochs, no line left from the killed epoch


class PoisonAt:
    """Sets an encoder weight to NaN after a given step, as an exploding update would."""

    def __init__(self, epoch, step):
        self.at = (epoch, step)

    def on_step_end(self, trainer, epoch, step):
        if (epoch, step) == self.at:
            with torch.no_grad():
                trainer.encoder[0].weight[0, 0] = math.nan


def test_divergence_stops_with_a_clear_message_and_keeps_the_last_checkpoint(tmp_path):
    encoder, classifier, loader = small_setup()
    trainer = MITrainer(
        encoder,
        classifier,
        make_estimator("mine", 4, 4, hidden=(8,)),
        quiet(lam=1.0, k=2, epochs=3),
        out_dir=tmp_path,
        callbacks=[PoisonAt(2, 3)],
    )
    with pytest.raises(DivergenceError, match=r"epoch 2, step 4: the task loss is nan") as err:
        trainer.fit(loader)
    assert "last good checkpoint" in str(err.value)
    checkpoint = load_checkpoint(tmp_path / "checkpoint.pt")
    assert checkpoint["epoch"] == 1
    assert all(torch.isfinite(t).all() for t in checkpoint["encoder"].values())
    summary = json.loads((tmp_path / "run.json").read_text())
    assert summary["status"] == "diverged" and "epoch 2, step 4" in summary["error"]


class BlowUpCritic:
    """Scales the critic's output layer so that its bound collapses to a huge negative value,
    after step 2 of epoch 1 (and after every later step with ``every``)."""

    def __init__(self, every=False):
        self.every = every

    def on_step_end(self, trainer, epoch, step):
        if (epoch, step) == (1, 2) or (self.every and (epoch, step) > (1, 2)):
            with torch.no_grad():
                trainer.estimator.critic.net[-1].weight.mul_(1e4)


def test_an_estimator_that_lost_track_stops_the_run():
    encoder, classifier, loader = small_setup()
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    config = quiet(lam=1.0, k=0, epochs=1)
    trainer = MITrainer(encoder, classifier, estimator, config, callbacks=[BlowUpCritic()])
    with pytest.raises(DivergenceError, match=r"step 3: the MI estimate is .* below -10"):
        trainer.fit(loader)


@pytest.mark.parametrize(("lam", "progress"), [(1.0, True), (0.0, True), (1.0, False)])
def test_an_estimator_that_lost_track_is_refitted_and_the_run_goes_on(capsys, lam, progress):
    encoder, classifier, loader = small_setup()
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    config = replace(quiet(lam=lam, k=2, epochs=2, refit_steps=50), progress=progress)
    trainer = MITrainer(encoder, classifier, estimator, config, callbacks=[BlowUpCritic()])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = trainer.fit(loader)
    assert [row["estimator_refits"] for row in history] == [1.0, 1.0]
    assert all(math.isfinite(row["mi"]) and row["mi"] > -1 for row in history)
    # on stderr with progress on; a RuntimeWarning (what library code can filter) without
    said = capsys.readouterr().err
    warned = "".join(str(w.message) for w in caught if w.category is RuntimeWarning)
    report, other = (said, warned) if progress else (warned, said)
    assert "epoch 1, step 3: the MI estimate fell to" in report
    assert "re-fitted (1 of 3 re-fits, 50 steps)" in report
    assert "re-fitted" not in other


@pytest.mark.parametrize(("refits", "step"), [(0, 3), (2, 5)])
def test_a_run_stops_once_its_refits_are_spent(refits, step):
    encoder, classifier, loader = small_setup()
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    config = quiet(lam=1.0, k=2, epochs=1, refits=refits, refit_steps=5)
    trainer = MITrainer(encoder, classifier, estimator, config, callbacks=[BlowUpCritic(True)])
    with pytest.raises(
        DivergenceError,
        match=rf"step {step}: the MI estimate is .* with {refits} of {refits} re-fits",
    ):
        trainer.fit(loader)


def test_the_refit_count_is_checkpointed_and_resumed(tmp_path):
    encoder, classifier, loader = small_setup()
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    config = quiet(lam=1.0, k=2, epochs=1, refits=1, refit_steps=5)
    MITrainer(
        encoder, classifier, estimator, config, out_dir=tmp_path, callbacks=[BlowUpCritic()]
    ).fit(loader)
    config = quiet(lam=1.0, k=2, epochs=2, refits=1, refit_steps=5)
    resumed = MITrainer(encoder, classifier, estimator, config, out_dir=tmp_path)
    # the only re-fit was spent in epoch 1: the first breach of epoch 2 stops the run
    resumed.callbacks.append(BlowUpCritic(every=True))
    with pytest.raises(DivergenceError, match=r"epoch 2, step 2: .*with 1 of 1 re-fits made"):
        resumed.fit(loader, resume=True)


def test_refits_leave_a_run_that_keeps_its_estimator_unchanged():
    histories = []
    for refits in (0, 3):
        encoder, classifier, loader = small_setup()
        estimator = make_estimator("mine", 4, 4, hidden=(8,))
        config = quiet(lam=1.0, k=2, epochs=2, refits=refits)
        histories.append(MITrainer(encoder, classifier, estimator, config).fit(loader))
    assert [row["estimator_refits"] for row in histories[1]] == [0.0, 0.0]
    for key in ("task_loss", "mi", "train_accuracy"):
        assert [row[key] for row in histories[0]] == [row[key] for row in histories[1]]


def test_lambda_zero_without_estimator_is_plain_erm():
    encoder, classifier, loader = small_setup()
    trainer = MITrainer(encoder, classifier, None, quiet(lam=0.0, k=0, epochs=8))
    history = trainer.fit(loader)
    assert history[-1]["train_accuracy"] > 0.8  # the colour shortcut is learnt
    assert math.isnan(history[-1]["mi"])


def test_lambda_zero_still_tracks_the_mi_estimate():
    encoder, classifier, loader = small_setup()
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    history = MITrainer(encoder, classifier, estimator, quiet(lam=0.0, k=2, epochs=2)).fit(loader)
    assert all(math.isfinite(row["mi"]) for row in history)


@pytest.mark.parametrize("clip", ["param", "global", "z", "none"])
@pytest.mark.parametrize("mi_step", ["joint", "separate"])
def test_every_gradient_mode_trains(clip, mi_step):
    encoder, classifier, loader = small_setup()
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    config = quiet(lam=0.5, k=2, epochs=2, clip=clip, mi_step=mi_step)
    before = [p.detach().clone() for p in encoder.parameters()]
    history = MITrainer(encoder, classifier, estimator, config).fit(loader)
    assert all(math.isfinite(row["task_loss"]) for row in history)
    assert any(not torch.equal(a, b) for a, b in zip(before, encoder.parameters(), strict=True))


def test_literal_algorithm_one_runs_the_encoder_for_each_estimator_step():
    encoder, classifier, loader = small_setup()
    calls = []
    encoder.register_forward_hook(lambda *_: calls.append(torch.is_grad_enabled()))
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    config = quiet(lam=1.0, k=3, epochs=1, estimator_features="fresh")
    MITrainer(encoder, classifier, estimator, config).fit(loader)
    steps = len(loader)
    assert len(calls) == steps * (1 + 3)  # one forward for the model step, K for the estimator
    assert calls.count(True) == steps  # the estimator's forwards run without gradients


def test_bf16_and_channels_last_train_a_conv_encoder():
    torch.manual_seed(0)
    x = torch.randint(0, 256, (64, 3, 28, 28), dtype=torch.uint8)
    y = (x.float().mean((1, 2, 3)) > 127.5).long()
    c = torch.nn.functional.one_hot(y, 2).float()
    loader = DataLoader(torch.utils.data.TensorDataset(x, y, c), batch_size=32)
    from mibias.models.digits import DigitEncoder

    encoder = DigitEncoder(z_dim=8)
    config = quiet(lam=1.0, k=1, epochs=2, bf16=True, channels_last=True)
    trainer = MITrainer(encoder, nn.Linear(8, 2), make_estimator("mine", 8, 2, hidden=(8,)), config)
    history = trainer.fit(loader, {"train": loader})
    assert all(math.isfinite(row["task_loss"]) and math.isfinite(row["mi"]) for row in history)
    z, _, _ = trainer.embed(loader)
    assert z.dtype == np.float32 and z.shape == (64, 8)


def test_one_pass_reads_what_evaluate_and_embed_read_apart():
    encoder, classifier, loader = small_setup()
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    trainer = MITrainer(encoder, classifier, estimator, quiet(lam=1.0, k=1, epochs=1))
    trainer.fit(loader)
    loader = DataLoader(loader.dataset, batch_size=50)  # the same order on every pass
    metrics, arrays = trainer.evaluate_and_embed(loader)
    assert metrics == trainer.evaluate(loader)
    for together, apart in zip(arrays, trainer.embed(loader), strict=True):
        np.testing.assert_array_equal(together, apart)
    rows = len(loader.dataset)
    assert arrays[0].shape == (rows, 4) and len(arrays[1]) == len(arrays[2]) == rows
    unkept = trainer.evaluate_and_embed(loader, keep=False)[1]
    assert all(array.size == 0 for array in unkept)
    assert trainer.encoder.training and trainer.classifier.training  # left in training mode


def test_warmup_and_accumulation_run():
    encoder, classifier, loader = small_setup()
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    config = quiet(lam=1.0, k=2, epochs=1, warmup_batches=-1, accumulation=2, feature_pool=2)
    history = MITrainer(encoder, classifier, estimator, config).fit(loader)
    assert math.isfinite(history[0]["mi"])


def test_the_trainer_lets_the_smoothing_noise_fall_as_the_run_goes_on():
    encoder, classifier, loader = small_setup()
    estimator = make_estimator("mine", 4, 4, hidden=(8,), noise=0.5, noise_start=3.0)
    seen = []
    follow = estimator.follow_progress
    estimator.follow_progress = lambda progress: (seen.append(progress), follow(progress))
    MITrainer(encoder, classifier, estimator, quiet(lam=1.0, k=1, epochs=2)).fit(loader)
    steps = 2 * len(loader)
    assert seen == pytest.approx([step / steps for step in range(1, steps + 1)])
    assert estimator.noise_multiple.item() == 1.0


def test_run_folder_holds_config_metrics_and_timings(tmp_path):
    encoder, classifier, loader = small_setup()
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    config = TrainerConfig(lam=1.0, k=1, epochs=2, compile_estimator=False, progress=False)
    MITrainer(encoder, classifier, estimator, config, out_dir=tmp_path).fit(
        loader, {"train": loader}
    )
    summary = json.loads((tmp_path / "run.json").read_text())
    assert summary["config"]["lam"] == 1.0 and summary["seed"] == 0
    assert summary["mibias_version"] and summary["status"] == "finished"
    assert len(summary["timings"]["epoch_seconds"]) == 2
    assert "train_accuracy" in summary["final"] and "train_loss" in summary["final"]
    # what the settings left open or the CPU overruled: here float32 on the CPU
    assert summary["ran_on"] == {"device": "cpu", "bf16": False}


def test_run_json_says_when_the_cpu_overruled_bf16(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"architecture": "x86_64"})
    encoder, classifier, loader = small_setup()
    config = TrainerConfig(lam=0.0, k=0, epochs=1, bf16=True, progress=False)
    with pytest.warns(RuntimeWarning, match="no bfloat16 instructions"):
        MITrainer(encoder, classifier, None, config, out_dir=tmp_path).fit(loader)
    summary = json.loads((tmp_path / "run.json").read_text())
    assert summary["config"]["bf16"] is True and summary["ran_on"]["bf16"] is False
    assert (tmp_path / "metrics.csv").exists()
    assert any((tmp_path / "tensorboard").iterdir())


def test_one_training_epoch_alone_writes_nothing_and_sets_that_epochs_rate(tmp_path):
    encoder, classifier, loader = small_setup()
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    config = quiet(lam=1.0, k=1, epochs=4, lr_schedule="cosine")
    trainer = MITrainer(encoder, classifier, estimator, config, out_dir=tmp_path)
    row = trainer.train_epoch(3, loader)
    assert row["epoch"] == 3 and row["epoch_seconds"] > 0 and math.isfinite(row["mi"])
    assert row["lr"] == pytest.approx(1e-2 * (1 + math.cos(math.pi * 2 / 4)) / 2)
    assert not any(tmp_path.iterdir())  # no checkpoint, metrics or run summary
    assert trainer.history == []


def test_resume_refuses_changed_settings(tmp_path):
    encoder, classifier, loader = small_setup()
    est = make_estimator("mine", 4, 4, hidden=(8,))
    MITrainer(encoder, classifier, est, quiet(lam=1.0, k=1, epochs=1), out_dir=tmp_path).fit(loader)
    trainer = MITrainer(encoder, classifier, est, quiet(lam=0.5, k=1, epochs=2), out_dir=tmp_path)
    with pytest.raises(InputError, match=r"other settings \(lam 1.0 -> 0.5\)"):
        trainer.fit(loader, resume=True)


def test_a_fresh_fit_refuses_to_overwrite_a_run_and_resuming_needs_as_many_epochs(tmp_path):
    encoder, classifier, loader = small_setup()
    est = make_estimator("mine", 4, 4, hidden=(8,))
    MITrainer(encoder, classifier, est, quiet(lam=1.0, k=1, epochs=2), out_dir=tmp_path).fit(loader)
    checkpoint = (tmp_path / "checkpoint.pt").read_bytes()
    again = MITrainer(encoder, classifier, est, quiet(lam=1.0, k=1, epochs=2), out_dir=tmp_path)
    with pytest.raises(RunFolderTaken, match=r"holds a run \(finished: 2 of 2 epochs done\)"):
        again.fit(loader)
    shorter = MITrainer(encoder, classifier, est, quiet(lam=1.0, k=1, epochs=1), out_dir=tmp_path)
    with pytest.raises(InputError, match="has 2 epochs done, more than the 1 asked for"):
        shorter.fit(loader, resume=True)
    assert (tmp_path / "checkpoint.pt").read_bytes() == checkpoint
    assert len(again.fit(loader, resume=True)) == 2  # finished: read back as it is


def test_bad_settings_and_batches_are_refused():
    with pytest.raises(ValueError, match="lam must be >= 0, got -1; k must be >= 0, got -1"):
        TrainerConfig(lam=-1, k=-1)
    encoder, classifier, _ = small_setup()
    with pytest.raises(ValueError, match="an estimator is needed"):
        MITrainer(encoder, classifier, None, quiet(lam=1.0))
    trainer = MITrainer(encoder, classifier, None, quiet(lam=0.0, k=0))
    with pytest.raises(ValueError, match=r"must be \(x, y, c\)"):
        trainer.fit([(torch.zeros(2, 12), torch.zeros(2, dtype=torch.long))])


def test_a_checkpoint_from_before_new_settings_still_resumes(tmp_path):
    """Settings added since a checkpoint was written count as their defaults."""
    encoder, classifier, loader = small_setup()
    est = make_estimator("mine", 4, 4, hidden=(8,))
    MITrainer(encoder, classifier, est, quiet(lam=1.0, k=1, epochs=1), out_dir=tmp_path).fit(loader)
    path = tmp_path / "checkpoint.pt"
    state = load_checkpoint(path, torch.device("cpu"))
    for key in ("mi_condition", "penalise", "lr_schedule"):
        del state["config"][key]
    del state["estimator_rows"]
    torch.save(state, path)
    checksum_path(path).unlink()  # written before checkpoints had checksums
    trainer = MITrainer(encoder, classifier, est, quiet(lam=1.0, k=1, epochs=2), out_dir=tmp_path)
    assert len(trainer.fit(loader, resume=True)) == 2
    assert trainer.feed.rows == 50


def test_cosine_schedule_decays_the_model_learning_rate_per_epoch():
    encoder, classifier, loader = small_setup()
    config = quiet(lam=0.0, k=0, epochs=4, lr_schedule="cosine")
    history = MITrainer(encoder, classifier, None, config).fit(loader)
    expected = [1e-2 * 0.5 * (1 + math.cos(math.pi * e / 4)) for e in range(4)]
    assert [row["lr"] for row in history] == pytest.approx(expected)


@pytest.mark.parametrize("condition", ["label", "positive"])
def test_conditional_mi_terms_train_and_track_the_estimate(condition):
    encoder, classifier, loader = small_setup()
    c_dim = 4 + (4 if condition == "label" else 0)

    def with_label(batches):
        for x, y, c in batches:
            yield x, y, torch.cat([c, nn.functional.one_hot(y, 4).float()], 1)

    batches = list(with_label(loader)) if condition == "label" else list(loader)
    est = make_estimator("mine", 4, c_dim, hidden=(8,))
    config = quiet(lam=0.5, k=2, epochs=2, mi_condition=condition)
    trainer = MITrainer(encoder, classifier, est, config)
    history = trainer.fit(batches)
    assert all(math.isfinite(row["mi"]) for row in history)
    if condition == "label":
        held = trainer.feed.pool.strata[: trainer.feed.pool.size, 0]
        assert set(held.tolist()) <= {0, 1, 2, 3}
    else:
        assert trainer.feed.pool.strata is None


def test_chi_squared_on_the_prediction_needs_no_estimator_steps():
    encoder, classifier, loader = small_setup()
    chi2 = make_penalty("chi2", 4, 4)
    with pytest.raises(ValueError, match="no parameters to train: use k=0"):
        MITrainer(encoder, classifier, chi2, quiet(lam=1.0, k=2, clip="none"))
    with pytest.raises(ValueError, match="penalise='prediction' needs clip='none'"):
        quiet(lam=1.0, k=0, penalise="prediction", clip="param")
    config = quiet(lam=1.0, k=0, epochs=2, penalise="prediction", clip="none")
    history = MITrainer(encoder, classifier, chi2, config).fit(loader)
    assert all(row["mi"] >= 0 for row in history)


def test_an_auxiliary_loss_is_trained_with_the_model_and_checkpointed(tmp_path):
    encoder, classifier, loader = small_setup()

    class Reconstruct(nn.Module):
        def __init__(self):
            super().__init__()
            self.decoder = nn.Linear(4, 12)

        def forward(self, x, z, y, c):
            return nn.functional.mse_loss(self.decoder(z), x)

    auxiliary = Reconstruct()
    before = auxiliary.decoder.weight.detach().clone()
    with pytest.raises(ValueError, match="auxiliary loss needs clip='none'"):
        MITrainer(encoder, classifier, None, quiet(lam=0.0, k=0), auxiliary=auxiliary)
    config = quiet(lam=0.0, k=0, epochs=1, clip="none")
    MITrainer(encoder, classifier, None, config, auxiliary=auxiliary, out_dir=tmp_path).fit(loader)
    assert not torch.equal(auxiliary.decoder.weight, before)
    state = load_checkpoint(tmp_path / "checkpoint.pt", torch.device("cpu"))
    assert torch.equal(state["auxiliary"]["decoder.weight"], auxiliary.decoder.weight)


def test_an_auxiliary_loss_is_logged_apart_and_a_one_class_head_reports_no_accuracy(capsys):
    encoder, _, labelled = small_setup()
    x, _, c = labelled.dataset.tensors
    # no task, as MIEraser keeping geometry has none: one label, a head of one class
    loader = DataLoader(TensorDataset(x, torch.zeros(len(x), dtype=torch.long), c), batch_size=50)

    class Spread(nn.Module):
        name = "spread"

        def forward(self, x, z, y, c):
            return 1.0 + z.pow(2).mean()  # never 0: it cannot hide in the task loss

    config = replace(quiet(lam=0.0, k=0, epochs=2, clip="none"), progress=True)
    history = MITrainer(encoder, nn.Linear(4, 1), None, config, auxiliary=Spread()).fit(loader)
    row = history[-1]
    assert row["task_loss"] == 0.0  # one class: its cross-entropy is 0
    assert row["auxiliary_loss"] > 1.0
    assert math.isnan(row["train_accuracy"])
    line = capsys.readouterr().err.strip().splitlines()[-1]
    # a head of one class has no task: no task loss of 0 in the line, the auxiliary by name
    assert line.startswith("epoch 2/2: spread loss 1.")
    assert "accuracy" not in line and "task loss" not in line
    plain = MITrainer(*small_setup()[:2], None, quiet(lam=0.0, k=0, epochs=1)).fit(labelled)
    assert "auxiliary_loss" not in plain[-1] and plain[-1]["train_accuracy"] > 0


def test_step_schedule_multiplies_the_rate_every_period():
    from mibias.training.config import lr_factor

    assert [lr_factor("step", e, 100, step=40) for e in (1, 40, 41, 81)] == pytest.approx(
        [1.0, 1.0, 0.1, 0.01]
    )


class RecordLambda:
    def __init__(self):
        self.fractions = []

    def on_step_end(self, trainer, epoch, step):
        self.fractions.append(trainer.step.lam_fraction(epoch, step))


def test_lambda_warmup_rises_linearly_per_step_then_holds():
    encoder, classifier, loader = small_setup()  # 400 rows, batch 50: 8 steps per epoch
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    record = RecordLambda()
    config = quiet(lam=1.0, k=1, epochs=3, lam_warmup=2.0)
    MITrainer(encoder, classifier, estimator, config, callbacks=[record]).fit(loader)
    assert record.fractions == pytest.approx([s / 16 for s in range(1, 17)] + [1.0] * 8)


def one_step_encoder(batch, **settings):
    """The encoder's weights after one model step (epoch 1, step 0) from a fixed start."""
    encoder, classifier, _ = small_setup()
    torch.manual_seed(1)
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    with torch.no_grad():
        estimator.critic.net[-1].weight.mul_(20.0)  # a bound well below 0
    trainer = MITrainer(encoder, classifier, estimator, quiet(k=0, **settings))
    stats = trainer.train_step(batch, epoch=1, step=0)
    return [p.detach().clone() for p in encoder.parameters()], stats["mi"]


@pytest.mark.parametrize("settings", [{"lam_warmup": 1.0}, {"clamp_penalty": True}])
def test_a_zero_warmup_weight_or_a_clamped_negative_bound_leaves_only_the_task(settings):
    batch = next(iter(small_setup()[2]))
    erm, _ = one_step_encoder(batch, lam=0.0)
    full, mi = one_step_encoder(batch, lam=1.0)
    assert mi < 0
    assert any(not torch.allclose(a, b) for a, b in zip(erm, full, strict=True))
    guarded, _ = one_step_encoder(batch, lam=1.0, **settings)
    for a, b in zip(erm, guarded, strict=True):
        torch.testing.assert_close(a, b)


def test_final_metrics_join_the_last_epoch_only_and_are_computed_once(tmp_path):
    encoder, classifier, loader = small_setup()
    calls = []

    def final(trainer, row):
        calls.append((len(trainer.history), row["epoch"], "train_accuracy" in row))
        return {"test_accuracy": trainer.evaluate(loader)["accuracy"]}

    trainer = MITrainer(encoder, classifier, None, quiet(epochs=3, lam=0.0, k=0), out_dir=tmp_path)
    history = trainer.fit(loader, {"train": loader}, final=final)
    # after epochs 1 and 2 were recorded, with the third's training metrics
    assert calls == [(2, 3, True)]
    assert [("test_accuracy" in row) for row in history] == [False, False, True]
    assert [("final_seconds" in row) for row in history] == [False, False, True]
    summary = json.loads((tmp_path / "run.json").read_text())
    assert summary["final"]["test_accuracy"] == history[-1]["test_accuracy"]


@pytest.mark.parametrize("period, said", [(0.0, [1, 2, 3, 4]), (1e9, [1, 4])])
def test_epochs_shorter_than_the_period_share_one_plain_line(capsys, monkeypatch, period, said):
    monkeypatch.setattr(trainer_module, "PLAIN_LINE_SECONDS", period)
    encoder, classifier, loader = small_setup()
    config = quiet(epochs=4, lam=0.0, k=0)
    config.progress = True
    history = MITrainer(encoder, classifier, None, config).fit(loader)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"epoch {n}/4" for n in said]
    assert len(history) == 4  # every epoch's metrics are kept, said or not


def said_and_measured(trainer, row):
    trainer.say("the check found this")
    return {"test_accuracy": 1.0}


@pytest.mark.parametrize("progress", [True, False])
def test_one_plain_line_per_epoch_when_the_output_is_not_a_terminal(capsys, progress):
    encoder, classifier, loader = small_setup()
    estimator = make_estimator("mine", 4, 4, hidden=(8,))
    config = quiet(epochs=2, lam=0.5, k=1)
    config.progress = progress
    MITrainer(encoder, classifier, estimator, config).fit(
        loader, {"held_out": loader}, final=said_and_measured
    )
    lines = capsys.readouterr().err.splitlines()
    if not progress:
        assert lines == []
        return
    # the final checks announce themselves before they run (they can take minutes), and
    # what they find is said before the epoch's line
    assert lines[1].startswith("final checks after epoch 2/2")
    assert lines[2] == "the check found this"
    assert [line.split(":")[0] for line in lines[::3]] == ["epoch 1/2", "epoch 2/2"]
    assert "MI " in lines[0] and "held out accuracy" in lines[0] and lines[0].endswith(" s")
    # the last epoch's time says apart what the final checks (test, leakage audit) took
    assert "test accuracy 1.0000" in lines[3] and lines[3].endswith(" s final checks)")
