"""Seconds per fit of the scikit-learn style estimators, as users call them, and against
another source tree of mibias in the same run.

    python -m benchmarks.fit_speed                        (about 6 minutes on 2 cores)
    python -m benchmarks.fit_speed --against DIR          (about 15)

Cases: ``MIFairClassifier`` on the nuisance task (``mibias.data.synthetic.make_nuisance_table``)
at 1,000 and 20,000 training rows, lambda 0 and the default lambda, and ``MIEraser`` on a
generated table of 5,000 rows x 50 columns with a nonlinear trace of a binary attribute; every
other setting at its default except ``check_leakage=False`` (the fit alone is timed). Each fit
runs in a new Python process (imports and any compilation are not timed, only ``fit``),
seed = repeat; with ``--against DIR`` the same fit from ``DIR/src`` follows each one, so the
two trees alternate under the same machine state. The table gives the median of the repeats
per tree and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from benchmarks.common import command_line, write_results

ROOT = Path(__file__).parents[1]
# each case: the code a fresh process runs, printing the fit's seconds; `seed` is set first
CASES = {
    "MIFairClassifier, 1,000 rows, lambda 0": ("classifier", 1000, 0.0),
    "MIFairClassifier, 1,000 rows, default lambda": ("classifier", 1000, None),
    "MIFairClassifier, 20,000 rows, lambda 0": ("classifier", 20_000, 0.0),
    "MIFairClassifier, 20,000 rows, default lambda": ("classifier", 20_000, None),
    "MIEraser, 5,000 x 50, default lambda": ("eraser", 5000, None),
}
CHILD = """
import json, sys, time
import numpy as np
kind, rows, lam, seed = json.loads(sys.argv[1])
if kind == "classifier":
    from mibias.data.synthetic import make_nuisance_table
    from mibias.fairness import MIFairClassifier
    X, y, s = make_nuisance_table(rows, seed)
    model = MIFairClassifier(check_leakage=False, random_state=seed)
    if lam is not None:
        model.set_params(lam=lam)
    fit = lambda: model.fit(X, y, sensitive_features=s)
else:
    from mibias import MIEraser
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 2, rows)
    X = rng.normal(size=(rows, 50)).astype(np.float32)
    X[:, 0] += s
    X[:, 1] += np.sin(3 * X[:, 2]) * s
    model = MIEraser(check_leakage=False, random_state=seed)
    fit = lambda: model.fit(X, sensitive_features=s)
started = time.perf_counter()
fit()
print(json.dumps(time.perf_counter() - started))
"""


def fit_seconds(source: Path, case: tuple[str, int, float | None], seed: int) -> float:
    """One fit of ``case`` in a new process importing mibias from ``source``."""
    env = {**os.environ, "PYTHONPATH": str(source), "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps([*case, seed])],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"a fit from {source} failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def revision(tree: Path) -> str:
    """The tree's commit (with ``+changes`` when its files differ from it)."""
    git = ["git", "-C", str(tree)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    )
    return commit.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="another mibias checkout, timed alternately")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    trees = {"this tree": ROOT}
    if args.against is not None:
        if not (args.against / "src" / "mibias").is_dir():
            parser.error(f"{args.against} holds no src/mibias")
        trees["other tree"] = args.against
    rows = []
    for name, case in CASES.items():
        seconds: dict[str, list[float]] = {tree: [] for tree in trees}
        for seed in range(args.repeats):
            for tree, path in trees.items():
                seconds[tree].append(fit_seconds(path / "src", case, seed))
        row: dict[str, object] = {"case": name}
        for tree, values in seconds.items():
            row[f"{tree}, s (median)"] = statistics.median(values)
            row[f"{tree}, s per repeat"] = " / ".join(f"{v:.1f}" for v in values)
        if len(trees) == 2:
            row["this / other"] = row["this tree, s (median)"] / row["other tree, s (median)"]
        rows.append(row)
        print(row, flush=True)
    notes = (
        f"Seconds of `fit` alone, each in a new process; {args.repeats} repeats (seed = repeat), "
        f"the trees alternating fit by fit. This tree: {revision(ROOT)}"
        + (f"; other tree: {revision(args.against)}." if args.against else ".")
    )
    write_results("fit_speed", command_line("fit_speed"), rows, notes)


if __name__ == "__main__":
    main()
