"""Table 1: test accuracy on Colored MNIST per colour variance, for each method, over seeds."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from mibias.audit import AuditResult
from mibias.data.colored_mnist import SIGMAS
from mibias.experiments.digits import run_digits
from mibias.experiments.digits_recipe import DigitsRun, run_weight
from mibias.io import write_csv_atomic
from mibias.methods import METHODS
from mibias.report import summary_table, with_columns, write_table
from mibias.settings import from_settings, job_settings, refuse_invalid_jobs
from mibias.sweep import Job, RayBackend, run_grid, runs_note

PUBLISHED = {
    "ERM, paper": (0.476, 0.542, 0.664, 0.720, 0.785, 0.838, 0.870),
    "ERM, Kim's code": (0.406, 0.481, 0.600, 0.663, 0.733, 0.797, 0.845),
    "Alvi et al.": (0.676, 0.713, 0.794, 0.825, 0.868, 0.890, 0.917),
    "Moyer et al.": (0.717, 0.864, 0.883, 0.885, 0.887, 0.893, 0.914),
    "Kim et al.": (0.818, 0.882, 0.911, 0.929, 0.936, 0.954, 0.955),
    "MI backprop, paper (lambda 1)": (0.864, 0.925, 0.959, 0.973, 0.975, 0.980, 0.982),
}
QUICK = {"sigmas": (0.020, 0.035, 0.050), "seeds": (0,), "epochs": 2, "limit": 10_000}


def digits_job(out_dir: Path, **settings: Any) -> None:
    """A sweep job: one ``mibias digits`` run, resumed if it was interrupted. It draws no live
    bar (the sweep draws its own); off a terminal it prints one line an epoch."""
    run = from_settings(DigitsRun, {**settings, "progress": not sys.stderr.isatty()})
    run_digits(run, out_dir, resume=True)


def job_key(method: str, lam: float, sigma: float, seed: int) -> str:
    """The run folder name of one grid cell."""
    return f"{method}-lam{lam:g}-sigma{sigma:.3f}-seed{seed}"


def digits_jobs(
    methods: Sequence[str],
    sigmas: Sequence[float],
    seeds: Sequence[int],
    lams: Sequence[float] | None = None,
    **settings: Any,
) -> list[Job]:
    """One job per (method, lambda, sigma, seed); ERM ignores lambda, and ``lams`` None gives
    MI backprop the ``lam`` of ``settings`` (a preset's, such as
    :data:`~mibias.experiments.digits_recipe.FC_TERM`'s) and every other method its default lambda
    (:func:`~mibias.experiments.digits_recipe.preset_lambda`)."""
    preset_lam = settings.pop("lam", None)
    settings = job_settings(
        DigitsRun, settings, "digits", ("method", "lam", "sigma", "seed", "progress")
    )
    jobs = []
    for method in methods:
        weights = {run_weight(method, lam, preset_lam) for lam in lams or (None,)}
        for lam in sorted(weights):
            for sigma in sigmas:
                for seed in seeds:
                    jobs.append(
                        Job(
                            job_key(method, lam, sigma, seed),
                            digits_job,
                            {
                                **settings,
                                "method": method,
                                "lam": lam,
                                "sigma": sigma,
                                "seed": seed,
                            },
                        )
                    )
    refuse_invalid_jobs(DigitsRun, [job.settings for job in jobs])
    return jobs


def accuracy_table(
    frame: pd.DataFrame, sigmas: Sequence[float], names: Sequence[str] | None = None
) -> pd.DataFrame:
    """Unbiased test accuracy per ``label`` (rows) and sigma (columns), mean +- std over
    seeds, with the published rows ``names`` (default: all) first."""
    published = {
        name: [PUBLISHED[name][SIGMAS.index(s)] if s in SIGMAS else None for s in sigmas]
        for name in (names if names is not None else PUBLISHED)
    }
    table = summary_table(
        frame,
        row="label",
        column="sigma",
        value="test_accuracy",
        published=published,
        columns=sigmas,
    )
    table.columns = [f"sigma={s:.3f}" for s in sigmas]
    return table


def measures(frame: pd.DataFrame) -> dict[str, str]:
    """What a Colored MNIST results table reports of each run beyond the accuracy under the
    runs' test-colour rule: column of the run record -> its name in a table."""
    other = "uniform" if frame["test_colours"].iloc[0] == "palette" else "palette"
    return {
        f"test_{other}_accuracy": f"test accuracy, {other} colours",
        **AuditResult.column_names("colour class"),
    }


def leakage_table(frame: pd.DataFrame, sigmas: Sequence[float]) -> pd.DataFrame:
    """The other measures (:func:`measures`) per ``label`` and measure (rows) and sigma
    (columns), mean +- std over seeds."""
    named = measures(frame)
    frame = with_columns(frame, list(named))
    parts = []
    for value, name in named.items():
        part = summary_table(frame, row="label", column="sigma", value=value, columns=sigmas)
        part.index = [f"{label.removesuffix(' (ours)')}: {name}" for label in part.index]
        parts.append(part)
    table = pd.concat(parts)
    table.columns = [f"sigma={s:.3f}" for s in sigmas]
    return table.sort_index(kind="stable", key=lambda index: index.str.split(":").str[0])


def table1(
    out: str | Path,
    *,
    methods: Sequence[str] = ("erm", "mi"),
    sigmas: Sequence[float] = SIGMAS,
    seeds: Sequence[int] = (0, 1, 2),
    workers: int = 1,
    ray: RayBackend | None = None,
    **settings: Any,
) -> str:
    """Run the grid (skipping finished runs) and write ``table1.md`` and ``table1.csv``."""
    out = Path(out)
    results, frame = run_grid(
        digits_jobs(methods, sigmas, seeds, **settings), out / "runs", workers=workers, ray=ray
    )
    frame["label"] = [
        METHODS[m].label if lam == 0 else f"{METHODS[m].label} (lambda {lam:g})"
        for m, lam in zip(frame["method"], frame["lam"], strict=True)
    ]
    epochs = sorted(frame["epochs"].unique())
    runs = (
        f"after {', '.join(map(str, epochs))} epochs (the last), mean +- std over seeds "
        f"{list(seeds)}; {runs_note(results, frame)}"
    )
    write_csv_atomic(frame, out / "table1_runs.csv", index=False)
    accuracy = write_table(
        accuracy_table(frame, sigmas),
        out / "table1",
        "Table 1: Colored MNIST",
        f"Unbiased test accuracy ({frame['test_colours'].iloc[0]} test colours) {runs}",
    )
    leakage = write_table(
        leakage_table(frame, sigmas),
        out / "table1_leakage",
        "Table 1, the other test-colour rule and the colour left in z",
        "On the unbiased test digits: accuracy under the other colour rule; the digit's "
        "colour class (its nearest palette colour, independent of the label there) read from "
        "z by probes and a fresh estimator (mibias.audit, fitted on 70 % of the test digits, "
        f"scored on the rest), {runs}",
    )
    return accuracy + "\n" + leakage
