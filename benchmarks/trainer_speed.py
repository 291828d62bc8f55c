"""Time per epoch of the trainer with K = 40 vs K = 0 on the generated task, and how the
pooled estimator's MI estimate compares with a freshly trained estimator on the same features.

    python -m benchmarks.trainer_speed

The last row trains after :data:`EARLIER_ESTIMATORS` more compiled estimators have stepped in
the same process, as in a sweep worker that has trained that many runs: its epochs should
cost what the first compiled run's do.
"""

from __future__ import annotations

import time

import torch
from torch.utils.data import DataLoader

from benchmarks.common import write_results
from mibias.audit.estimates import held_out_estimate, train_estimator
from mibias.estimators import make_estimator
from mibias.experiments.demo import train_synthetic
from mibias.training import EstimatorUpdater, OptimizerConfig

COMMAND = "python -m benchmarks.trainer_speed"
# compiled estimators stepped in the process before the last row (with the one compiled run
# before, the last row's is the tenth)
EARLIER_ESTIMATORS = 8


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
        (
            f"K=40, compiled steps, pool 8, after {EARLIER_ESTIMATORS} more compiled estimators",
            {"lam": 1.0, "k": 40, "compile_estimator": True},
        ),
    ]
    base = None
    for label, config in settings:
        if label.endswith("more compiled estimators"):
            step_compiled_estimators(EARLIER_ESTIMATORS)
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


def step_compiled_estimators(count: int) -> None:
    """One compiled step each of ``count`` new estimators, as the trainer makes them."""
    z, c = torch.randn(1, 128, 8), torch.eye(4)[torch.randint(0, 4, (1, 128))]
    perm = torch.randperm(128)[None]
    for _ in range(count):
        estimator = make_estimator("mine", 8, 4, hidden=(32, 32))
        optimizer = OptimizerConfig().build(estimator.parameters(), fused=True)
        EstimatorUpdater(estimator, optimizer, compile=True).step(z, c, perm)


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
