"""The tools that work on any data or run folder: ``audit``, ``data`` and ``select``."""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from pathlib import Path
from typing import Any

from mibias.audit import audit_leakage
from mibias.cli.common import add_probes_option, probe_kinds
from mibias.cli.status import EXIT_DAMAGED
from mibias.estimators import ESTIMATORS
from mibias.io import InputError, load_array

# the data sets `mibias data` fetches and verifies
DATASETS = ("mnist", "adult", "german", "words")


def add_tool_commands(commands: Any) -> None:
    """Register ``audit``, ``data`` and ``select``: options and descriptions on the parsers
    ``mibias.cli.entry.COMMANDS`` lists (``commands``: its ``ListedCommands``)."""
    audit = commands.add_parser(
        "audit",
        description="Estimate I(Z; C) on held-out rows with freshly trained estimators (nats "
        "and bits, spread over restarts) and, for a categorical C, probes' (MLP and linear on "
        "standardised columns, MLP on whitened principal components) held-out accuracy and "
        "balanced accuracy beside the majority-value rate.",
    )
    audit.add_argument("z", help="embedding matrix: .npy, .csv or .pt (rows x features)")
    audit.add_argument("c", help="attribute: labels or a matrix, .npy, .csv or .pt")
    audit.add_argument("--estimator", choices=ESTIMATORS, default="mine")
    # the defaults are audit_leakage's own
    defaults = {name: p.default for name, p in inspect.signature(audit_leakage).parameters.items()}
    audit.add_argument("--restarts", type=int, default=defaults["restarts"], help="estimators")
    audit.add_argument("--steps", type=int, default=defaults["steps"], help="steps per estimator")
    audit.add_argument("--batch-size", type=int, default=defaults["batch_size"])
    audit.add_argument("--lr", type=float, default=defaults["lr"])
    audit.add_argument(
        "--max-dims",
        type=int,
        default=defaults["max_dims"],
        help="a wider Z reaches the estimators as this many principal components",
    )
    audit.add_argument(
        "--patience",
        type=patience_share,
        default=defaults["patience"],
        help="stop an estimator once this share of its steps passes without a gain; "
        "none: every step",
    )
    audit.add_argument("--test-size", type=float, default=defaults["test_size"], help="held out")
    add_probes_option(audit)
    audit.add_argument("--seed", type=int, default=0)
    audit.add_argument("--json", action="store_true", help="print machine-readable JSON")
    audit.set_defaults(handler=run_audit)

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
    select.add_argument("runs", nargs="+", help="run folders (or folders holding run folders)")
    select.add_argument("--fit-tolerance", type=float, default=0.05)
    select.add_argument("--window", type=int, default=3, help="epochs averaged at the end")
    select.add_argument("--json", action="store_true")
    select.set_defaults(handler=run_select)


def patience_share(text: str) -> float | None:
    """``--patience``: a share of the steps, or ``none``."""
    return None if text.lower() == "none" else float(text)


def run_audit(args: argparse.Namespace) -> int:
    """``mibias audit Z C``."""
    result = audit_leakage(
        load_array(args.z),
        load_array(args.c),
        estimator=args.estimator,
        restarts=args.restarts,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        max_dims=args.max_dims,
        test_size=args.test_size,
        patience=args.patience,
        probes=probe_kinds(args.probes),
        seed=args.seed,
        progress=not args.json and sys.stderr.isatty(),
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    print(f"attribute: {result.attribute}")
    print("\n".join(result.lines()))
    return 0


def run_data(args: argparse.Namespace) -> int:
    """``mibias data fetch|verify mnist|adult|german|words|all``."""
    from mibias.data import word_embeddings
    from mibias.data.fetch import FetchError
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
    print(f"{', '.join(names)}: {status}")
    return EXIT_DAMAGED if problems else 0


def run_select(args: argparse.Namespace) -> int:
    """``mibias select RUNS``."""
    from mibias.run_folder import is_run_folder
    from mibias.selection import load_run, select_lambda

    folders = []
    for given in map(Path, args.runs):
        if is_run_folder(given):
            folders.append(given)
        elif given.is_dir():
            folders += sorted(p for p in given.iterdir() if is_run_folder(p))
        else:
            raise InputError(f"{given}: no such run folder")
    if not folders:
        raise InputError("no run folders found (a run folder holds run.json and metrics.csv)")
    try:
        runs = [load_run(folder) for folder in folders]
    except ValueError as error:
        raise InputError(str(error)) from error
    selections = select_lambda(runs, fit_tolerance=args.fit_tolerance, window=args.window)
    if args.json:
        print(json.dumps([s.to_dict() for s in selections], indent=2))
        return 0
    for selection in selections:
        print(f"{selection.group}: chosen lambda = {selection.chosen_lambda:g}")
        for lam, reason in selection.reasons.items():
            print(f"  lambda {lam:g}: {reason}")
    return 0
