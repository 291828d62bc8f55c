"""Does stopping the audit's estimators early change what it reads? Full runs against the
default patience on the same data, same seeds.

    python -m benchmarks.audit_patience                    (about 15 minutes on 2 cores)
    python -m benchmarks.audit_patience --patience 0.25,0.5

Each case is audited with :func:`mibias.audit.audit_leakage`'s defaults, once with
``patience=None`` (every one of the 4,000 steps of each restart) and once with each patience
given (default: the audit's default), and the table gives each estimate and its seconds:

- correlated Gaussians (the closed-form case of ``benchmarks.audit_accuracy``: d = 5, 20,000
  draws, rho 0.8, 0.5, 0), three draws each;
- the representations Table 3 audits: ``nn``, ``mi`` and ``laftr`` fitted on Adult and German
  training rows (seeds 0 and 1), z of their validation rows (never the test rows), audited
  as Table 3 audits them (``LEAKAGE_AUDIT``).
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import time
from collections.abc import Iterator

import numpy as np

from benchmarks.audit_accuracy import draw
from benchmarks.common import command_line, write_results
from mibias.audit import GAIN_NATS, audit_leakage
from mibias.data.tabular import make_split
from mibias.data.uci import load_fairness_data
from mibias.experiments.fairness import LEAKAGE_AUDIT, SCHEDULES
from mibias.fairness.methods import build_method, method_lambda

METHODS = ("nn", "mi", "laftr")
PATIENCE = inspect.signature(audit_leakage).parameters["patience"].default


def gaussian_cases() -> Iterator[tuple[str, np.ndarray, np.ndarray, dict]]:
    for rho in (0.8, 0.5, 0.0):
        for seed in range(3):
            yield f"Gaussians, rho {rho}, draw {seed}", *draw(rho, seed), {}


def table3_cases() -> Iterator[tuple[str, np.ndarray, np.ndarray, dict]]:
    for dataset, (steps, batch_size) in SCHEDULES.items():
        data = load_fairness_data(dataset, progress=False)
        for seed in (0, 1):
            split = make_split(data, seed, holdout="validation")
            for method in METHODS:
                model = build_method(method, seed, method_lambda(method, None), steps, batch_size)
                model.fit(split.x_train, split.y_train, sensitive_features=split.s_train)
                z, s = model.transform(split.x_test), np.asarray(split.s_test)
                yield f"{dataset}, {method}, seed {seed}", z, s, {**LEAKAGE_AUDIT, "seed": seed}


def compare(z: np.ndarray, c: np.ndarray, settings: dict, patiences: list[float]) -> dict:
    """The audit's estimate and seconds with every step and with each patience."""
    row = {}
    for name, patience in [("full", None), *((f"patience {p}", p) for p in patiences)]:
        started = time.perf_counter()
        result = audit_leakage(z, c, progress=False, patience=patience, **settings)
        row[f"{name}, nats"] = result.mi_nats
        row[f"{name}, s"] = time.perf_counter() - started
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--patience", default=str(PATIENCE), help="patience values to compare, comma-separated"
    )
    args = parser.parse_args()
    patiences = [float(p) for p in args.patience.split(",")]
    rows = []
    for cases in (gaussian_cases(), table3_cases()):
        for name, z, c, settings in cases:
            rows.append({"case": name, "rows": len(z), **compare(z, c, settings, patiences)})
            print(rows[-1], flush=True)
    summary = []
    for p in patiences:
        differences = [abs(row[f"patience {p}, nats"] - row["full, nats"]) for row in rows]
        ratios = [row[f"patience {p}, s"] / row["full, s"] for row in rows]
        summary.append(
            f"patience {p}: largest difference {max(differences):.4f} nats, median "
            f"{statistics.median(differences):.4f}; time ratio median "
            f"{statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})"
        )
    notes = (
        "; ".join(summary) + f". The default patience is {PATIENCE}. With a patience, a "
        "restart stops at the first check that share of its steps after the last one that "
        f"raised its score on the rows kept aside by more than {GAIN_NATS} nats, and keeps "
        "its best-scored weights either way."
    )
    write_results("audit_patience", command_line("audit_patience"), rows, notes)


if __name__ == "__main__":
    main()
