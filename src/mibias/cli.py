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


def run_demo(args: argparse.Namespace) -> int:
    """``mibias demo``."""
    from mibias.demo import run_demo as demo

    demo(args.out, epochs=args.epochs, lam=args.lam, seeds=args.seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
