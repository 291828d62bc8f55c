"""The fair-classification commands: ``fairness``, ``table3`` and ``figure5``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from mibias.cli.common import (
    add_seeds_option,
    add_sweep_options,
    names,
    numbers,
    seeds,
    sweep_backend,
)
from mibias.experiments.fairness_recipe import EXPERIMENT, GERMAN_ONLY, PER_JOB, FairnessRun
from mibias.io import InputError
from mibias.methods import check_settings_apply, methods_of
from mibias.settings import add_options, given_settings, option_flag


def add_fairness_commands(commands: Any) -> None:
    """Register the fairness sub-commands: options and descriptions on the parsers
    ``mibias.cli.entry.COMMANDS`` lists (``commands``: its ``ListedCommands``)."""
    known = methods_of(EXPERIMENT)

    fairness = commands.add_parser(
        "fairness",
        description="Train one method on Adult or German for --seeds seeds; each run writes "
        "its test predictions (predictions.csv) and metrics (run.json).",
    )
    fairness.add_argument(
        "--dataset", choices=("adult", "german"), default="adult", help="(default: %(default)s)"
    )
    fairness.add_argument("--method", choices=known, default="mi", help="(default: %(default)s)")
    fairness.add_argument("--lambda", dest="lam", type=float, help="default: the method's")
    add_seeds_option(fairness, 10)
    add_sweep_options(fairness, workers=2)
    fairness.add_argument("--out", default="runs/fairness")
    _add_run_settings(fairness)
    fairness.set_defaults(handler=run_fairness_command)

    table3 = commands.add_parser(
        "table3",
        description="Runs methods x datasets x runs (finished runs are skipped) and writes "
        "table3.md / table3.csv / table3.png.",
    )
    table3.add_argument("--methods", help=f"comma-separated (default all: {', '.join(known)})")
    table3.add_argument(
        "--datasets", default="adult,german", help="comma-separated (default: %(default)s)"
    )
    add_seeds_option(table3, 10)
    table3.add_argument("--lambda", dest="lam", type=float, help="default: each method's")
    add_sweep_options(table3, workers=2)
    table3.add_argument("--out", default="runs/table3")
    _add_run_settings(table3)
    table3.set_defaults(handler=run_table3)

    figure5 = commands.add_parser("figure5")
    figure5.add_argument(
        "--lambdas",
        default="0,0.1,0.25,0.5,0.75,1",
        help="comma-separated weights (default: %(default)s)",
    )
    figure5.add_argument(
        "--method", choices=("mi", "mi-eo", "mi-eodds"), default="mi", help="(default: %(default)s)"
    )
    figure5.add_argument(
        "--dataset", choices=("adult", "german"), default="german", help="(default: %(default)s)"
    )
    add_seeds_option(figure5, 10)
    add_sweep_options(figure5, workers=2)
    figure5.add_argument("--out", default="runs/figure5")
    _add_run_settings(figure5)
    figure5.set_defaults(handler=run_figure5)


def _add_run_settings(parser: argparse.ArgumentParser) -> None:
    add_options(parser, FairnessRun, skip=PER_JOB, title="run settings")


def _settings(args: argparse.Namespace, methods: list[str], datasets: list[str]) -> dict[str, Any]:
    """The ``FairnessRun`` settings the user set; an error for one (``--lambda`` included)
    that none of ``methods`` reads, or that only German credit reads where ``datasets`` do
    not include it."""
    settings = given_settings(args, FairnessRun, skip=PER_JOB)
    weighed = ["lam"] if getattr(args, "lam", None) is not None else []
    check_settings_apply(EXPERIMENT, methods, [*settings, *weighed], FairnessRun)
    german = [name for name in GERMAN_ONLY if name in settings]
    if german and "german" not in datasets:
        raise InputError(
            f"{option_flag(FairnessRun, german[0])} applies to German credit only; leave it "
            f"out for --dataset {' and '.join(datasets)}"
        )
    return settings


def run_fairness_command(args: argparse.Namespace) -> int:
    """``mibias fairness``: one method on one data set."""
    return _run_table3(args, [args.method], [args.dataset])


def run_table3(args: argparse.Namespace) -> int:
    """``mibias table3``."""
    from mibias.experiments.fairness import DATASETS

    known = methods_of(EXPERIMENT)
    methods = names(args.methods, "methods", known) if args.methods else known
    return _run_table3(args, methods, names(args.datasets, "datasets", DATASETS))


def _run_table3(args: argparse.Namespace, methods: list[str], datasets: list[str]) -> int:
    from mibias.experiments.fairness import table3

    print(
        table3(
            args.out,
            methods=methods,
            datasets=datasets,
            seeds=seeds(args),
            workers=args.workers,
            ray=sweep_backend(args),
            lam=args.lam,
            **_settings(args, methods, datasets),
        )
    )
    return 0


def run_figure5(args: argparse.Namespace) -> int:
    """``mibias figure5``."""
    from mibias.experiments.fairness import figure5

    path, summary = figure5(
        args.out,
        lams=numbers(args.lambdas, "--lambdas"),
        seeds=seeds(args),
        method=args.method,
        dataset=args.dataset,
        workers=args.workers,
        ray=sweep_backend(args),
        **_settings(args, [args.method], [args.dataset]),
    )
    print(json.dumps(summary.round(4).to_dict(orient="records"), indent=2))
    print(f"wrote {path}")
    return 0
