"""Does MIFairClassifier's default remove an attribute the label does not need?

    python -m benchmarks.leakage_nuisance            (about 15 minutes on 2 cores)

The generator of ``mibias.data.synthetic.make_nuisance_table``: s is among the inputs and
useless for y. Per training size and seed, lambda 0 and the default lambda, every other
setting at its default; the leakage of z is measured on fresh rows of the same generator
(``MIFairClassifier.leakage_report``: a fresh estimator and the probes of tabular z, the
gradient-boosted trees among them, fitted on 70 % of them and scored on the other 30 %), task
accuracy on those rows too.
Targets (mean of 5 seeds, default lambda): MLP probe <= 0.60 (chance 0.50) with task
accuracy >= 0.95, fresh-estimator MI <= 0.05 nats, at 1,000 and at 20,000 training rows.
"""

from __future__ import annotations

import argparse
import time

from benchmarks.common import command_line, over_seeds, tagged, write_results
from mibias.audit import TABULAR_PROBES, leakage_columns
from mibias.cli.common import on_off
from mibias.data.synthetic import make_nuisance_table
from mibias.fairness import MIFairClassifier

HELD_OUT_ROWS = 5000
# --ablation NAME: the default lambda with one lever of the defaults taken away
ABLATIONS = {
    "no-smoothing": {"noise": 0.0},
    "constant-lr": {"lr_schedule": "constant"},
}
# the leakage columns of the probes leakage_report runs (the trees among them)
COLUMNS = ("accuracy", *leakage_columns(TABULAR_PROBES), "fit_seconds")


def measure(rows: int, seed: int, lam: float, **settings: object) -> dict[str, float]:
    """Fit on ``rows`` rows at ``lam``; the leakage and accuracy on fresh rows."""
    X, y, s = make_nuisance_table(rows + HELD_OUT_ROWS, seed)
    started = time.perf_counter()
    model = MIFairClassifier(lam=lam, check_leakage=False, random_state=seed, **settings)
    model.fit(X[:rows], y[:rows], sensitive_features=s[:rows])
    fit_seconds = time.perf_counter() - started
    leakage = model.leakage_report(X[rows:], s[rows:], seed=seed)
    return {
        "accuracy": float(model.score(X[rows:], y[rows:])),
        **leakage.columns(),
        "fit_seconds": fit_seconds,
        "trainer_mi": model.history_[-1]["mi"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000,20000")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--ablation", choices=ABLATIONS, help="one lever of the defaults off")
    parser.add_argument("--whiten", type=on_off, help="on|off: the critic reads whitened z")
    args = parser.parse_args()
    default_lam = MIFairClassifier().lam
    settings = dict(ABLATIONS[args.ablation]) if args.ablation else {}
    if args.whiten is not None:
        settings["whiten"] = args.whiten
    lams = (default_lam,) if settings else (0.0, default_lam)
    rows = []
    for n in (int(part) for part in args.rows.split(",")):
        for lam in lams:
            runs = [measure(n, seed, lam, **settings) for seed in range(args.seeds)]
            row = {"training rows": n, "lambda": lam, **settings}
            rows.append({**row, **over_seeds(runs, (*COLUMNS, "trainer_mi"))})
            print(rows[-1], flush=True)
    notes = (
        f"Mean +- std over {args.seeds} seeds (seed = data and model seed); "
        f"leakage and accuracy on {HELD_OUT_ROWS} fresh rows. trainer_mi is the trainer's own "
        "(smoothed) estimate in the last epoch; leak_mi_nats the fresh estimator's; "
        "leak_bound_nats the largest held-out lower bound of the estimators and the probes' "
        "log-losses."
    )
    whiten = None if args.whiten is None else f"whiten-{'on' if args.whiten else 'off'}"
    name = tagged("leakage_nuisance", "_".join(filter(None, (args.ablation, whiten))))
    write_results(name, command_line("leakage_nuisance"), rows, notes)


if __name__ == "__main__":
    main()
