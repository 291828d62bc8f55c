"""Which test-colour rule makes our ERM row match the paper's? ERM at sigma 0.020, 0.035 and
0.050, 3 seeds; every run is evaluated under both rules, after every epoch.

    python -m benchmarks.calibration            (3 epochs, Adam 1e-3: about 20 minutes on 2 cores)
    python -m benchmarks.calibration --lr 1e-4 --epochs 20 --fast --tag authors_lr
                                                (the authors' ERM rate: about 35 minutes)

Runs go to runs/calibration[-TAG] (finished runs are reused); results to
benchmarks/results/calibration[_TAG].md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.common import command_line, tagged, write_results
from mibias.data.colored_mnist import SIGMAS
from mibias.experiments.table1 import PUBLISHED, table1
from mibias.run_folder import read_metrics

SIGMAS_CHECKED = (0.020, 0.035, 0.050)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=1e-3, help="ERM's Adam learning rate")
    parser.add_argument(
        "--fast", action="store_true", help="bf16 autocast and channels-last (about 4x faster)"
    )
    parser.add_argument("--tag", help="runs go to runs/calibration-TAG, results to _TAG")
    args = parser.parse_args()
    out = Path("runs/calibration" + (f"-{args.tag}" if args.tag else ""))
    table1(
        out,
        methods=["erm"],
        sigmas=SIGMAS_CHECKED,
        seeds=(0, 1, 2),
        epochs=args.epochs,
        lr=args.lr,
        k=0,
        bf16=args.fast,
        channels_last=args.fast,
        workers=2,
    )
    rows = []
    for rule, column in (("palette", "test_accuracy"), ("uniform", "test_uniform_accuracy")):
        for epoch in range(1, args.epochs + 1):
            row = {"test colours": rule, "epoch": epoch}
            gaps = []
            for sigma in SIGMAS_CHECKED:
                values = [
                    _metric(run, epoch, column)
                    for run in sorted((out / "runs").glob(f"erm-lam0-sigma{sigma:.3f}-seed*"))
                ]
                paper = PUBLISHED["ERM, paper"][SIGMAS.index(sigma)]
                row[f"sigma={sigma:.3f}"] = (
                    f"{np.mean(values):.3f} +- {np.std(values):.3f} ({paper})"
                )
                gaps.append(abs(np.mean(values) - paper))
            row["largest gap to the paper"] = max(gaps)
            row["all within 0.05"] = "yes" if max(gaps) <= 0.05 else "no"
            rows.append(row)
    write_results(
        tagged("calibration", args.tag),
        command_line("calibration"),
        rows,
        f"ERM (lambda 0, K = 0, Adam {args.lr:g} at a constant rate"
        + (", bf16 and channels-last" if args.fast else "")
        + "), mean +- std over seeds "
        "0-2, the paper's ERM row in brackets. Each run is evaluated on the same test digits "
        "coloured by both rules.",
    )


def _metric(run: Path, epoch: int, column: str) -> float:
    return read_metrics(run)[epoch - 1][column]


if __name__ == "__main__":
    main()
