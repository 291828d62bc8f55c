"""Fair classification on UCI Adult and German credit: one run, Table 3 and Figure 5."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mibias.audit import TABULAR_PROBES, audit_leakage, leakage_columns
from mibias.data.tabular import VALIDATION_SHARE, make_split
from mibias.data.uci import load_fairness_data
from mibias.experiments.fairness_recipe import EXPERIMENT, PER_JOB, FairnessRun
from mibias.fairness.methods import build_method, method_lambda, positive_scores
from mibias.fairness.metrics import fairness_metrics
from mibias.io import write_csv_atomic
from mibias.methods import methods_of
from mibias.plotting import pyplot, save_figure
from mibias.report import summary_table, with_columns, write_table
from mibias.run_folder import RECIPE, SUMMARY, write_json_atomic
from mibias.settings import job_settings, refuse_invalid_jobs, settings_record
from mibias.sweep import Job, RayBackend, run_grid, runs_note

DATASETS = ("adult", "german")
# network steps and batch size per dataset (German has 700 training rows)
SCHEDULES = {"adult": (2000, 512), "german": (2000, 128)}
# the leakage audit of each run's test-row z: two restarts, the probes of tabular z, the
# audit's other defaults
LEAKAGE_AUDIT: dict[str, Any] = {"restarts": 2, "probes": TABULAR_PROBES}
# Table 3 of the paper: (Adult accuracy, Adult EO, German accuracy, German EO)
PUBLISHED = {
    "FERM": (0.81, 0.01, 0.73, 0.05),
    "NN": (0.84, 0.14, 0.74, 0.47),
    "NN + chi^2": (0.83, 0.03, 0.73, 0.25),
    "LAFTR": (0.84, 0.10, None, None),
    "MI backprop (lambda 0.5)": (0.85, 0.03, 0.74, 0.06),
}
TABLE3_METHODS = tuple(methods_of(EXPERIMENT))
# the table's columns per dataset: the paper's two, then the leakage of z (methods without
# a representation, FERM and ExponentiatedGradient, leave those blank)
METRICS = ("accuracy", "eo", *leakage_columns(TABULAR_PROBES))
PUBLISHED_METRICS = ("accuracy", "eo")


def run_fairness(run: FairnessRun, out_dir: str | Path | None = None) -> dict[str, float]:
    """Train and evaluate one method; returns the test metrics.

    With ``out_dir``, writes ``predictions.csv`` (row id, y_true, y_pred, score, sensitive
    attribute of every test row), ``recipe.json`` and ``run.json`` (status and metrics).
    """
    if run.dataset not in DATASETS:
        raise ValueError(f"unknown dataset {run.dataset!r}; choose adult or german")
    options = (
        {"attribute": run.german_attribute, "young_age": run.young_age}
        if run.dataset == "german"
        else {}
    )
    data = load_fairness_data(run.dataset, run.data_home, progress=False, **options)
    split = make_split(data, run.seed, run.test_size, run.keep_sensitive, run.holdout)
    steps, batch_size = SCHEDULES[run.dataset]
    lam = method_lambda(run.method, run.lam)
    model = build_method(
        run.method, run.seed, lam, run.steps or steps, run.batch_size or batch_size, run.whiten
    )
    started = time.perf_counter()
    model.fit(split.x_train, split.y_train, sensitive_features=split.s_train)
    fit_seconds = time.perf_counter() - started
    y_pred = np.asarray(model.predict(split.x_test))
    metrics = fairness_metrics(split.y_test, y_pred, split.s_test)
    metrics["fit_seconds"] = fit_seconds
    history = getattr(model, "history_", None)
    if history:  # the MI methods: how often their estimator was re-fitted
        metrics["estimator_refits"] = history[-1].get("estimator_refits", 0.0)
    if run.probe and hasattr(model, "transform"):
        # the leakage of z on the test rows: estimator and probes fitted on 70 % of them and
        # scored on the other 30 %, which took no part in training
        leakage = audit_leakage(
            model.transform(split.x_test),
            split.s_test,
            seed=run.seed,
            progress=False,
            **LEAKAGE_AUDIT,
        )
        metrics.update(leakage.columns())
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        predictions = pd.DataFrame(
            {
                "row_id": split.test_rows,
                "y_true": split.y_test,
                "y_pred": y_pred,
                "score": positive_scores(model, split.x_test),
                data.sensitive.name: split.s_test,
            }
        )
        write_csv_atomic(predictions, out / "predictions.csv", index=False)
        write_json_atomic({**settings_record(run), "lam": lam}, out / RECIPE)
        write_json_atomic({"status": "finished", "final": metrics}, out / SUMMARY)
    return metrics


def fairness_job(out_dir: Path, **settings: Any) -> None:
    """A sweep job: one :func:`run_fairness` run."""
    run_fairness(FairnessRun(**settings), out_dir)


def fairness_jobs(
    datasets: Sequence[str],
    methods: Sequence[str],
    seeds: Sequence[int],
    lams: Sequence[float | None] = (None,),
    **settings: Any,
) -> list[Job]:
    """One job per (dataset, method, lambda, seed); methods without lambda run once."""
    settings = job_settings(FairnessRun, settings, "fairness", PER_JOB)
    jobs = []
    for dataset in datasets:
        for method in methods:
            chosen = sorted({method_lambda(method, lam) for lam in lams}, key=str)
            for lam in chosen:
                tag = "" if lam is None else f"-lam{lam:g}"
                for seed in seeds:
                    jobs.append(
                        Job(
                            f"{dataset}-{method}{tag}-seed{seed}",
                            fairness_job,
                            {**settings, "dataset": dataset, "method": method, "lam": lam,
                             "seed": seed},
                        )
                    )  # fmt: skip
    refuse_invalid_jobs(FairnessRun, [job.settings for job in jobs])
    return jobs


def method_label(method: str, lam: float | None) -> str:
    """Row name of a method in the tables."""
    return method if lam is None or np.isnan(lam) else f"{method} (lambda {lam:g})"


def table3(
    out: str | Path,
    *,
    methods: Sequence[str] = TABLE3_METHODS,
    datasets: Sequence[str] = DATASETS,
    seeds: Sequence[int] = range(10),
    workers: int = 2,
    ray: RayBackend | None = None,
    lam: float | None = None,
    **settings: Any,
) -> str:
    """Run every method on both datasets once per seed; write table3.md/.csv and a scatter."""
    out = Path(out)
    jobs = fairness_jobs(datasets, methods, seeds, (lam,), **settings)
    results, frame = run_grid(jobs, out / "runs", workers=workers, ray=ray)
    frame["label"] = [
        method_label(m, v) for m, v in zip(frame["method"], frame["lam"], strict=True)
    ]
    frame = with_columns(frame, METRICS)  # --no-probe runs measure no leakage
    long = frame.melt(id_vars=["label", "dataset"], value_vars=list(METRICS), var_name="metric")
    long["cell"] = long["dataset"] + " " + long["metric"]
    names = [f"{d} {m}" for d in datasets for m in METRICS]
    table = summary_table(
        long,
        row="label",
        column="cell",
        value="value",
        published=published_cells(names),
        columns=names,
    )
    write_csv_atomic(frame, out / "table3_runs.csv", index=False)
    variants = "; ".join(
        f"{m}: {d}" for m, d in (
            ("mi", "I(z; c), the paper's term"),
            ("mi-eo", "I(z; c | y = 1)"),
            ("mi-eodds", "I(z; c | y)"),
        ) if m in methods
    )  # fmt: skip
    # the rows every metric was read on: the test rows, or validation rows (--holdout)
    first = frame.iloc[0]
    rows = str(first["holdout"])
    test_splits = {
        "adult": "Adult: official split, seeds vary the initialisation",
        "german": f"German: seeded {100 * (1 - first['test_size']):.0f}/"
        f"{100 * first['test_size']:.0f} splits",
    }
    splits = (
        "; ".join(test_splits[d] for d in datasets)
        if rows == "test"
        else f"each seed holds out its own {VALIDATION_SHARE:.0%} of the training rows"
    )
    attribute = (
        f"young = age <= {first['young_age']}"
        if first["german_attribute"] == "age"
        else "female, from the personal status"
    )
    german = f"; German's attribute: {attribute}" if "german" in datasets else ""
    note = (
        f"{rows.capitalize()} accuracy and equal-opportunity difference |TPR_a - TPR_b|, mean "
        f"+- std over {len(seeds)} seed{'s' if len(seeds) != 1 else ''} ({splits}{german}). "
        "Leakage of z on "
        f"the {rows} rows (estimator and "
        "probes fitted on 70 % of them, scored on the other 30 %): a fresh MINE's I(z; s) in "
        "nats (leak_mi_nats), the largest of the estimators' and the probes' held-out lower "
        "bounds (leak_bound_nats), the probes' accuracy of s (MLP, linear, MLP on whitened z, "
        "gradient-boosted trees), and the majority-value rate. "
        f"Protected attribute among the inputs: {bool(first['keep_sensitive'])}. "
        + (f"MI terms: {variants}. " if variants else "")
        + runs_note(results, frame)
    )
    plot_scatter(frame, out / "table3.png", rows)
    return write_table(table, out / "table3", "Table 3: fair classification", note)


def published_cells(names: Sequence[str]) -> dict[str, list[float | None]]:
    """The published Table 3 numbers laid out in the columns ``names`` (None elsewhere)."""
    known = [f"{d} {m}" for d in DATASETS for m in PUBLISHED_METRICS]
    return {
        method: [dict(zip(known, values, strict=True)).get(name) for name in names]
        for method, values in PUBLISHED.items()
    }


def plot_scatter(frame: pd.DataFrame, path: Path, rows: str) -> None:
    """Accuracy against EO of every method (mean and std over runs) on the ``rows`` (test or
    validation), one panel per dataset."""
    plt = pyplot()

    datasets = list(dict.fromkeys(frame["dataset"]))
    figure, axes = plt.subplots(1, len(datasets), figsize=(6 * len(datasets), 4.5), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        part = frame[frame["dataset"] == dataset]
        for label, group in part.groupby("label", sort=False):
            ax.errorbar(
                group["eo"].mean(),
                group["accuracy"].mean(),
                xerr=group["eo"].std(ddof=0),
                yerr=group["accuracy"].std(ddof=0),
                fmt="o",
                capsize=3,
                label=label,
            )
        ax.set_xlabel("equal-opportunity difference (lower is fairer)")
        ax.set_ylabel(f"{rows} accuracy")
        ax.set_title(dataset)
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=8, loc="best")
    figure.tight_layout()
    save_figure(figure, path)


def figure5(
    out: str | Path,
    *,
    lams: Sequence[float] = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0),
    seeds: Sequence[int] = range(10),
    method: str = "mi",
    dataset: str = "german",
    workers: int = 2,
    ray: RayBackend | None = None,
    **settings: Any,
) -> tuple[Path, pd.DataFrame]:
    """EO and test accuracy against lambda (mean +- std bands); writes figure5.png/.csv."""
    out = Path(out)
    _, frame = run_grid(
        fairness_jobs([dataset], [method], seeds, list(lams), **settings),
        out / "runs",
        workers=workers,
        ray=ray,
    )
    summary = frame.groupby("lam")[["accuracy", "eo"]].agg(["mean", "std"])
    summary.columns = [f"{metric}_{stat}" for metric, stat in summary.columns]
    summary = summary.reset_index()
    write_csv_atomic(summary, out / "figure5.csv", index=False)
    plt = pyplot()

    figure, ax = plt.subplots(figsize=(6, 4))
    for metric, colour in (("accuracy", "tab:blue"), ("eo", "tab:red")):
        mean, std = summary[f"{metric}_mean"], summary[f"{metric}_std"].fillna(0)
        ax.plot(summary["lam"], mean, "o-", color=colour, label=metric)
        ax.fill_between(summary["lam"], mean - std, mean + std, color=colour, alpha=0.2)
    ax.set_xlabel("lambda")
    ax.set_title(f"{dataset}: {method}, {len(seeds)} seeds")
    ax.grid(alpha=0.3)
    ax.legend()
    figure.tight_layout()
    return save_figure(figure, out / "figure5.png"), summary
