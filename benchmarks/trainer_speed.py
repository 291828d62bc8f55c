"""Time per epoch of the trainer with K = 40 vs K = 0 on the generated task, and how the
pooled estimator's MI estimate compares with a freshly trained estimator on the same features.

    python benchmarks/trainer_speed.py
"""

from __future__ import annotations

import time

import torch
from torch.utils.data import DataLoader

from benchmarks.common import write_results
from mibias.audit import held_out_estimate, train_estimator
from mibias.experiments.demo import train_synthetic

COMMAND = "python -m benchmarks.trainer_speed"


def main() -> None:
    rows = []
    settings = [
        ("K=0 (ERM)", {"lam": 0.0, "k": 0}),
        ("K=40, eager steps, pool 8", {"lam": 1.0, "k": 40, "compile_estimator": False}),
        ("K=40, compiled steps, pool 8", {"lam": 1.0, "k": 40, "compile_estimator": True}),
        (
            "K=40, compiled steps, pool 1 (current batch)",
            {"lam": 1.0, "k": 40, "compile_estimator": True, "feature_pool": 1},
        ),
    ]
    base = None
    for label, config in settings:
        lam, k = config.pop("lam"), config.pop("k")
        started = time.perf_counter()
        result = train_synthetic(lam, 0, epochs=6, k=k, n_train=8000, **config)
        total = time.perf_counter() - started
        # later epochs: the first includes torch.compile's one-off compilation
        per_epoch = sum(row["epoch_seconds"] for row in result["trainer"].history[1:]) / 5
        base = base or per_epoch
        row = {
            "setting": label,
            "seconds_per_epoch": per_epoch,
            "ratio_to_k0": per_epoch / base,
            "first_epoch_seconds": result["trainer"].history[0]["epoch_seconds"],
            "total_seconds": total,
            "unbiased_test_accuracy": result["test_accuracy"],
        }
        if k > 0:
            row.update(compare_with_fresh_estimator(result["trainer"], result["train_dataset"]))
        rows.append(row)
    write_results(
        "trainer_speed",
        COMMAND,
        rows,
        "Generated task (8,000 rows, batch 128, 63 steps per epoch), encoder 12-32-8 MLP, MINE "
        "critic 2 x 32, 6 epochs; seconds per epoch averaged over epochs 2-6. "
        "`trainer_mi` is the trainer's own estimator on the final training features; "
        "`fresh_mi` a new estimator trained on the same features for 3,000 steps "
        "(both read on the same held-out 30 %).",
    )


def compare_with_fresh_estimator(trainer, dataset) -> dict[str, float]:
    """The trainer's estimator vs a freshly trained one, on the same frozen features."""
    z, _, c = trainer.embed(DataLoader(dataset, batch_size=1024))
    z, c = torch.from_numpy(z), torch.from_numpy(c)
    cut = int(0.7 * len(z))
    trained = held_out_estimate(trainer.estimator, z[cut:], c[cut:], 128, seed=0)
    fresh = type(trainer.estimator)(z.shape[1], c.shape[1], hidden=(32, 32))
    train_estimator(fresh, z[:cut], c[:cut], 3000, 128, 1e-3, seed=0, select=True)
    return {"trainer_mi": trained, "fresh_mi": held_out_estimate(fresh, z[cut:], c[cut:], 128, 0)}


if __name__ == "__main__":
    main()
