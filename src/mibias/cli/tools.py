"""The tools that work on data and run folders: ``data`` and ``select``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mibias.cli.status import EXIT_DAMAGED
from mibias.io import InputError

# the data sets `mibias data` fetches and verifies
DATASETS = ("mnist", "adult", "german", "words")


def add_tool_commands(commands: Any) -> None:
    """Register ``data`` and ``select``: options and descriptions on the parsers
    ``mibias.cli.entry.COMMANDS`` lists (``commands``: its ``ListedCommands``)."""
    data = commands.add_parser("data")
    data_commands = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    for action, text in (("fetch", "download ahead of time"), ("verify", "re-check hashes")):
        sub = data_commands.add_parser(action, help=f"{text}: {', '.join(DATASETS)} or all")
        sub.add_argument("name", choices=(*DATASETS, "all"))
        sub.add_argument("--data-home", help="data folder (default $MIBIAS_DATA)")
        sub.set_defaults(handler=run_data)

    select = commands.add_parser(
        "select",
        description="Picks, per group of runs that differ only in lambda and seed (one per "
        "sigma in a Table 1 grid), the largest lambda whose runs still fit the training data "
        "while their MI estimate goes down (the paper's validation-free model selection).",
    )
    select.add_argument(
        "runs",
        nargs="+",
        help="run folders, or folders holding run folders at any depth (a grid's --out)",
    )
    select.add_argument(
        "--fit-tolerance",
        type=float,
        default=0.05,
        help="a lambda fits when its train accuracy is within this of the group's best "
        "(default: %(default)s)",
    )
    select.add_argument(
        "--window", type=int, default=3, help="epochs averaged at the end (default: %(default)s)"
    )
    select.add_argument("--json", action="store_true", help="print machine-readable JSON")
    select.set_defaults(handler=run_select)


def run_data(args: argparse.Namespace) -> int:
    """``mibias data fetch|verify mnist|adult|german|words|all``."""
    from mibias.data import word_embeddings
    from mibias.data.fetch import FetchError, data_home
    from mibias.data.mnist import load_mnist, verify_mnist
    from mibias.data.uci import load_fairness_data, verify_uci

    names = DATASETS if args.name == "all" else (args.name,)
    if args.data_command == "fetch":
        for name in names:
            try:
                if name == "mnist":
                    load_mnist(args.data_home)
                elif name == "words":
                    word_embeddings.fetch_word_embeddings(args.data_home)
                else:
                    load_fairness_data(name, args.data_home)
            except FetchError as error:
                raise InputError(str(error)) from error
            print(f"{name}: ready")
        print(f"in {data_home(args.data_home)}")
        return 0
    problems = verify_mnist(args.data_home) if "mnist" in names else []
    if "words" in names:
        problems += word_embeddings.verify_word_embeddings(args.data_home)
    if {"adult", "german"} & set(names):
        problems += [
            problem
            for problem in verify_uci(args.data_home)
            if any(name in problem for name in names)
        ]
    for problem in problems:
        print(f"damaged: {problem}", file=sys.stderr)
    status = "FAILED" if problems else "all cached files match their sha256"
    print(f"{', '.join(names)}: {status}, in {data_home(args.data_home)}")
    return EXIT_DAMAGED if problems else 0


def run_select(args: argparse.Namespace) -> int:
    """``mibias select RUNS``."""
    from mibias.run_folder import METRICS, SUMMARY, is_run_folder, read_json
    from mibias.selection import load_run, select_lambda

    folders = []
    for given in map(Path, args.runs):
        if is_run_folder(given):
            folders.append(given)
        elif given.is_dir():  # a grid's --out holds its runs one level further down
            folders += sorted(summary.parent for summary in given.rglob(SUMMARY))
        else:
            raise InputError(f"{given}: no such run folder")
    if not folders:
        raise InputError("no run folders found (a run folder holds run.json and metrics.csv)")
    unfinished = [f for f in folders if read_json(f / SUMMARY).get("status") == "running"]
    if unfinished:
        print(
            f"mibias select: leaving out {len(unfinished)} unfinished run(s), interrupted or "
            f"still training: {', '.join(map(str, unfinished[:3]))}"
            f"{' ...' if len(unfinished) > 3 else ''}",
            file=sys.stderr,
        )
        folders = [folder for folder in folders if folder not in unfinished]
        if not folders:
            raise InputError("no finished run to choose from")
    unlogged = [folder for folder in folders if not (folder / METRICS).exists()]
    if unlogged:
        raise InputError(
            f"{unlogged[0]}{f' and {len(unlogged) - 1} more' if len(unlogged) > 1 else ''}: "
            "a run without per-epoch training logs (metrics.csv); select reads those of "
            "digits and imdb runs (table1, figure4, table2), not the runs of fairness grids"
        )
    try:
        runs = [load_run(folder) for folder in folders]
    except ValueError as error:
        raise InputError(str(error)) from error
    try:
        selections = select_lambda(runs, fit_tolerance=args.fit_tolerance, window=args.window)
    except ValueError as error:  # named by the parameter: say the option's name
        name, said = str(error).split(" ", 1)
        raise InputError(f"--{name.replace('_', '-')} {said}") from error
    if args.json:
        print(json.dumps([s.to_dict() for s in selections], indent=2))
        return 0
    for selection in selections:
        print(
            f"{selection.group}: chosen lambda = {selection.chosen_lambda:g}"
            if selection.meets_rule
            else f"{selection.group}: no lambda fits and drives the MI estimate down; the "
            f"smallest, lambda = {selection.chosen_lambda:g}, is the fallback"
        )
        for lam, reason in selection.reasons.items():
            print(f"  lambda {lam:g}: {reason}")
    return 0
