"""Which test-colour rule makes our ERM row match the paper's? ERM at sigma 0.020, 0.035 and
0.050, 3 seeds, 3 epochs; every run is evaluated under both rules.

    python -m benchmarks.calibration            (about 20 minutes on 2 cores)

Runs go to runs/calibration (finished runs are reused).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.common import write_results
from mibias.data.colored_mnist import SIGMAS
from mibias.experiments.table1 import PUBLISHED, table1
from mibias.training.run_log import read_metrics

COMMAND = "python -m benchmarks.calibration"
SIGMAS_CHECKED = (0.020, 0.035, 0.050)
OUT = Path("runs/calibration")


def main() -> None:
    table1(OUT, methods=["erm"], sigmas=SIGMAS_CHECKED, seeds=(0, 1, 2), epochs=3, k=0)
    rows = []
    for rule, column in (("palette", "test_accuracy"), ("uniform", "test_uniform_accuracy")):
        for epoch in (1, 2, 3):
            row = {"test colours": rule, "epoch": epoch}
            gaps = []
            for sigma in SIGMAS_CHECKED:
                values = [
                    _metric(run, epoch, column)
                    for run in sorted((OUT / "runs").glob(f"erm-lam0-sigma{sigma:.3f}-seed*"))
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
        "calibration",
        COMMAND,
        rows,
        "ERM (lambda 0, K = 0), mean +- std over seeds 0-2, the paper's ERM row in brackets. "
        "Each run is evaluated on the same test digits coloured by both rules.",
    )


def _metric(run: Path, epoch: int, column: str) -> float:
    return read_metrics(run)[epoch - 1][column]


if __name__ == "__main__":
    main()
