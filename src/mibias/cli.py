"""The ``mibias`` command."""

from __future__ import annotations

import argparse
import contextlib
import errno
import inspect
import io
import json
import sys
from collections.abc import Sequence
from typing import Any

from mibias.audit import audit_leakage
from mibias.cli_fairness import add_fairness_commands
from mibias.cli_imdb import add_imdb_commands
from mibias.cli_sweep import add_sweep_options, sweep_backend
from mibias.data.fetch import FetchError
from mibias.estimators import ESTIMATORS
from mibias.experiments.digits import KIM_SCHEDULE, METHOD_ESTIMATORS, DigitsRun
from mibias.io import DamagedFileError, InputError, load_array
from mibias.settings import add_options, given_settings
from mibias.training import DivergenceError
from mibias.training.distributed import (
    init_from_environment,
    is_main_process,
    launched_by_torchrun,
    shutdown,
)
from mibias.version import __version__

DATA_PARALLEL_COMMANDS = frozenset({"digits", "demo", "imdb"})


# exit statuses (README, "Exit statuses"); 1 is left to Python's own uncaught errors
EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
EXIT_DAMAGED = 4
EXIT_CANNOT_WRITE = 5
EXIT_INTERRUPTED = 130
# a full disk, a quota, a read-only folder or file system, a folder without write permission
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mibias`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    finished = False
    try:
        if launched_by_torchrun():
            start_data_parallel(args.command)
        # under torchrun, only rank 0 prints
        quiet = not is_main_process()
        with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext():
            status = int(args.handler(args) or 0)
        finished = True
        return status
    except InputError as error:
        print(f"mibias {args.command}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except DivergenceError as error:
        print(f"mibias {args.command}: {error}", file=sys.stderr)
        return EXIT_DIVERGED
    except DamagedFileError as error:
        print(f"mibias {args.command}: error: {error}", file=sys.stderr)
        return EXIT_DAMAGED
    except FetchError as error:
        places = "; ".join(line.strip() for line in str(error).splitlines() if line.strip())
        print(f"mibias {args.command}: error: {places}", file=sys.stderr)
        return EXIT_DAMAGED
    except OSError as error:
        if error.errno not in WRITE_ERRNOS:
            raise
        print(
            f"mibias {args.command}: error: cannot write {error.filename or 'a file'}: "
            f"{error.strerror}; files written before (the last good checkpoint) are intact",
            file=sys.stderr,
        )
        return EXIT_CANNOT_WRITE
    except KeyboardInterrupt:
        print(f"mibias {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        shutdown(finished)


def start_data_parallel(command: str) -> None:
    """Join torchrun's process group for a recipe that trains one model data parallel."""
    if command not in DATA_PARALLEL_COMMANDS:
        raise InputError(
            f"{command} does not run under torchrun: data parallel is for the single-run "
            f"recipes ({', '.join(sorted(DATA_PARALLEL_COMMANDS))}); sweeps spread their runs "
            "with --workers or --backend ray"
        )
    init_from_environment()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per job."""
    parser = argparse.ArgumentParser(
        prog="mibias",
        description="Representations that carry no information about a bias attribute.",
    )
    parser.add_argument("--version", action="version", version=f"mibias {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    audit = commands.add_parser(
        "audit",
        help="estimate how much a representation leaks an attribute",
        description="Estimate I(Z; C) on held-out rows with freshly trained estimators (nats "
        "and bits, spread over restarts) and, for a categorical C, MLP and linear probes' "
        "held-out accuracy and balanced accuracy beside the majority-value rate.",
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
    audit.add_argument("--test-size", type=float, default=defaults["test_size"], help="held out")
    audit.add_argument(
        "--probes",
        choices=("mlp,logistic", "mlp", "logistic", "none"),
        default="mlp,logistic",
        help="probe classifiers for a categorical C",
    )
    audit.add_argument("--seed", type=int, default=0)
    audit.add_argument("--json", action="store_true", help="print machine-readable JSON")
    audit.set_defaults(handler=run_audit)

    data = commands.add_parser("data", help="fetch or verify datasets")
    data_commands = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    for action, text in (("fetch", "download ahead of time"), ("verify", "re-check hashes")):
        sub = data_commands.add_parser(action, help=f"{text}: mnist, adult, german or all")
        sub.add_argument("name", choices=("mnist", "adult", "german", "all"))
        sub.add_argument("--data-home", help="data folder (default $MIBIAS_DATA)")
        sub.set_defaults(handler=run_data)

    digits = commands.add_parser(
        "digits",
        help="one Colored MNIST run (Table 1 protocol)",
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
        help="Table 1: a grid of Colored MNIST runs and the table beside the paper's",
        description="Runs sigmas x methods x seeds in parallel processes (finished runs are "
        "skipped) and writes table1.md / table1.csv with the published rows.",
    )
    table1.add_argument(
        "--methods", default="erm,mi", help=f"comma-separated: {', '.join(METHOD_ESTIMATORS)}"
    )
    table1.add_argument("--sigmas", help="comma-separated variances (default: the paper's 7)")
    table1.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1")
    table1.add_argument(
        "--quick", action="store_true", help="3 sigmas, 1 seed, 2 epochs, 10k digits"
    )
    add_sweep_options(table1, workers=1)
    table1.add_argument("--out", default="runs/table1")
    add_digits_settings(table1, skip=SWEPT)
    table1.set_defaults(handler=run_table1)

    figure4 = commands.add_parser(
        "figure4", help="Figure 4: MI, validation and train accuracy per epoch for lambda 0, 0.5, 1"
    )
    figure4.add_argument("--sigmas", default="0.030,0.045")
    figure4.add_argument("--lambdas", default="0,0.5,1", help="the paper's: 0, 0.5, 1")
    figure4.add_argument("--seeds", type=int, default=1)
    add_sweep_options(figure4, workers=1)
    figure4.add_argument("--out", default="runs/figure4")
    add_digits_settings(figure4, skip=(*SWEPT, "lam", "track_mi"))
    figure4.set_defaults(handler=run_figure4)

    quickstart = commands.add_parser(
        "quickstart",
        help="the main job: ERM vs MI backprop on Colored MNIST (sigma 0.020), table + figure",
        description="A small real reproduction: ERM and MI backprop at one colour variance and "
        "seed, a table beside the paper's numbers and the Figure 4 curves.",
    )
    quickstart.add_argument("--out", default="runs/quickstart")
    quickstart.add_argument(
        "--workers", type=int, default=2, help="runs trained at once, one process each"
    )
    add_digits_settings(quickstart, skip=("method", "progress", "track_mi"))
    quickstart.set_defaults(handler=run_quickstart)

    select = commands.add_parser(
        "select",
        help="choose lambda from training logs only (no test or validation data)",
        description="Picks, per sigma, the largest lambda whose runs still fit the training data "
        "while their MI estimate goes down (the paper's validation-free model selection).",
    )
    select.add_argument("runs", nargs="+", help="run folders (or folders holding run folders)")
    select.add_argument("--fit-tolerance", type=float, default=0.05)
    select.add_argument("--window", type=int, default=3, help="epochs averaged at the end")
    select.add_argument("--json", action="store_true")
    select.set_defaults(handler=run_select)

    demo = commands.add_parser(
        "demo",
        help="debias a generated task: ERM vs MI backprop, with audits",
        description="Train the same network with lambda = 0 and lambda > 0 on a generated task "
        "with a colour shortcut that flips at test time, then audit both representations.",
    )
    demo.add_argument("--out", default="runs/demo", help="output folder")
    demo.add_argument("--epochs", type=int, default=20)
    demo.add_argument("--lam", type=float, default=1.0)
    demo.add_argument("--seeds", type=int, default=3)
    demo.set_defaults(handler=run_demo)

    add_fairness_commands(commands)
    add_imdb_commands(commands)
    return parser


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
        test_size=args.test_size,
        probes=[] if args.probes == "none" else args.probes.split(","),
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
    """``mibias data fetch|verify mnist|adult|german|all``."""
    from mibias.data.fetch import FetchError
    from mibias.data.mnist import load_mnist, verify_mnist
    from mibias.data.uci import load_fairness_data, verify_uci

    names = ("mnist", "adult", "german") if args.name == "all" else (args.name,)
    if args.data_command == "fetch":
        for name in names:
            try:
                if name == "mnist":
                    load_mnist(args.data_home)
                else:
                    load_fairness_data(name, args.data_home)
            except FetchError as error:
                raise InputError(str(error)) from error
            print(f"{name}: ready")
        return 0
    problems = verify_mnist(args.data_home) if "mnist" in names else []
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


# the run settings a Colored MNIST sweep sets itself (per job, or by its own plural options)
SWEPT = ("sigma", "method", "seed", "progress")


def add_digits_settings(parser: argparse.ArgumentParser, skip: Sequence[str] = ()) -> None:
    """The ``DigitsRun`` settings, one option per field (:mod:`mibias.settings`), and
    ``--kim-schedule``."""
    add_options(parser, DigitsRun, skip=skip)
    parser.add_argument(
        "--kim-schedule",
        action="store_true",
        help="Kim et al.'s SGD schedule (momentum 0.9, wd 5e-4, lr 0.01 x0.1 every 40 epochs, "
        "100 epochs; --epochs still applies); replaces --lr and --lr-schedule",
    )


def digits_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The ``DigitsRun`` fields the user set, with Kim et al.'s schedule where asked for."""
    settings = given_settings(args, DigitsRun)
    if args.kim_schedule:
        settings = {
            **settings,
            **KIM_SCHEDULE,
            **{k: v for k, v in settings.items() if k == "epochs"},
        }
    return settings


def _floats(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise InputError(f"expected comma-separated numbers, got {text!r}") from error


def run_digits_command(args: argparse.Namespace) -> int:
    """``mibias digits``."""
    from mibias.experiments.digits import run_digits

    run = DigitsRun(**digits_settings(args))
    history = run_digits(run, args.out, resume=args.resume)
    last = history[-1]
    print(
        f"epoch {int(last['epoch'])}: test accuracy {last['test_accuracy']:.4f}, "
        f"train accuracy {last['train_accuracy']:.4f}, MI estimate {last['mi']:.4f} nats"
    )
    return 0


def run_table1(args: argparse.Namespace) -> int:
    """``mibias table1``."""
    from mibias.data.colored_mnist import SIGMAS
    from mibias.experiments.table1 import QUICK, table1

    settings = digits_settings(args)
    lam = settings.pop("lam", None)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - set(METHOD_ESTIMATORS)
    if unknown:
        raise InputError(
            f"unknown methods: {', '.join(sorted(unknown))} "
            f"(available: {', '.join(METHOD_ESTIMATORS)})"
        )
    sigmas: list[float] = list(SIGMAS)
    seeds = list(range(args.seeds))
    if args.quick:
        sigmas, seeds = list(QUICK["sigmas"]), list(QUICK["seeds"])
        settings.setdefault("epochs", QUICK["epochs"])
        settings["limit"] = settings.get("limit") or QUICK["limit"]
    if args.sigmas:
        sigmas = _floats(args.sigmas)
    text = table1(
        args.out,
        methods=methods,
        sigmas=sigmas,
        seeds=seeds,
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
        sigmas=_floats(args.sigmas),
        lams=_floats(args.lambdas),
        seeds=list(range(args.seeds)),
        workers=args.workers,
        ray=sweep_backend(args),
        **digits_settings(args),
    )
    print(f"wrote {path}")
    return 0


def run_quickstart(args: argparse.Namespace) -> int:
    """``mibias quickstart``."""
    from mibias.experiments.quickstart import quickstart

    print(quickstart(args.out, workers=args.workers, **digits_settings(args)))
    return 0


def run_select(args: argparse.Namespace) -> int:
    """``mibias select RUNS``."""
    from pathlib import Path

    from mibias.selection import load_run, select_lambda

    folders = []
    for given in map(Path, args.runs):
        if (given / "run.json").exists():
            folders.append(given)
        elif given.is_dir():
            folders += sorted(p.parent for p in given.glob("*/run.json"))
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


def run_demo(args: argparse.Namespace) -> int:
    """``mibias demo``."""
    from mibias.demo import run_demo as demo

    demo(args.out, epochs=args.epochs, lam=args.lam, seeds=args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
