"""The Colored MNIST commands: ``digits`` (one run), ``table1``, ``figure4`` and
``quickstart`` (the README's main job)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from mibias.cli.common import (
    add_seeds_option,
    add_sweep_options,
    leakage_clause,
    names,
    numbers,
    say_when_nothing_to_resume,
    seeds,
    sweep_backend,
)
from mibias.experiments.digits_recipe import (
    EXPERIMENT,
    FC_TERM,
    KIM_SCHEDULE,
    MAIN_JOB,
    TABLE1_SEEDS,
    DigitsRun,
    preset_lambda,
)
from mibias.methods import METHODS, check_settings_apply, methods_of
from mibias.settings import add_options, from_settings, given_settings

# the run settings a Colored MNIST sweep sets itself (per job, or by its own plural options)
SWEPT = ("sigma", "method", "seed", "progress")


def add_colored_mnist_commands(commands: Any) -> None:
    """Register the Colored MNIST sub-commands: options and descriptions on the parsers
    ``mibias.cli.entry.COMMANDS`` lists (``commands``: its ``ListedCommands``)."""
    digits = commands.add_parser(
        "digits",
        description="Train the authors' digit network on Colored MNIST with ERM or MI backprop; "
        "writes per-epoch metrics (unbiased validation accuracy, train accuracy, MI estimate) "
        "and, after the last epoch, unbiased test accuracy and the colour left in z.",
    )
    digits.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    digits.add_argument("--out", required=True, help="output folder")
    add_digits_settings(digits)
    digits.set_defaults(handler=run_digits_command)

    table1 = commands.add_parser(
        "table1",
        description="Runs sigmas x methods x seeds in parallel processes (finished runs are "
        "skipped) and writes table1.md / table1.csv with the published rows.",
    )
    table1.add_argument(
        "--methods",
        default="erm,mi",
        help=f"comma-separated: {', '.join(methods_of(EXPERIMENT))}",
    )
    table1.add_argument("--sigmas", help="comma-separated variances (default: the paper's 7)")
    add_seeds_option(table1, TABLE1_SEEDS)
    table1.add_argument(
        "--quick",
        action="store_true",
        help="a smoke check: 3 sigmas, 1 seed, 2 epochs (inside the lambda warm-up), 10k digits",
    )
    add_sweep_options(table1, workers=1)
    table1.add_argument("--out", default="runs/table1")
    add_digits_settings(table1, skip=SWEPT)
    table1.set_defaults(handler=run_table1)

    figure4 = commands.add_parser("figure4")
    figure4.add_argument(
        "--sigmas", default="0.030,0.045", help="comma-separated variances (default: %(default)s)"
    )
    figure4.add_argument(
        "--lambdas",
        default="0,0.5,1",
        help="comma-separated weights (default, the paper's: %(default)s)",
    )
    add_seeds_option(figure4, 1)
    add_sweep_options(figure4, workers=1)
    figure4.add_argument("--out", default="runs/figure4")
    add_digits_settings(figure4, skip=(*SWEPT, "lam", "track_mi"))
    figure4.set_defaults(handler=run_figure4)

    quickstart = commands.add_parser(
        "quickstart",
        description="A small real reproduction: ERM and MI backprop at one colour variance and "
        "seed, a table beside the paper's numbers (accuracy and the colour left in z) and the "
        "Figure 4 curves. A short recipe by default (20,000 digits, 5 epochs of the digits "
        "defaults): about 3-4 minutes on 2 CPU cores.",
    )
    quickstart.add_argument("--out", default="runs/quickstart")
    quickstart.add_argument(
        "--workers", type=int, default=2, help="runs trained at once, one process each"
    )
    add_digits_settings(quickstart, skip=("method", "progress", "track_mi"), preset=MAIN_JOB)
    quickstart.set_defaults(handler=run_quickstart)


def add_digits_settings(
    parser: argparse.ArgumentParser,
    skip: Sequence[str] = (),
    preset: dict[str, Any] | None = None,
) -> None:
    """The ``DigitsRun`` settings, one option each (:mod:`mibias.settings`),
    ``--fc-term`` and ``--kim-schedule``; ``preset`` holds the command's own defaults."""
    add_options(parser, DigitsRun, skip=skip, preset=preset)
    parser.add_argument(
        "--fc-term",
        action="store_true",
        help="the MI term on the paper's 64-d FC z with the settings chosen for it (the "
        "defaults until 2026-11-29): "
        + ", ".join(f"{k} {v}" for k, v in FC_TERM.items())
        + " (the lambda is MI backprop's: other methods keep their own); options given "
        "beside it still apply",
    )
    parser.add_argument(
        "--kim-schedule",
        action="store_true",
        help="Kim et al.'s SGD schedule (momentum 0.9, wd 5e-4, lr 0.01 x0.1 every 40 epochs, "
        "100 epochs; --epochs still applies); replaces --lr and --lr-schedule",
    )


def digits_settings(args: argparse.Namespace, methods: Sequence[str]) -> dict[str, Any]:
    """The ``DigitsRun`` settings the user set, over the FC term's and with Kim et al.'s
    schedule where asked for; an error for a setting that none of ``methods`` reads.

    Without ``--lambda``, the FC term's lambda is MI backprop's alone: one method's run takes
    :func:`~mibias.experiments.digits_recipe.preset_lambda`'s, and a grid's jobs each take theirs
    (:func:`~mibias.experiments.table1.digits_jobs`)."""
    given = given_settings(args, DigitsRun)
    check_settings_apply(EXPERIMENT, methods, given, DigitsRun)
    settings = {**(FC_TERM if args.fc_term else {}), **given}
    if args.fc_term and "lam" not in given and len(methods) == 1:
        settings["lam"] = preset_lambda(methods[0], FC_TERM["lam"])
    if args.kim_schedule:
        settings = {
            **settings,
            **KIM_SCHEDULE,
            **{k: v for k, v in settings.items() if k == "epochs"},
        }
    return settings


def run_digits_command(args: argparse.Namespace) -> int:
    """``mibias digits``."""
    from mibias.experiments.digits import run_digits

    run = from_settings(
        DigitsRun, digits_settings(args, [getattr(args, "method", DigitsRun.method)])
    )
    say_when_nothing_to_resume(args)
    history = run_digits(run, args.out, resume=args.resume)
    last = history[-1]
    refits = int(last.get("estimator_refits", 0))
    print(
        f"epoch {int(last['epoch'])}: test accuracy {last['test_accuracy']:.4f}, "
        f"train accuracy {last['train_accuracy']:.4f}, "
        f"{METHODS[run.method].measure} {last['mi']:.4f}"
        + (f" (the estimator was re-fitted {refits} time{'s' * (refits > 1)})" if refits else "")
        + leakage_clause(last, "colour class", "the test digits")
    )
    return 0


def run_table1(args: argparse.Namespace) -> int:
    """``mibias table1``."""
    from mibias.data.colored_mnist import SIGMAS
    from mibias.experiments.table1 import QUICK, table1

    methods = names(args.methods, "methods", methods_of(EXPERIMENT))
    settings = digits_settings(args, methods)
    # --lambda weighs every method; a preset's lambda stays in settings for digits_jobs
    lam = settings.pop("lam") if "lam" in given_settings(args, DigitsRun) else None
    sigmas: list[float] = list(SIGMAS)
    chosen_seeds = seeds(args)
    if args.quick:
        sigmas, chosen_seeds = list(QUICK["sigmas"]), list(QUICK["seeds"])
        settings.setdefault("epochs", QUICK["epochs"])
        settings["limit"] = settings.get("limit") or QUICK["limit"]
    if args.sigmas:
        sigmas = numbers(args.sigmas, "--sigmas")
    text = table1(
        args.out,
        methods=methods,
        sigmas=sigmas,
        seeds=chosen_seeds,
        lams=None if lam is None else (lam,),
        workers=args.workers,
        ray=sweep_backend(args),
        **settings,
    )
    print(text)
    return 0


def run_figure4(args: argparse.Namespace) -> int:
    """``mibias figure4``."""
    from mibias.experiments.figure4 import figure4

    path, _ = figure4(
        args.out,
        sigmas=numbers(args.sigmas, "--sigmas"),
        lams=numbers(args.lambdas, "--lambdas"),
        seeds=seeds(args),
        workers=args.workers,
        ray=sweep_backend(args),
        **digits_settings(args, ["mi"]),
    )
    print(f"wrote {path}")
    return 0


def run_quickstart(args: argparse.Namespace) -> int:
    """``mibias quickstart``."""
    from mibias.experiments.quickstart import quickstart

    print(quickstart(args.out, workers=args.workers, **digits_settings(args, ["mi"])))
    return 0
