"""Validation-free choice of lambda from training logs (the paper, Sec. 5.1).

"Choose the highest lambda value that allows the model fitting the data (i.e. minimising
L_task) and reducing the mutual information (i.e. minimising L_ne)." Only training metrics are
read: train accuracy and the MI estimate per epoch. No test or validation column is read, not
even for information: a choice that is shown its test score beside it is no longer blind.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mibias.run_folder import (
    METRICS,
    RECIPE,
    RUNTIME_SETTINGS,
    SUMMARY,
    read_json,
    read_metrics,
)

# settings that do not set a run apart from the others of its group
NOT_GROUPING = frozenset({"lam", "seed"}) | RUNTIME_SETTINGS


@dataclass
class LoggedRun:
    """The per-epoch training log of one run and the settings that identify it (its
    recipe's, less lambda, the seed and the run-time settings)."""

    path: Path
    lam: float
    settings: dict[str, Any]
    epochs: list[dict[str, float]]

    def tail_mean(self, key: str, window: int) -> float:
        """Mean of ``key`` over the last ``window`` epochs."""
        values = [row[key] for row in self.epochs[-window:] if key in row]
        return sum(values) / len(values) if values else math.nan


@dataclass
class Selection:
    """The choice for one group of runs (runs that differ only in lambda and seed)."""

    group: str
    chosen_lambda: float
    reasons: dict[float, str] = field(default_factory=dict)
    # False: no lambda fits and drives the MI estimate down; the smallest is the fallback
    meets_rule: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable."""
        return {**self.__dict__, "reasons": {str(k): v for k, v in self.reasons.items()}}


def load_run(path: str | Path) -> LoggedRun:
    """Read a run folder (metrics.csv and run.json or recipe.json)."""
    path = Path(path)
    metrics, summary = path / METRICS, path / SUMMARY
    if not metrics.exists() or not summary.exists():
        raise ValueError(f"{path}: not a run folder (metrics.csv and run.json are needed)")
    epochs = read_metrics(path, needs="train_accuracy")  # what the selection compares
    config = read_json(summary)["config"]
    recipe_file = path / RECIPE
    recipe = read_json(recipe_file) if recipe_file.exists() else {}
    settings = {k: v for k, v in recipe.items() if k not in NOT_GROUPING}
    return LoggedRun(path, float(config["lam"]), settings, epochs)


def group_labels(runs: list[LoggedRun]) -> list[str]:
    """Each run's group: runs that differ only in lambda and seed share one. The label names
    sigma where the recipe has one, then every other setting whose value differs between
    ``runs``; "all" when there is nothing to name."""
    names = {name for run in runs for name in run.settings}
    varying = sorted(
        name
        for name in names - {"sigma"}
        if len({repr(run.settings.get(name)) for run in runs}) > 1
    )

    def label(run: LoggedRun) -> str:
        sigma = [f"sigma={run.settings['sigma']:.3f}"] if "sigma" in run.settings else []
        return ", ".join(sigma + [f"{name}={run.settings.get(name)}" for name in varying]) or "all"

    return [label(run) for run in runs]


def select_lambda(
    runs: list[LoggedRun], *, fit_tolerance: float = 0.05, window: int = 3
) -> list[Selection]:
    """Choose, per group, the largest lambda whose runs fit and drive the MI estimate down;
    where none does, the smallest, with ``meets_rule`` False.

    A lambda *fits* when its mean train accuracy over the last ``window`` epochs is within
    ``fit_tolerance`` of the best in its group. It *reduces MI* when its MI estimate over the
    last ``window`` epochs is below that of lambda 0 (or, without a lambda-0 run that logged an
    MI estimate, below its own first ``window`` epochs). Seeds of the same lambda are averaged.

    Raises
    ------
    ValueError
        When ``window`` is below 1 or ``fit_tolerance`` is negative or not finite; the message
        starts with the parameter's name.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1 epoch, got {window}")
    if not 0 <= fit_tolerance < math.inf:
        raise ValueError(f"fit_tolerance must be a finite number >= 0, got {fit_tolerance}")
    groups: dict[str, dict[float, list[LoggedRun]]] = defaultdict(lambda: defaultdict(list))
    for run, group in zip(runs, group_labels(runs), strict=True):
        groups[group][run.lam].append(run)
    selections = []
    for group, by_lam in sorted(groups.items()):
        fit = {
            lam: _mean(r.tail_mean("train_accuracy", window) for r in rs)
            for lam, rs in by_lam.items()
        }
        mi = {lam: _mean(r.tail_mean("mi", window) for r in rs) for lam, rs in by_lam.items()}
        early = {
            lam: _mean(_mean(row["mi"] for row in r.epochs[:window]) for r in rs)
            for lam, rs in by_lam.items()
        }
        best_fit = max(fit.values())
        reasons: dict[float, str] = {}
        eligible = []
        for lam in sorted(by_lam):
            baseline = mi.get(0.0, math.nan)
            reference = (early[lam] if math.isnan(baseline) else baseline) if lam > 0 else math.nan
            fits = fit[lam] >= best_fit - fit_tolerance
            reduces = lam == 0 or mi[lam] < reference
            reasons[lam] = (
                f"train accuracy {fit[lam]:.3f} ({'fits' if fits else 'does not fit'}), "
                f"MI {mi[lam]:.3f} nats"
                + (
                    ""
                    if lam == 0
                    else f" vs reference {reference:.3f} ({'down' if reduces else 'not down'})"
                )
            )
            if fits and reduces:
                eligible.append(lam)
        chosen = max(eligible) if eligible else min(by_lam)
        selections.append(Selection(group, chosen, reasons, meets_rule=bool(eligible)))
    return selections


def _mean(values: Any) -> float:
    values = [v for v in values if v == v]
    return sum(values) / len(values) if values else math.nan
