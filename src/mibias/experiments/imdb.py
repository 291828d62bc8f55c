"""IMDB faces (Table 2): gender classification trained on an age-biased split, EB1 or EB2."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader

from mibias.audit import AuditResult, audit_leakage
from mibias.data.imdb import (
    AGE_EDGES,
    FaceImages,
    build_splits,
    check_splits,
    find_metadata,
    read_metadata,
    read_split_lists,
    split_report,
    subsample,
)
from mibias.experiments.imdb_recipe import EXPERIMENT, PER_JOB, ImdbRun
from mibias.io import InputError, write_csv_atomic
from mibias.methods import METHODS, find_method, make_term, own_estimate
from mibias.models.faces import FaceEncoder, resnet_backbone
from mibias.report import summary_table, with_columns, write_table
from mibias.run_folder import claim_run_folder
from mibias.settings import from_settings, job_settings, refuse_invalid_jobs, settings_record
from mibias.sweep import Job, RayBackend, run_grid, runs_note
from mibias.training import MITrainer, OptimizerConfig
from mibias.training.config import resolve_device, untrained_term_error
from mibias.training.distributed import (
    has_trainable_parameters,
    is_main_process,
    training_loader,
)

OTHER = {"eb1": "eb2", "eb2": "eb1"}
COLUMNS = ("EB1 -> EB2", "EB1 -> test", "EB2 -> EB1", "EB2 -> test")
PUBLISHED = {
    "ERM": (0.650, 0.849, 0.576, 0.708),
    "Alvi et al.": (0.637, 0.856, 0.573, 0.699),
    "Kim et al.": (0.680, 0.867, 0.642, 0.745),
    "MI backprop (lambda 0.5)": (0.691, 0.876, 0.651, 0.762),
}
Backbone = Callable[[str, str], tuple[nn.Module, int]]


def load_splits(run: ImdbRun) -> tuple[Path, dict[str, pd.DataFrame]]:
    """The folder the image paths are relative to, and the run's EB1 / EB2 / test rows."""
    table = read_metadata(run.data, run.min_face_score)
    splits = (
        read_split_lists(table, run.splits)
        if run.splits is not None
        else build_splits(table, seed=run.trainer.seed, test_size=run.test_size)
    )
    check_splits(splits)
    return table.folder, splits


# the leakage columns of Table 2: run record column -> its name in the table
LEAKAGE = AuditResult.column_names("age")


def run_imdb(
    run: ImdbRun,
    out_dir: str | Path | None,
    *,
    resume: bool = False,
    backbone: Backbone | None = None,
) -> list[dict[str, float]]:
    """Train on ``run.train``; after the last epoch, and only then, evaluate on the other
    biased split (``other_accuracy``) and the unbiased test split (``test_accuracy``), both
    reported in Table 2, and measure how much age z of the test split carries
    (:meth:`mibias.audit.AuditResult.columns`). Writes
    recipe.json and the split sizes (splits.csv) beside the trainer's files.
    ``backbone(arch, weights)`` builds the feature network
    (:func:`~mibias.models.faces.resnet_backbone` by default)."""
    if run.train not in OTHER:
        raise InputError(f"--train must be eb1 or eb2, got {run.train!r}")
    chosen = find_method(run.method, EXPERIMENT)
    lam = chosen.weight(EXPERIMENT, run.lam) or 0.0
    if out_dir is not None and is_main_process():
        # the weight the run used, not None for "the method's"
        claim_run_folder(out_dir, settings_record(replace(run, lam=lam)), resume=resume)
    folder, splits = load_splits(run)
    report = split_report(splits)
    if run.trainer.progress and is_main_process():
        print(report.to_string(index=False), flush=True)
    if out_dir is not None and is_main_process():
        write_csv_atomic(report, Path(out_dir) / "splits.csv", index=False)
    train = FaceImages(
        folder,
        subsample(splits[run.train], run.subsample, run.trainer.seed),
        run.image_size,
        flip=True,
    )
    cuda = resolve_device(run.trainer.device).type == "cuda"
    workers = run.loader_workers if cuda else min(run.loader_workers, 2)
    evaluations = {
        name: DataLoader(
            FaceImages(folder, subsample(splits[split], run.eval_limit, 0), run.image_size),
            batch_size=4 * run.batch_size,
            num_workers=workers,
        )
        for name, split in (("other", OTHER[run.train]), ("test", "test"))
    }
    torch.manual_seed(run.trainer.seed)
    network, features = (backbone or resnet_backbone)(run.arch, run.weights)
    encoder = FaceEncoder(network, features, run.z_dim)
    classifier = nn.Linear(run.z_dim, 2)
    # ERM trains no estimator; MI backprop uses MINE; the baselines their own heads
    term = None if run.method == "erm" else chosen.term or "mine"
    head = run.method in ("kim", "alvi")
    c_dim = len(AGE_EDGES) - 1
    estimator = (
        make_term(
            term,
            run.z_dim,
            c_dim,
            groups=(c_dim,),
            hidden=(run.estimator_hidden,) * 3 if not head else None,
            reversal=run.reversal,
        )
        if term is not None
        else None
    )
    trainable = has_trainable_parameters(estimator) and not head
    problem = untrained_term_error(lam, run.trainer.k) if trainable else None
    if problem:
        raise InputError(problem)
    config = replace(
        run.trainer,
        lam=lam,
        k=(1 if head else run.trainer.k) if term is not None else 0,
        accumulation=1 if head else run.trainer.accumulation,
        estimator_optimizer=OptimizerConfig(lr=run.head_lr)
        if head
        else run.trainer.estimator_optimizer,
        bf16=cuda,
        channels_last=cuda,
    )
    trainer = MITrainer(encoder, classifier, estimator, config, out_dir=out_dir)
    loader = training_loader(train, run.batch_size, seed=run.trainer.seed, num_workers=workers)

    def final(trainer: MITrainer, row: Mapping[str, float]) -> dict[str, float]:
        # each split read once; z and the age groups (for the audit) from the test split
        reads = {
            name: trainer.evaluate_and_embed(evaluation, keep=name == "test")
            for name, evaluation in evaluations.items()
        }
        read = {
            f"{name}_{key}": value
            for name, (metrics, _) in reads.items()
            for key, value in metrics.items()
        }
        z, _, age = reads["test"][1]
        steps = {} if run.leakage_steps is None else {"steps": run.leakage_steps}
        leakage = audit_leakage(z, age.argmax(1), seed=run.trainer.seed, progress=False, **steps)
        conditional = run.trainer.mi_condition != "none"
        trainer.say(leakage.summary_line("age group", own_estimate(run.method, row, conditional)))
        return {**read, **leakage.columns()}

    # both evaluation splits are reported in Table 2: read once, after the last epoch
    return trainer.fit(loader, final=final, resume=resume)


def imdb_job(out_dir: Path, **settings: Any) -> None:
    """A sweep job: one :func:`run_imdb` run, resumed if it was interrupted."""
    run_imdb(from_settings(ImdbRun, {**settings, "progress": False}), out_dir, resume=True)


def table2(
    out: str | Path,
    *,
    data: str,
    methods: Sequence[str] = ("erm", "alvi", "kim", "mi"),
    seeds: Sequence[int] = (0,),
    workers: int = 1,
    ray: RayBackend | None = None,
    **settings: Any,
) -> str:
    """Train on EB1 and on EB2 with every method and seed; write ``table2.md`` / ``.csv``:
    accuracy on the other biased split and on the test split, beside the published rows."""
    settings = job_settings(ImdbRun, {"data": data, **settings}, "imdb", PER_JOB)
    find_metadata(data)  # a wrong folder is reported once, not by every run
    for name in methods:
        find_method(name, EXPERIMENT)
    jobs = [
        Job(
            f"{train}-{method}-seed{seed}",
            imdb_job,
            {**settings, "train": train, "method": method, "seed": seed},
        )
        for train in OTHER
        for method in methods
        for seed in seeds
    ]
    refuse_invalid_jobs(ImdbRun, [job.settings for job in jobs])
    out = Path(out)
    results, frame = run_grid(jobs, out / "runs", workers=workers, ray=ray)
    frame["label"] = [
        METHODS[m].label if lam == 0 else f"{METHODS[m].label} (lambda {lam:g})"
        for m, lam in zip(frame["method"], frame["lam"], strict=True)
    ]
    long = frame.melt(
        id_vars=["label", "train"],
        value_vars=["other_accuracy", "test_accuracy"],
        var_name="metric",
    )
    long["cell"] = [
        f"{t.upper()} -> {OTHER[t].upper() if m == 'other_accuracy' else 'test'}"
        for t, m in zip(long["train"], long["metric"], strict=True)
    ]
    table = summary_table(
        long, row="label", column="cell", value="value", published=PUBLISHED, columns=COLUMNS
    )
    write_csv_atomic(frame, out / "table2_runs.csv", index=False)
    note = (
        f"Gender accuracy after {frame['epochs'].iloc[0]} epochs, mean +- std over seeds "
        f"{list(seeds)}; training subsets of {frame['subsample'].iloc[0]} images; "
        + runs_note(results, frame)
    )
    accuracy = write_table(table, out / "table2", "Table 2: IMDB faces", note)
    frame["label"] = [
        f"{label}, trained on {t.upper()}"
        for label, t in zip(frame["label"], frame["train"], strict=True)
    ]
    frame = with_columns(frame, list(LEAKAGE))
    long = frame.melt(id_vars=["label"], value_vars=list(LEAKAGE), var_name="metric")
    leakage = summary_table(
        long, row="label", column="metric", value="value", columns=list(LEAKAGE)
    )
    leakage.columns = list(LEAKAGE.values())
    return (
        accuracy
        + "\n"
        + write_table(
            leakage,
            out / "table2_leakage",
            "Table 2, the age left in z",
            "Age group (12 bins) read from z of the unbiased test split by probes and a fresh "
            "estimator (mibias.audit: fitted on 70 % of those images, scored on the rest), after "
            "the last epoch; mean +- std over seeds.",
        )
    )
