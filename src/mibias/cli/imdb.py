"""The IMDB faces commands: ``imdb`` (one run) and ``table2``."""

from __future__ import annotations

import argparse
from typing import Any

from mibias.cli.common import (
    add_seeds_option,
    add_sweep_options,
    leakage_clause,
    names,
    say_when_nothing_to_resume,
    seeds,
    sweep_backend,
)
from mibias.experiments.imdb_recipe import EXPERIMENT, PER_JOB, ImdbRun
from mibias.io import InputError
from mibias.methods import check_settings_apply
from mibias.settings import add_options, from_settings, given_settings


def add_imdb_commands(commands: Any) -> None:
    """Register the IMDB sub-commands: options and descriptions on the parsers
    ``mibias.cli.entry.COMMANDS`` lists (``commands``: its ``ListedCommands``)."""
    imdb = commands.add_parser(
        "imdb",
        description="Train on EB1 or EB2 and evaluate on the other biased split and the "
        "unbiased test split after every epoch. Needs the IMDB-WIKI crops (imdb_crop) and the "
        "[vision] extra.",
    )
    imdb.add_argument("--out", default="runs/imdb")
    imdb.add_argument("--resume", action="store_true", help="continue from --out's checkpoint")
    _add_run_settings(imdb)
    imdb.set_defaults(handler=run_imdb_command)

    table2 = commands.add_parser(
        "table2",
        description="Runs (eb1, eb2) x methods x seeds (finished runs are skipped) and writes "
        "table2.md / table2.csv.",
    )
    table2.add_argument(
        "--methods", default="erm,alvi,kim,mi", help="comma-separated (default: %(default)s)"
    )
    add_seeds_option(table2, 1)
    table2.add_argument("--out", default="runs/table2")
    add_sweep_options(table2, workers=1)
    _add_run_settings(table2, skip=PER_JOB)
    table2.set_defaults(handler=run_table2)


def _add_run_settings(parser: argparse.ArgumentParser, skip: tuple[str, ...] = ()) -> None:
    add_options(parser, ImdbRun, skip=skip, title="run settings (defaults: the authors')")


def _settings(args: argparse.Namespace, methods: list[str]) -> dict[str, Any]:
    """The ``ImdbRun`` settings the user set; an error for one that none of ``methods`` reads."""
    settings = given_settings(args, ImdbRun)
    check_settings_apply(EXPERIMENT, methods, settings, ImdbRun)
    subsample = settings.get("subsample")
    if subsample is not None and subsample < 0:
        raise InputError(f"--subsample must be 0 (all) or positive, got {subsample}")
    if subsample == 0:
        settings["subsample"] = None
    return settings


def run_imdb_command(args: argparse.Namespace) -> int:
    """``mibias imdb``."""
    from mibias.experiments.imdb import run_imdb
    from mibias.methods import METHODS

    run = from_settings(ImdbRun, _settings(args, [getattr(args, "method", ImdbRun.method)]))
    say_when_nothing_to_resume(args)
    last = run_imdb(run, args.out, resume=args.resume)[-1]
    print(
        f"epoch {int(last['epoch'])}: accuracy on {run.train} (train) "
        f"{last['train_accuracy']:.4f}, on the other biased split {last['other_accuracy']:.4f}, "
        f"on the test split {last['test_accuracy']:.4f}; {METHODS[run.method].measure} "
        f"{last['mi']:.4f}" + leakage_clause(last, "age group", "the test split")
    )
    return 0


def run_table2(args: argparse.Namespace) -> int:
    """``mibias table2``."""
    from mibias.experiments.imdb import table2
    from mibias.methods import methods_of

    methods = names(args.methods, "methods", methods_of(EXPERIMENT))
    settings = _settings(args, methods)
    print(
        table2(
            args.out,
            data=settings.pop("data"),
            methods=methods,
            seeds=seeds(args),
            workers=args.workers,
            ray=sweep_backend(args),
            **settings,
        )
    )
    return 0
