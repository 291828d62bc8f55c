"""Lambda sweep of the MI variants on Adult and German, 10 runs each.

    python -m benchmarks.fairness_lambda      (about 12 minutes on 2 cores)

Runs go to runs/fairness-lambda (finished runs are reused). Reports accuracy and EO per
(dataset, method, lambda) against the targets (Adult: accuracy >= 0.85, EO <= 0.03; German:
accuracy >= 0.74, EO <= 0.06).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.common import TABLE3_TARGETS, write_results
from mibias.experiments.fairness import fairness_jobs
from mibias.sweep import collect, run_jobs

COMMAND = "python -m benchmarks.fairness_lambda"
OUT = Path("runs/fairness-lambda")
GRID = {"mi": (0.25, 0.5, 1.0), "mi-eo": (0.5, 1.0, 2.0), "mi-eodds": (0.5, 1.0)}


def main() -> None:
    jobs = [
        job
        for method, lams in GRID.items()
        for job in fairness_jobs(["adult", "german"], [method], range(10), lams, probe=False)
    ]
    frame = collect(run_jobs(jobs, OUT, workers=2))
    rows = []
    for (dataset, method, lam), group in frame.groupby(["dataset", "method", "lam"]):
        accuracy, eo = group["accuracy"], group["eo"]
        target_accuracy, target_eo = TABLE3_TARGETS[dataset]
        rows.append(
            {
                "dataset": dataset,
                "method": method,
                "lambda": lam,
                "accuracy": f"{accuracy.mean():.3f} +- {accuracy.std(ddof=0):.3f}",
                "eo": f"{eo.mean():.3f} +- {eo.std(ddof=0):.3f}",
                "dp": f"{group['dp'].mean():.3f}",
                "meets target": bool(accuracy.mean() >= target_accuracy and eo.mean() <= target_eo),
                "runs": len(group),
            }
        )
    write_results("fairness_lambda", COMMAND, rows, "Mean +- std over 10 runs per row.")


if __name__ == "__main__":
    main()
