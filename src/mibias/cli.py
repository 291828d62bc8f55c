"""The ``mibias`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import mibias
from mibias.estimators import ESTIMATORS
from mibias.io import InputError, load_array


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mibias`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except InputError as error:
        print(f"mibias {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"mibias {args.command}: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per job."""
    parser = argparse.ArgumentParser(
        prog="mibias",
        description="Representations that carry no information about a bias attribute.",
    )
    parser.add_argument("--version", action="version", version=f"mibias {mibias.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    audit = commands.add_parser(
        "audit",
        help="estimate how much a representation leaks an attribute",
        description="Estimate I(Z; C) on held-out rows (nats and bits, spread over restarts) "
        "and, for a categorical C, a probe classifier's held-out accuracy against chance.",
    )
    audit.add_argument("z", help="embedding matrix: .npy, .csv or .pt (rows x features)")
    audit.add_argument("c", help="attribute: labels or a matrix, .npy, .csv or .pt")
    audit.add_argument("--estimator", choices=ESTIMATORS, default="mine")
    audit.add_argument("--restarts", type=int, default=3, help="independent estimators")
    audit.add_argument("--steps", type=int, default=2000, help="training steps per estimator")
    audit.add_argument("--batch-size", type=int, default=256)
    audit.add_argument("--lr", type=float, default=1e-3)
    audit.add_argument("--test-size", type=float, default=0.3, help="held-out fraction")
    audit.add_argument("--probe", choices=("mlp", "logistic", "none"), default="mlp")
    audit.add_argument("--seed", type=int, default=0)
    audit.add_argument("--json", action="store_true", help="print machine-readable JSON")
    audit.set_defaults(handler=run_audit)

    data = commands.add_parser("data", help="fetch or verify datasets")
    data_commands = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    for action, text in (("fetch", "download ahead of time"), ("verify", "re-check hashes")):
        sub = data_commands.add_parser(action, help=f"{text}: mnist or all")
        sub.add_argument("name", choices=("mnist", "all"))
        sub.add_argument("--data-home", help="data folder (default $MIBIAS_DATA)")
        sub.set_defaults(handler=run_data)

    digits = commands.add_parser(
        "digits",
        help="one Colored MNIST run (Table 1 protocol)",
        description="Train the authors' digit network on Colored MNIST with ERM or MI backprop; "
        "writes per-epoch metrics (unbiased test accuracy, train accuracy, MI estimate).",
    )
    digits.add_argument("--sigma", type=float, default=0.02, help="colour variance")
    digits.add_argument("--method", choices=("erm", "mi"), default="mi")
    digits.add_argument("--lambda", dest="lam", type=float, default=1.0)
    digits.add_argument("--seed", type=int, default=0)
    digits.add_argument("--epochs", type=int, default=10)
    digits.add_argument("--k", type=int, default=40, help="estimator steps per model step")
    digits.add_argument("--batch-size", type=int, default=128)
    digits.add_argument("--lr", type=float, default=1e-3)
    digits.add_argument("--estimator-lr", type=float, default=1e-4)
    digits.add_argument("--estimator", choices=ESTIMATORS, default="mine")
    digits.add_argument("--clip", choices=("param", "global", "z", "none"), default="param")
    digits.add_argument("--mi-step", choices=("joint", "separate"), default="joint")
    digits.add_argument("--feature-pool", type=int, default=8)
    digits.add_argument("--warmup-batches", type=int, default=0)
    digits.add_argument("--encoding", choices=("onehot", "binary"), default="onehot")
    digits.add_argument("--test-colours", choices=("palette", "uniform"), default="palette")
    digits.add_argument("--limit", type=int, help="use only the first N training/test digits")
    digits.add_argument("--no-compile", action="store_true", help="eager estimator steps")
    digits.add_argument("--device", default="auto")
    digits.add_argument("--resume", action="store_true", help="continue from the checkpoint")
    digits.add_argument("--out", required=True, help="output folder")
    digits.set_defaults(handler=run_digits_command)

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
    return parser


def run_audit(args: argparse.Namespace) -> int:
    """``mibias audit Z C``."""
    from mibias.audit import audit_leakage

    result = audit_leakage(
        load_array(args.z),
        load_array(args.c),
        estimator=args.estimator,
        restarts=args.restarts,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        test_size=args.test_size,
        probe=args.probe,
        seed=args.seed,
        progress=not args.json and sys.stderr.isatty(),
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    print(f"rows: {result.n_train} train / {result.n_test} held out; attribute: {result.attribute}")
    print(
        f"I(Z; C) held-out ({result.estimator}, {len(result.restarts_nats)} restarts): "
        f"{result.mi_nats:.4f} +- {result.mi_nats_std:.4f} nats = "
        f"{result.mi_bits:.4f} +- {result.mi_bits_std:.4f} bits"
    )
    if result.probe_accuracy is not None:
        print(
            f"probe ({result.probe}) held-out accuracy: {result.probe_accuracy:.4f} "
            f"(chance {result.chance_accuracy:.4f})"
        )
    return 0


def run_data(args: argparse.Namespace) -> int:
    """``mibias data fetch|verify mnist|all``."""
    from mibias.data.fetch import FetchError
    from mibias.data.mnist import load_mnist, verify_mnist

    if args.data_command == "fetch":
        try:
            load_mnist(args.data_home)
        except FetchError as error:
            raise InputError(str(error)) from error
        print("mnist: ready")
        return 0
    problems = verify_mnist(args.data_home)
    for problem in problems:
        print(f"mismatch: {problem}", file=sys.stderr)
    print("mnist: " + ("FAILED" if problems else "all cached files match their sha256"))
    return 1 if problems else 0


def run_digits_command(args: argparse.Namespace) -> int:
    """``mibias digits``."""
    from mibias.experiments.digits import DigitsRun, run_digits

    run = DigitsRun(
        sigma=args.sigma,
        method=args.method,
        lam=args.lam,
        seed=args.seed,
        epochs=args.epochs,
        k=args.k,
        batch_size=args.batch_size,
        lr=args.lr,
        estimator_lr=args.estimator_lr,
        estimator=args.estimator,
        clip=args.clip,
        mi_step=args.mi_step,
        feature_pool=args.feature_pool,
        warmup_batches=args.warmup_batches,
        encoding=args.encoding,
        test_colours=args.test_colours,
        limit=args.limit,
        compile_estimator=not args.no_compile,
        device=args.device,
    )
    history = run_digits(run, args.out, resume=args.resume)
    last = history[-1]
    print(
        f"epoch {int(last['epoch'])}: test accuracy {last['test_accuracy']:.4f}, "
        f"train accuracy {last['train_accuracy']:.4f}, MI estimate {last['mi']:.4f} nats"
    )
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """``mibias demo``."""
    from mibias.demo import run_demo as demo

    demo(args.out, epochs=args.epochs, lam=args.lam, seeds=args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
