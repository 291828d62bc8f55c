"""How much of Table 3's equal-opportunity difference chance alone explains.

    python -m benchmarks.eo_floor        (seconds; reads the runs of python -m benchmarks.table3)

A classifier whose true positive rate is the same in both groups still shows a gap on a
finite test set, since each group's rate is read from its own positives. For every run in
runs/table3 this reads its EO and test predictions, takes its pooled true positive rate and its
groups' positive counts, and computes the gap such an exactly fair classifier would show on
average (:func:`mibias.fairness.metrics.eo_sampling_floor`). Per dataset and method: the
runs' mean EO beside that mean floor, and how many runs meet Table 3's EO target.
"""

from __future__ import annotations

import pandas as pd

from benchmarks.common import TABLE3_TARGETS, write_results
from benchmarks.table3 import OUT
from mibias.fairness.metrics import eo_sampling_floor
from mibias.report import mean_std

COMMAND = "python -m benchmarks.eo_floor"


def run_floor(predictions: pd.DataFrame) -> dict[str, float]:
    """One run's pooled true positive rate, positives per group and chance floor;
    ``predictions`` is its ``predictions.csv`` (the attribute in the last column)."""
    group = predictions.iloc[:, -1].to_numpy()
    positive = predictions["y_true"].to_numpy() == 1
    tpr = float(predictions.loc[positive, "y_pred"].mean())
    counts = (int((positive & (group == 1)).sum()), int((positive & (group == 0)).sum()))
    return {
        "tpr": tpr,
        "positives_1": counts[0],
        "positives_0": counts[1],
        "floor": eo_sampling_floor(counts, tpr),
    }


def main() -> None:
    table = OUT / "table3_runs.csv"
    if not table.exists():
        raise SystemExit(f"no runs in {OUT}; run python -m benchmarks.table3 first")
    runs_table = pd.read_csv(table)
    frame = pd.DataFrame(
        [
            {
                "dataset": run.dataset,
                "method": run.method,
                "eo": run.eo,
                **run_floor(pd.read_csv(OUT / "runs" / run.run / "predictions.csv")),
            }
            for run in runs_table.itertuples()
        ]
    )
    rows = []
    for (dataset, method), runs in frame.groupby(["dataset", "method"]):
        target = TABLE3_TARGETS[dataset][1]
        rows.append(
            {
                "dataset": dataset,
                "method": method,
                "runs": len(runs),
                "EO": mean_std(runs["eo"]),
                "chance floor at the run's TPR": mean_std(runs["floor"]),
                "EO - floor": f"{(runs['eo'] - runs['floor']).mean():.3f}",
                "TPR": f"{runs['tpr'].mean():.3f}",
                "positives per group (attribute 1 / 0)": (
                    f"{runs['positives_1'].mean():.0f} / {runs['positives_0'].mean():.0f}"
                ),
                "EO target": target,
                "runs meeting it": int((runs["eo"] <= target).sum()),
            }
        )
    notes = (
        "Per run: its test predictions' EO, and the EO a classifier with the run's pooled true "
        "positive rate in both groups would show on the same rows on average (exact binomial "
        "expectation). Mean +- std over the runs in runs/table3 (German: ten seeded 70/30 "
        "splits; Adult: the official test rows). Attribute: Adult sex, German age <= 25."
    )
    write_results("eo_floor", COMMAND, rows, notes)


if __name__ == "__main__":
    main()
