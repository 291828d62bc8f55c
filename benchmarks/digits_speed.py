"""Colored MNIST (sigma 0.020, the authors' digit network): cost of an MI epoch with K = 40
against an ERM epoch, in the same run, and whether the cheap scheme's MI estimate holds up.

    python -m benchmarks.digits_speed            (about 15 minutes on 2 cores)

1. Whole epochs (60,000 digits, batch 128): ERM (K = 0) and MI with K = 40 on the feature
   pool with compiled estimator steps, unclipped (the digits default), clip "z" and clip
   "param" (the authors' per-parameter rule, which needs a second backward pass through the
   encoder); then ERM and unclipped MI again under bf16 autocast and channels-last (the
   settings of the accuracy runs), each MI row's ratio taken to the ERM row of its precision.
2. Algorithm 1 read literally (a fresh batch through the encoder for each of the K estimator
   steps, as the authors' code does), timed over its first 60 model steps, and the pool
   scheme over the same 60 steps from the same initialisation; then each scheme's estimator
   against a new estimator trained on the same frozen features.
3. Encoder forward + backward under float32, bf16 autocast and channels-last.
4. Peak resident memory of a `mibias digits` run (a subprocess).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time

import torch
from torch.utils.data import DataLoader, Subset

from benchmarks.common import write_results
from mibias.audit import held_out_estimate, train_estimator
from mibias.data.colored_mnist import make_colored_mnist
from mibias.estimators import make_estimator
from mibias.experiments.digits import to_dataset
from mibias.models import DigitEncoder, digit_classifier
from mibias.training import MITrainer, OptimizerConfig, TrainerConfig

COMMAND = "python -m benchmarks.digits_speed"


def make_trainer(k: int, lam: float = 1.0, **settings) -> MITrainer:
    torch.manual_seed(0)
    estimator = make_estimator("mine", 64, 24, groups=(8, 8, 8)) if k > 0 else None
    config = TrainerConfig(
        lam=lam if k > 0 else 0.0,
        k=k,
        epochs=1,
        progress=False,
        tensorboard=False,
        model_optimizer=OptimizerConfig(lr=1e-3),
        estimator_optimizer=OptimizerConfig(lr=1e-4),
        mi_floor=-1e9,  # time whole epochs even where the estimate runs away
        **settings,
    )
    return MITrainer(DigitEncoder(), digit_classifier(), estimator, config)


def whole_epochs(train) -> list[dict]:
    rows = []
    fast = {"bf16": True, "channels_last": True}
    bases = {}
    for label, k, settings in (
        ("ERM (K=0)", 0, {}),
        ("MI K=40, pool, compiled, no clipping, lambda 0.3 (the digits default)", 40,
         {"clip": "none", "lam": 0.3}),
        ("MI K=40, pool, compiled, clip z", 40, {"clip": "z"}),
        ("MI K=40, pool, compiled, clip param", 40, {"clip": "param"}),
        ("ERM (K=0), bf16 + channels-last", 0, fast),
        ("MI K=40, no clipping, lambda 0.3, bf16 + channels-last (the accuracy runs)", 40,
         {"clip": "none", "lam": 0.3, **fast}),
    ):  # fmt: skip
        trainer = make_trainer(k, **settings)
        if k:
            warm = DataLoader(train, batch_size=128, shuffle=True)
            trainer.train_step(next(iter(warm)))  # compile outside the timed epoch
        torch.manual_seed(1)
        history = trainer.fit(DataLoader(train, batch_size=128, shuffle=True))
        seconds = history[-1]["epoch_seconds"]
        precision = "bf16" if settings.get("bf16") else "float32"
        bases.setdefault(precision, seconds)  # each ERM row is the base of the rows after it
        rows.append(
            {
                "scheme": label,
                "measured": "one whole epoch",
                "seconds_per_epoch": seconds,
                "ratio_to_erm": seconds / bases[precision],
                "train_accuracy": history[-1]["train_accuracy"],
            }
        )
    return rows


def literal_vs_pool(train, erm_seconds: float) -> list[dict]:
    steps = 60
    probe = to_probe(train)
    subset = Subset(train, range(steps * 128))
    rows = []
    for label, settings in (
        (
            "MI K=40, Algorithm 1 literal (fresh batch through g per step), clip z",
            {"estimator_features": "fresh", "clip": "z"},
        ),
        ("MI K=40, pool, compiled, clip z", {"clip": "z"}),
    ):
        trainer = make_trainer(40, **settings)
        trainer.fit(DataLoader(Subset(train, range(128)), batch_size=128))  # compile first
        history = trainer.fit(DataLoader(subset, batch_size=128, shuffle=True))
        per_step = history[-1]["epoch_seconds"] / steps
        per_epoch = per_step * len(train) / 128
        rows.append(
            {
                "scheme": label,
                "measured": f"{steps} model steps, scaled to an epoch",
                "seconds_per_epoch": per_epoch,
                "ratio_to_erm": per_epoch / erm_seconds,
                **estimate_quality(trainer, *probe),
            }
        )
    return rows


def to_probe(train, n: int = 6000):
    x, _, c = train[:n]
    return x, c


def estimate_quality(trainer: MITrainer, x, c) -> dict[str, float]:
    """The trainer's estimator vs a new one trained on the same frozen features."""
    with torch.no_grad():
        trainer.encoder.eval()
        z = torch.cat([trainer.encoder(chunk) for chunk in x.split(1000)])
        trainer.encoder.train()
    cut = 4000
    own = held_out_estimate(trainer.estimator, z[cut:], c[cut:], 128, seed=0)
    torch.manual_seed(0)
    fresh = make_estimator("mine", 64, 24, groups=(8, 8, 8))
    train_estimator(fresh, z[:cut], c[:cut], 2000, 128, 1e-3, seed=0, select=True)
    return {"trainer_mi": own, "fresh_mi": held_out_estimate(fresh, z[cut:], c[cut:], 128, 0)}


def precision_layouts() -> list[dict]:
    x = torch.randint(0, 256, (128, 3, 28, 28), dtype=torch.uint8)
    rows = []
    base = None
    for label, bf16, channels_last in (
        ("float32", False, False),
        ("bf16 autocast", True, False),
        ("channels-last", False, True),
        ("channels-last + bf16 autocast", True, True),
    ):
        torch.manual_seed(0)
        encoder = DigitEncoder()
        inputs = x
        if channels_last:
            encoder = encoder.to(memory_format=torch.channels_last)
            inputs = x.contiguous(memory_format=torch.channels_last)

        for _ in range(3):
            encoder_step(encoder, inputs, bf16)
        started = time.perf_counter()
        for _ in range(20):
            encoder_step(encoder, inputs, bf16)
        ms = (time.perf_counter() - started) / 20 * 1000
        base = base or ms
        rows.append(
            {
                "scheme": f"encoder fwd+bwd, {label}",
                "measured": "20 steps, batch 128",
                "ms_per_step": ms,
                "ratio_to_erm": ms / base,
            }
        )
    return rows


def digits_run_memory() -> dict:
    """Peak resident memory of one `mibias digits` run (full data, one epoch, K = 40)."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "mibias", "digits", "--sigma", "0.02", "--epochs", "1"]
        subprocess.run([*command, "--out", out], check=True, capture_output=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "scheme": "peak resident memory, mibias digits --sigma 0.02 --epochs 1 (MiB)",
        "measured": f"{peak:.0f}",
    }


def encoder_step(encoder: DigitEncoder, inputs: torch.Tensor, bf16: bool) -> None:
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        loss = encoder(inputs).float().square().mean()
    loss.backward()


def main() -> None:
    data = make_colored_mnist(0.02)
    train = to_dataset(data.train_images, data.train_labels, "onehot")
    rows = whole_epochs(train)
    rows += literal_vs_pool(train, rows[0]["seconds_per_epoch"])
    rows += precision_layouts()
    rows.append(digits_run_memory())
    write_results(
        "digits_speed",
        COMMAND,
        rows,
        "Ratios are to the ERM epoch of the same run. Whole-epoch rows time one epoch of "
        "60,000 digits; the literal Algorithm 1 and the matching pool row are timed over 60 "
        "model steps and scaled to an epoch. trainer_mi: the run's own estimator on 2,000 "
        "held-out training digits' features after those 60 steps; fresh_mi: a new estimator "
        "trained for 2,000 steps on 4,000 other digits' features (same encoder), read on the "
        "same 2,000.",
    )


if __name__ == "__main__":
    main()
