"""The generated-task demonstration: the same network with and without the MI penalty."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from mibias.audit import LEAKAGE_COLUMNS, AuditResult, audit_leakage
from mibias.data.synthetic import make_biased_sample
from mibias.estimators import make_estimator
from mibias.experiments.demo_recipe import DEMO_EPOCHS, DEMO_LAMBDA, DEMO_SEEDS
from mibias.io import write_text_atomic
from mibias.run_folder import RECIPE, write_json_atomic
from mibias.sweep import Job
from mibias.training import MITrainer, OptimizerConfig, TrainerConfig
from mibias.training.distributed import is_main_process, training_loader

# what the demo's table reports of each run, in its column order
DEMO_COLUMNS = ("test_accuracy", "train_accuracy", *LEAKAGE_COLUMNS)
# and under which headings
DEMO_HEADINGS = {
    "test_accuracy": "unbiased test accuracy",
    "train_accuracy": "train accuracy",
    **AuditResult.column_names("colour"),
}


def train_synthetic(
    lam: float,
    seed: int,
    *,
    epochs: int = DEMO_EPOCHS,
    k: int = 10,
    n_train: int = 2000,
    n_test: int = 2000,
    out_dir: str | Path | None = None,
    progress: bool = False,
    resume: bool = False,
    **config: Any,
) -> dict[str, Any]:
    """Train a small MLP on the generated biased task and measure its representation.

    Each epoch logs the accuracy on an unbiased validation sample (``n_test`` rows); the
    unbiased test sample is read once, after the last epoch. Returns the final training and
    validation metrics, the unbiased test accuracy, and the leakage columns of
    :meth:`mibias.audit.AuditResult.columns`: a fresh estimator's I(z; colour) and probes
    predicting the colour from z, fitted and scored on disjoint halves of the unbiased test set
    (where colour and label are independent, so anything above chance, 0.25, is colour
    information in z). With ``out_dir`` the run is checkpointed there after every epoch, and
    ``resume`` continues the run that folder holds (a finished one is read back, not trained
    again).
    """
    torch.manual_seed(seed)
    train = make_biased_sample(n_train, bias=0.9, shape_noise=0.5, seed=seed)
    validation = make_biased_sample(n_test, bias=0.25, shape_noise=0.5, seed=seed + 20_000)
    test = make_biased_sample(n_test, bias=0.25, shape_noise=0.5, seed=seed + 10_000)
    encoder = nn.Sequential(nn.Linear(train.x.shape[1], 32), nn.ReLU(), nn.Linear(32, 8), nn.ReLU())
    classifier = nn.Linear(8, 4)
    estimator = make_estimator("mine", 8, 4, hidden=(32, 32))
    settings: dict[str, Any] = {
        "lam": lam,
        "k": k,
        "epochs": epochs,
        "seed": seed,
        "compile_estimator": False,
        "progress": progress,
        "model_optimizer": OptimizerConfig(lr=3e-3),
        "estimator_optimizer": OptimizerConfig(lr=1e-3),
        **config,
    }
    trainer = MITrainer(encoder, classifier, estimator, TrainerConfig(**settings), out_dir=out_dir)
    train_loader = training_loader(train.dataset(), 128, seed=seed)
    validation_loader = DataLoader(validation.dataset(), batch_size=512)
    test_loader = DataLoader(test.dataset(), batch_size=512)

    def final(trainer: MITrainer, row: Any) -> dict[str, float]:
        read, (z_test, _, c_test) = trainer.evaluate_and_embed(test_loader)
        metrics = {f"test_{key}": value for key, value in read.items()}
        colour = c_test.argmax(1)
        leakage = audit_leakage(
            z_test, colour, restarts=2, steps=800, test_size=0.5, seed=seed, progress=False
        )
        trainer.say(leakage.summary_line("colour", row["mi"]))
        return {**metrics, **leakage.columns()}

    history = trainer.fit(
        train_loader, {"validation": validation_loader}, final=final, resume=resume
    )
    return {**history[-1], "trainer": trainer, "train_dataset": train_loader.dataset}


def demo_job(out_dir: Path, *, lam: float, seed: int, fail: bool = False, **options: Any) -> None:
    """A sweep job (:class:`mibias.sweep.Job`): one :func:`train_synthetic` run in ``out_dir``,
    its settings in recipe.json. ``fail`` raises instead, to try a sweep's failure handling."""
    if fail:
        raise ValueError(f"run lam={lam:g} seed={seed} fails on purpose")
    write_json_atomic({"lam": lam, "seed": seed, **options}, Path(out_dir) / RECIPE)
    train_synthetic(lam, seed, out_dir=out_dir, resume=True, **options)


def demo_grid(
    lams: Sequence[float] = (0.0, 1.0), seeds: Sequence[int] = (0, 1), **options: Any
) -> list[Job]:
    """A small grid of :func:`demo_job` runs, lambda x seed, for trying the sweep backends."""
    return [
        Job(f"lam{lam:g}-seed{seed}", demo_job, {"lam": lam, "seed": seed, **options})
        for lam in lams
        for seed in seeds
    ]


def run_demo(
    out: str | Path,
    *,
    epochs: int = DEMO_EPOCHS,
    lam: float = DEMO_LAMBDA,
    seeds: Sequence[int] = range(DEMO_SEEDS),
) -> dict[str, list[dict[str, float]]]:
    """Train ERM and MI backprop on the generated task for several seeds; print a table.

    Writes the table (each column's mean +- std over the seeds) to ``demo.md``, the runs to
    ``demo.json`` and one run folder per training run to ``out``; a run folder already there
    is continued, or read back when its run finished.

    Returns
    -------
    dict
        Method (its row name) -> one dict per seed, in ``seeds``' order, of the columns
        :data:`DEMO_COLUMNS`: what ``demo.json`` holds.
    """
    TrainerConfig(lam=lam, epochs=epochs)  # refused before the ERM runs, not after them
    out = Path(out)
    rows = []
    for method, weight in (("ERM (lambda 0)", 0.0), (f"MI backprop (lambda {lam:g})", lam)):
        runs = []
        for seed in seeds:
            print(f"training {method}, seed {seed}", flush=True)
            result = train_synthetic(
                weight,
                seed,
                epochs=epochs,
                out_dir=out / f"lam{weight:g}-seed{seed}",
                progress=True,
                resume=True,
            )
            runs.append({key: result[key] for key in DEMO_COLUMNS})
        rows.append((method, runs))
    lines = [
        "| method | " + " | ".join(DEMO_HEADINGS[key] for key in DEMO_COLUMNS) + " |",
        "|---|" + "---|" * len(DEMO_COLUMNS),
    ]
    for method, runs in rows:
        cells = [_mean_std([run[key] for run in runs]) for key in DEMO_COLUMNS]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    note = (
        f"Generated task, seeds {', '.join(map(str, seeds))}, {epochs} epochs; mean +- std. "
        "Command: mibias demo " + f"--epochs {epochs} --lambda {lam:g} --seeds {len(seeds)}"
    )
    if is_main_process():
        write_text_atomic(out / "demo.md", table + "\n\n" + note + "\n")
        write_json_atomic(dict(rows), out / "demo.json")
    print()
    print(table)
    print()
    print(note)
    return dict(rows)


def _mean_std(values: list[float]) -> str:
    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"
