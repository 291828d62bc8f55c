"""``mibias demo``: ERM against MI backprop on a generated task, with audits."""

from __future__ import annotations

import argparse
from typing import Any

from mibias.cli.common import add_seeds_option, seeds
from mibias.experiments.demo_recipe import DEMO_EPOCHS, DEMO_LAMBDA, DEMO_SEEDS


def add_demo_command(commands: Any) -> None:
    """Register ``demo``: options and descriptions on the parsers
    ``mibias.cli.entry.COMMANDS`` lists (``commands``: its ``ListedCommands``)."""
    demo = commands.add_parser(
        "demo",
        description="Train the same network with lambda = 0 and lambda > 0 on a generated task "
        "with a colour shortcut that flips at test time, then audit both representations.",
    )
    demo.add_argument("--out", default="runs/demo", help="output folder")
    demo.add_argument(
        "--epochs", type=int, default=DEMO_EPOCHS, help="epochs per run (default: %(default)s)"
    )
    demo.add_argument(
        "--lambda",
        dest="lam",
        type=float,
        default=DEMO_LAMBDA,
        help="weight of the MI term (default: %(default)s)",
    )
    add_seeds_option(demo, DEMO_SEEDS)
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    """``mibias demo``."""
    from mibias.experiments.demo import run_demo as demo

    demo(args.out, epochs=args.epochs, lam=args.lam, seeds=seeds(args))
    return 0
