"""Colored MNIST (sigma 0.020): the cost of an MI epoch against an ERM epoch in the
configurations users run, and whether the cheap estimator scheme's MI estimate holds up.

    python -m benchmarks.digits_speed            (about 15 minutes on 2 cores)

1. Whole training epochs of the package's recipes as ``mibias digits`` builds them
   (:func:`~mibias.experiments.digits.prepare_digits`, divergence checks on; bf16 +
   channels-last): the Table 1 recipe on the paper's fc z
   (:data:`~mibias.experiments.digits_recipe.FC_TERM`, all 50,000 training digits), the digits
   defaults (the conv term, all training digits) and the main job's
   (:data:`~mibias.experiments.digits_recipe.MAIN_JOB`: conv z, 20,000 digits). Per recipe: ERM
   (no estimator), MI backprop at the recipe's K (40 on fc z, 10 with the conv term) and, on
   the main job, the HSIC penalty (no inner loop; its lambda was chosen there), built in one
   process and trained in turns, one epoch each, ``EPOCHS`` turns: a change in the machine's
   speed (runs made one after the other read ratios 20-30 % apart) reaches every run alike.
   The first epoch (compilation, warm-up) is not timed; the table gives the median of the
   others and the median of each epoch's ratio to ERM's epoch of the same turn.
2. Algorithm 1 read literally (a fresh batch through the encoder for each of the K estimator
   steps, as the authors' code does), timed over its first 60 model steps, and the pool
   scheme over the same 60 steps from the same initialisation; then each scheme's estimator
   against a new estimator trained on the same frozen features.
3. Encoder forward + backward under float32, bf16 autocast and channels-last.
4. Peak resident memory of a `mibias digits` run (a subprocess).

    python -m benchmarks.digits_speed --sweep      (about 5 minutes on 2 cores)

writes digits_speed_sweep instead: the main job's recipe as ``mibias quickstart`` and
``table1 --workers 2`` run it, ERM (no estimator) and MI backprop side by side through the
sweep runner, two processes of one torch thread each; per seed (0-2), the median of epochs
2-EPOCHS of each run and their ratio, then the median over seeds.

    python -m benchmarks.digits_speed --recipes     (about 15 minutes on 2 cores)

writes digits_speed_recipes instead: the rows of 1. alone, for a host whose other rows are
already known (on an x86 CPU without bfloat16 instructions, where the recipes train in
float32).

    python -m benchmarks.digits_speed --evaluation  (about 2 minutes on 2 cores)

writes digits_speed_evaluation instead: the main job's network reading its validation digits
(as after every epoch) in batches of several sizes, on one torch thread and on two.

    python -m benchmarks.digits_speed --device cuda   (on a GPU; scripts/device-speed.sh)

writes digits_speed_cuda instead: the recipe rows of 1. on that device, then the Table 1
grid's time there (:func:`grid_slice`): Table 1's methods at one sigma and one seed, side by
side as ``mibias table1 --workers N`` runs them, and the full grid (the paper's 7 sigmas x 3
seeds, 21 such slices) estimated from it.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Subset

from benchmarks.common import DIGITS_K, ERM_WITHOUT_ESTIMATOR, write_results
from benchmarks.digits_accuracy import PUBLISHED_ROW
from mibias.audit.estimates import held_out_estimate, train_estimator
from mibias.data.colored_mnist import SIGMAS, ColoredMNIST, make_colored_mnist
from mibias.estimators import make_estimator
from mibias.experiments.digits import prepare_digits, to_dataset
from mibias.experiments.digits_recipe import (
    FC_TERM,
    MAIN_JOB,
    TABLE1_SEEDS,
    DigitsRun,
    preset_lambda,
)
from mibias.experiments.table1 import digits_jobs
from mibias.io import InputError
from mibias.models.digits import DigitEncoder, digit_classifier
from mibias.run_folder import read_metrics
from mibias.settings import from_settings
from mibias.sweep import run_grid
from mibias.training import MITrainer, OptimizerConfig, TrainerConfig
from mibias.training.config import resolve_device

COMMAND = "python -m benchmarks.digits_speed"
# Table 1's rows (the methods with a published row: the paper's baselines and MI backprop),
# whose grid --device times
TABLE1_METHODS = tuple(PUBLISHED_ROW)
EPOCHS = 4  # the first is the untimed warm-up
ERM = ERM_WITHOUT_ESTIMATOR
# per recipe, the runs that take turns, one epoch each (HSIC's lambda was chosen for the main
# job); the first is the ERM every ratio is to
RECIPES = {
    "Table 1 (fc z, all training digits)": (
        FC_TERM,
        {"ERM": ERM, f"MI backprop, K={FC_TERM['k']}": {"method": "mi"}},
    ),
    "Table 1, conv term (conv z, all training digits)": (
        {},
        {"ERM": ERM, f"MI backprop, K={DIGITS_K}": {"method": "mi"}},
    ),
    "main job (conv z, 20,000 digits)": (
        MAIN_JOB,
        {
            "ERM": ERM,
            f"MI backprop, K={DIGITS_K}": {"method": "mi"},
            "HSIC penalty": {"method": "hsic"},
        },
    ),
}


# what the recipe rows are, in every table that has them
RECIPE_ROWS = (
    "training epochs (evaluation not included) of `mibias digits` runs at sigma 0.020 with the "
    "recipe's settings in this CPU's precision (bf16, but float32 on an x86 CPU without bf16 "
    "instructions; mibias.training.precision), ERM without the estimator; a recipe's runs train in "
    f"turns in one process, one epoch each, {EPOCHS} turns, the first untimed; ratio_to_erm is "
    "the median of each epoch's ratio to ERM's epoch of the same turn; the runs train "
    "normally (divergence checks on)."
)


def make_trainer(k: int, lam: float = 1.0, **settings) -> MITrainer:
    torch.manual_seed(0)
    estimator = make_estimator("mine", 64, 24, groups=(8, 8, 8)) if k > 0 else None
    config = TrainerConfig(
        lam=lam if k > 0 else 0.0,
        k=k,
        epochs=1,
        progress=False,
        tensorboard=False,
        model_optimizer=OptimizerConfig(lr=1e-3),
        estimator_optimizer=OptimizerConfig(lr=1e-4),
        **settings,
    )
    return MITrainer(DigitEncoder(), digit_classifier(), estimator, config)


def recipe_epochs(data: ColoredMNIST, device: str = "auto") -> list[dict]:
    """Per recipe, its runs built in this process and trained in turns, one epoch each: epoch
    e of every run trains between epochs e - 1 and e + 1 of the others, so a change in the
    machine's speed reaches them alike. Per run, the median of epochs 2-``EPOCHS`` and the
    median of its ratio to ERM's epoch of the same turn. ``device``: where they train (the
    recipes' ``auto``: a GPU where there is one)."""
    rows = []
    for recipe, (preset, runs) in RECIPES.items():
        prepared = {
            scheme: prepare_digits(
                from_settings(
                    DigitsRun,
                    {
                        **preset,
                        **settings,
                        "lam": preset_lambda(settings["method"], preset.get("lam")),
                        "epochs": EPOCHS,
                        "progress": False,
                        "device": device,
                    },
                ),
                None,
                data,
            )
            for scheme, settings in runs.items()
        }
        epochs: dict[str, list[dict]] = {scheme: [] for scheme in prepared}
        for epoch in range(1, EPOCHS + 1):
            for scheme, run in prepared.items():
                epochs[scheme].append(run.trainer.train_epoch(epoch, run.train_loader))
        erm = [row["epoch_seconds"] for row in epochs[next(iter(runs))][1:]]
        for scheme, history in epochs.items():
            timed = [row["epoch_seconds"] for row in history[1:]]
            rows.append(
                {
                    "recipe": recipe,
                    "scheme": scheme,
                    "measured": f"median of epochs 2-{EPOCHS} (min {min(timed):.1f}, max "
                    f"{max(timed):.1f})",
                    "seconds_per_epoch": statistics.median(timed),
                    "train_accuracy": history[-1]["train_accuracy"],
                    "ratio_to_erm": statistics.median(
                        t / e for t, e in zip(timed, erm, strict=True)
                    ),
                }
            )
    return rows


def literal_vs_pool(train) -> list[dict]:
    """Algorithm 1 read literally against the pool scheme (float32, fc z, clip z), each over
    the same 60 model steps as a float32 ERM, scaled to an epoch."""
    steps = 60
    probe = to_probe(train)
    subset = Subset(train, range(steps * 128))
    rows: list[dict] = []
    erm_seconds = None
    for label, k, settings in (
        ("ERM (K=0), float32", 0, {}),
        ("MI K=40, Algorithm 1 literal (fresh batch through g per step), clip z", 40,
         {"estimator_features": "fresh", "clip": "z"}),
        ("MI K=40, pool, compiled, clip z", 40, {"clip": "z"}),
    ):  # fmt: skip
        trainer = make_trainer(k, **settings)
        trainer.fit(DataLoader(Subset(train, range(128)), batch_size=128))  # compile first
        history = trainer.fit(DataLoader(subset, batch_size=128, shuffle=True))
        per_epoch = history[-1]["epoch_seconds"] / steps * len(train) / 128
        erm_seconds = erm_seconds or per_epoch
        rows.append(
            {
                "scheme": label,
                "measured": f"{steps} model steps, scaled to an epoch",
                "seconds_per_epoch": per_epoch,
                "ratio_to_erm": per_epoch / erm_seconds,
                **(estimate_quality(trainer, *probe) if k else {}),
            }
        )
    return rows


def to_probe(train, n: int = 6000):
    x, _, c = train[:n]
    return x, c


def estimate_quality(trainer: MITrainer, x, c) -> dict[str, float]:
    """The trainer's estimator vs a new one trained on the same frozen features."""
    with torch.no_grad():
        trainer.encoder.eval()
        z = torch.cat([trainer.encoder(chunk) for chunk in x.split(1000)])
        trainer.encoder.train()
    cut = 4000
    own = held_out_estimate(trainer.estimator, z[cut:], c[cut:], 128, seed=0)
    torch.manual_seed(0)
    fresh = make_estimator("mine", 64, 24, groups=(8, 8, 8))
    train_estimator(fresh, z[:cut], c[:cut], 2000, 128, 1e-3, seed=0, select=True)
    return {"trainer_mi": own, "fresh_mi": held_out_estimate(fresh, z[cut:], c[cut:], 128, 0)}


def precision_layouts() -> list[dict]:
    x = torch.randint(0, 256, (128, 3, 28, 28), dtype=torch.uint8)
    rows = []
    base = None
    for label, bf16, channels_last in (
        ("float32", False, False),
        ("bf16 autocast", True, False),
        ("channels-last", False, True),
        ("channels-last + bf16 autocast", True, True),
    ):
        torch.manual_seed(0)
        encoder = DigitEncoder()
        inputs = x
        if channels_last:
            encoder = encoder.to(memory_format=torch.channels_last)
            inputs = x.contiguous(memory_format=torch.channels_last)

        for _ in range(3):
            encoder_step(encoder, inputs, bf16)
        started = time.perf_counter()
        for _ in range(20):
            encoder_step(encoder, inputs, bf16)
        ms = (time.perf_counter() - started) / 20 * 1000
        base = base or ms
        rows.append(
            {
                "scheme": f"encoder fwd+bwd, {label}",
                "measured": "20 steps, batch 128",
                "ms_per_step": ms,
                "ratio_to_erm": ms / base,
            }
        )
    return rows


# the batch sizes --evaluation reads the validation digits in (1,000: the loaders' batch before
# the network's own, 128) and the torch threads it reads them on (the main job's runs: one each)
EVALUATION_BATCHES = (1000, 500, 256, 128, 64)
EVALUATION_THREADS = (1, 2)


def evaluation_batches(data: ColoredMNIST, repeats: int = 3) -> list[dict]:
    """The main job's MI run (untrained) reading its validation digits under its own colour
    rule, as every epoch does, in batches of each of :data:`EVALUATION_BATCHES` on each of
    :data:`EVALUATION_THREADS`: the median of ``repeats`` passes after an untimed one, and the
    accuracy each batch size reads (the same digits, so it should not move)."""
    run = prepare_digits(
        from_settings(DigitsRun, {**MAIN_JOB, "method": "mi", "progress": False}), None, data
    )
    digits = run.evaluations["validation"].dataset
    threads = torch.get_num_threads()
    rows = []
    try:
        for count in EVALUATION_THREADS:
            torch.set_num_threads(count)
            base = None
            for batch in EVALUATION_BATCHES:
                loader = DataLoader(digits, batch_size=batch)
                accuracy = run.trainer.evaluate(loader)["accuracy"]
                times = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    run.trainer.evaluate(loader)
                    times.append(time.perf_counter() - started)
                seconds = statistics.median(times)
                base = base or seconds
                rows.append(
                    {
                        "torch_threads": count,
                        "batch": batch,
                        "digits": len(digits),
                        "seconds": seconds,
                        "ratio_to_first_batch": seconds / base,
                        "accuracy": accuracy,
                    }
                )
    finally:
        torch.set_num_threads(threads)
    return rows


def digits_run_memory() -> dict:
    """Peak resident memory of one `mibias digits` run (full data, one epoch, the defaults)."""
    with tempfile.TemporaryDirectory() as out:
        command = [sys.executable, "-m", "mibias", "digits", "--sigma", "0.02", "--epochs", "1"]
        subprocess.run([*command, "--out", out], check=True, capture_output=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "scheme": "peak resident memory, mibias digits --sigma 0.02 --epochs 1 (MiB)",
        "measured": f"{peak:.0f}",
    }


def encoder_step(encoder: DigitEncoder, inputs: torch.Tensor, bf16: bool) -> None:
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        loss = encoder(inputs).float().square().mean()
    loss.backward()


def sweep_pairs(seeds: tuple[int, ...] = (0, 1, 2)) -> list[dict]:
    """ERM and MI backprop at the main job's recipe, one pair per seed, each pair two
    processes of the sweep runner side by side (one torch thread each on 2 cores)."""
    preset = {**MAIN_JOB, "epochs": EPOCHS, "leakage_steps": 200}
    rows = []
    for seed in seeds:
        jobs = [
            *digits_jobs(["erm"], [0.02], [seed], **{**preset, **ERM}),
            *digits_jobs(["mi"], [0.02], [seed], **preset),
        ]
        with tempfile.TemporaryDirectory() as out:
            run_grid(jobs, out, workers=2)
            timed = {
                job.settings["method"]: statistics.median(
                    row["epoch_seconds"] for row in read_metrics(Path(out) / job.key)[1:]
                )
                for job in jobs
            }
        rows.append(
            {
                "seed": seed,
                "ERM, s per epoch": timed["erm"],
                f"MI backprop (K={DIGITS_K}), s per epoch": timed["mi"],
                "ratio_to_erm": timed["mi"] / timed["erm"],
            }
        )
    rows.append(
        {"seed": "median", "ratio_to_erm": statistics.median(r["ratio_to_erm"] for r in rows)}
    )
    return rows


def grid_slice(device: str, workers: int, seed: int = 0, **settings) -> list[dict]:
    """The Table 1 grid's time on ``device``, from one slice of it: every method of
    :data:`TABLE1_METHODS` at sigma 0.020 and ``seed``, ``workers`` runs at a time as ``mibias
    table1 --workers`` runs them (the methods' own recipes, each run to its end: evaluation and
    leakage audit included). One row per run (its median epoch and its training seconds) and
    one for the slice: its wall time and the full grid's estimate, the paper's ``len(SIGMAS)``
    sigmas x ``TABLE1_SEEDS`` seeds (``mibias table1``'s default) taken as that many slices of
    this one's length (every sigma trains on as many digits for as many epochs).
    ``settings`` (a ``limit``, fewer ``epochs``) shrink the runs for a check of the plumbing."""
    jobs = digits_jobs(TABLE1_METHODS, [0.02], [seed], device=device, **settings)
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        run_grid(jobs, out, workers=workers)
        wall = time.perf_counter() - started
        epochs = {job.settings["method"]: read_metrics(Path(out) / job.key) for job in jobs}
    rows: list[dict] = [
        {
            "scheme": f"Table 1 grid slice: {method}, sigma 0.020, seed {seed}",
            "measured": f"{len(history)} epochs, {workers} runs at a time",
            "seconds_per_epoch": statistics.median(row["epoch_seconds"] for row in history),
            "training_seconds": sum(row["epoch_seconds"] for row in history),
        }
        for method, history in epochs.items()
    ]
    slices = len(SIGMAS) * TABLE1_SEEDS
    rows.append(
        {
            "scheme": f"Table 1 grid slice ({len(jobs)} runs), wall time",
            "measured": f"{workers} runs at a time",
            "wall_seconds": wall,
            f"full grid ({slices} slices, {slices * len(jobs)} runs), estimated s": slices * wall,
        }
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--sweep", action="store_true", help="time the main job's pair as the sweep runs it"
    )
    parser.add_argument(
        "--device",
        help="time the recipes and a Table 1 grid slice on this device (cuda, cuda:N) only",
    )
    parser.add_argument(
        "--workers", type=int, default=len(TABLE1_METHODS), help="grid runs at a time (--device)"
    )
    parser.add_argument(
        "--layouts",
        action="store_true",
        help="time only the encoder's step in each precision and layout (this CPU's table)",
    )
    parser.add_argument(
        "--recipes",
        action="store_true",
        help="time only the recipes' epochs (the table's first rows), as a table of their own",
    )
    parser.add_argument(
        "--evaluation",
        action="store_true",
        help="time only the main job's reading of its validation digits at each batch size",
    )
    args = parser.parse_args()
    if args.evaluation:
        write_results(
            "digits_speed_evaluation",
            f"{COMMAND} --evaluation",
            evaluation_batches(make_colored_mnist(0.02)),
            "The main job's MI run as `mibias quickstart` builds it (untrained, this CPU's "
            "precision and layout) reading its 10,000 validation digits (MITrainer.evaluate, "
            "as after every epoch) in batches of each size; seconds: the median of 3 passes "
            "after an untimed one; ratio_to_first_batch: to the first row of the same thread "
            "count. The runs of the main job use one torch thread each.",
        )
        return
    if args.recipes:
        write_results(
            "digits_speed_recipes",
            f"{COMMAND} --recipes",
            recipe_epochs(make_colored_mnist(0.02)),
            RECIPE_ROWS,
        )
        return
    if args.layouts:
        write_results(
            "digits_speed_layouts",
            f"{COMMAND} --layouts",
            precision_layouts(),
            "The digit network's forward and backward pass (fc z, batch 128, after 3 untimed "
            "steps), mean of 20 steps, bf16 asked of autocast whatever the CPU (the trainer "
            "itself runs float32 where it has no bf16 instructions, mibias.training.precision); "
            "ratio_to_erm: to the float32 step of the same run.",
        )
        return
    if args.device:
        try:
            device = str(resolve_device(args.device))
        except InputError as error:
            parser.error(str(error))
        name = f"digits_speed_{device.replace(':', '')}"
        rows = recipe_epochs(make_colored_mnist(0.02), device)
        rows += grid_slice(device, args.workers)
        write_results(
            name,
            f"{COMMAND} --device {args.device} --workers {args.workers}",
            rows,
            f"Recipe rows on {device}: training epochs of `mibias digits` runs at sigma 0.020 "
            f"with the recipe's settings, trained in turns, {EPOCHS} turns, the first untimed; "
            "ratio_to_erm is the median of each epoch's ratio to ERM's of the same turn. Grid "
            "rows: Table 1's methods side by side at sigma 0.020, seed 0, each run whole; the "
            "full grid's estimate is that many slices of this one's wall time.",
        )
        return
    if args.sweep:
        write_results(
            "digits_speed_sweep",
            f"{COMMAND} --sweep",
            sweep_pairs(),
            "The main job's recipe (20,000 digits, conv term, bf16, channels-last) at sigma "
            f"0.020, {EPOCHS} epochs per run, the first untimed: per seed, ERM (no estimator) "
            "and MI backprop run side by side as the sweep runner runs them (`mibias "
            "quickstart`, `table1 --workers 2`: two processes, one torch thread each); each "
            f"time is the run's median of epochs 2-{EPOCHS}, the runs train normally.",
        )
        return
    data = make_colored_mnist(0.02)
    rows = recipe_epochs(data)
    rows += literal_vs_pool(to_dataset(data.train_images, data.train_labels, "onehot"))
    rows += precision_layouts()
    rows.append(digits_run_memory())
    write_results(
        "digits_speed",
        COMMAND,
        rows,
        f"Recipe rows: {RECIPE_ROWS} The other rows: float32, fc z. The literal Algorithm 1 "
        "and the matching pool row are timed over 60 model steps beside an ERM over the same "
        "steps and scaled to an epoch. "
        "trainer_mi: the run's own estimator on 2,000 held-out training digits' features after "
        "those 60 steps; fresh_mi: a new estimator trained for 2,000 steps on 4,000 other "
        "digits' features (same encoder), read on the same 2,000.",
    )


if __name__ == "__main__":
    main()
