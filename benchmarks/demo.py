"""`mibias demo` as a results file: ERM against MI backprop on the generated task, each seed's
unbiased test accuracy and the colour left in z.

    python -m benchmarks.demo              (about 2 minutes on 2 cores)

Runs `mibias demo` with its defaults (:mod:`mibias.experiments.demo_recipe`) in a throwaway
folder and writes every seed's row, and each method's mean +- std over the seeds, to
benchmarks/results/demo.md: the unbiased test accuracy, the training accuracy and the leakage
check on the unbiased test rows (a fresh estimator's I(z; colour), MLP and linear probes,
an MLP on whitened z, the majority rate, and the largest lower bound of the estimators and the
probes' log-losses). The test rows are read once per run, after its last epoch.
"""

from __future__ import annotations

import argparse
import tempfile

from benchmarks.common import command_line, over_seeds, write_results
from mibias.experiments.demo import DEMO_COLUMNS, DEMO_HEADINGS, run_demo
from mibias.experiments.demo_recipe import DEMO_SEEDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=DEMO_SEEDS, help="seeds 0..N-1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        by_method = run_demo(scratch, seeds=range(args.seeds))
    rows = []
    for method, runs in by_method.items():
        for seed, run in enumerate(runs):
            rows.append({"method": method, "seed": seed} | _headed(run))
    for method, runs in by_method.items():
        summary = over_seeds(runs, DEMO_COLUMNS)
        rows.append({"method": method, "seed": "mean +- std"} | _headed(summary))
    notes = (
        f"The generated task of `mibias demo` (its defaults), seeds 0-{args.seeds - 1}; the "
        "leakage columns are the check on the unbiased test rows (the colour is independent "
        "of the label there, so a probe above the majority rate reads colour from z)."
    )
    write_results("demo", command_line("demo"), rows, notes)


def _headed(run: dict) -> dict:
    """A run's columns (``DEMO_COLUMNS``) under the demo table's headings."""
    return {DEMO_HEADINGS[key]: run[key] for key in DEMO_COLUMNS}


if __name__ == "__main__":
    main()
