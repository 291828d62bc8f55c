"""Figure 4: MI estimate, validation accuracy and train accuracy per epoch for several lambdas.

The paper draws test accuracy per epoch; here the per-epoch curve is the unbiased validation
split's, since the test digits are read once, after the last epoch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mibias.experiments.table1 import digits_jobs
from mibias.plotting import pyplot, save_figure
from mibias.run_folder import read_metrics
from mibias.sweep import JobResult, RayBackend, run_jobs
from mibias.sweep.runner import refuse_no_run_finished

PANELS = (
    ("mi", "MI estimate (nats)"),
    ("validation_accuracy", "unbiased validation accuracy"),
    ("train_accuracy", "train accuracy"),
)


def figure4(
    out: str | Path,
    *,
    sigmas: Sequence[float] = (0.030, 0.045),
    lams: Sequence[float] = (0.0, 0.5, 1.0),
    seeds: Sequence[int] = (0,),
    workers: int = 1,
    ray: RayBackend | None = None,
    **settings: Any,
) -> tuple[Path, list[JobResult]]:
    """Run lambda x sigma x seed (MI method; lambda 0 is ERM with the MI estimate tracked)
    and draw ``figure4.png``: one row per sigma, panels MI / validation / train accuracy.

    Returns the figure's path and the runs' results."""
    out = Path(out)
    jobs = digits_jobs(["mi"], sigmas, seeds, lams=lams, track_mi=True, **settings)
    results = refuse_no_run_finished(
        run_jobs(jobs, out / "runs", workers=workers, ray=ray), out / "runs"
    )
    curves: dict[tuple[float, float], list[dict[str, list[float]]]] = defaultdict(list)
    for job, result in zip(jobs, results, strict=True):
        if result.status == "finished":
            curves[(job.settings["sigma"], job.settings["lam"])].append(_read(result.out_dir))
    return plot_curves(curves, sigmas, lams, out / "figure4.png"), results


def _read(run_dir: Path) -> dict[str, list[float]]:
    rows = read_metrics(run_dir)
    return {key: [row[key] for row in rows] for key, _ in PANELS}


def plot_curves(
    curves: dict[tuple[float, float], list[dict[str, list[float]]]],
    sigmas: Sequence[float],
    lams: Sequence[float],
    path: Path,
) -> Path:
    """Mean over seeds per epoch, with a band of +- one standard deviation."""
    plt = pyplot()
    fig, axes = plt.subplots(
        len(sigmas), len(PANELS), figsize=(12, 3.2 * len(sigmas)), squeeze=False
    )
    for r, sigma in enumerate(sigmas):
        for c, (key, title) in enumerate(PANELS):
            ax = axes[r][c]
            for lam in lams:
                runs = curves.get((sigma, lam), [])
                if not runs:
                    continue
                length = min(len(run[key]) for run in runs)
                values = np.array([run[key][:length] for run in runs])
                epochs = np.arange(1, length + 1)
                mean, std = values.mean(0), values.std(0)
                ax.plot(epochs, mean, marker="o", label=f"lambda = {lam:g}")
                ax.fill_between(epochs, mean - std, mean + std, alpha=0.2)
            ax.set_title(f"{title}, sigma = {sigma:.3f}")
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
    axes[0][0].legend()
    fig.tight_layout()
    return save_figure(fig, path)
