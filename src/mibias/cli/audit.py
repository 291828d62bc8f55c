"""The ``audit`` command: how much a representation leaks an attribute, measured by
:func:`mibias.audit.audit_leakage` with its own defaults (:data:`mibias.audit.settings.AUDIT`,
read without torch, so that ``mibias audit --help`` answers at once)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from mibias.audit.settings import AUDIT
from mibias.cli.common import add_probes_option, probe_kinds
from mibias.estimators.names import ESTIMATORS
from mibias.io import load_array


def add_audit_command(commands: Any) -> None:
    """Register ``audit``: options and description on the parser ``mibias.cli.entry.COMMANDS``
    lists (``commands``: its ``ListedCommands``)."""
    audit = commands.add_parser(
        "audit",
        description="Estimate I(Z; C) on held-out rows with freshly trained estimators (nats "
        "and bits, spread over restarts) and probes' (MLP and linear on standardised columns, "
        "MLP on whitened principal components) held-out accuracy and balanced accuracy beside "
        "the majority-value rate (a continuous C of one column: of its quantile bin; columns of "
        "labels: of the combination of their groups; several continuous columns: none).",
    )
    audit.add_argument("z", help="embedding matrix: .npy, .csv or .pt (rows x features)")
    audit.add_argument("c", help="attribute: labels or a matrix, .npy, .csv or .pt")
    audit.add_argument(
        "--attribute",
        choices=("auto", "categorical", "continuous"),
        default="auto",
        help="how C is read; auto: columns of text, booleans or a few distinct whole "
        "numbers are categorical, other numbers continuous; name the kind where a sample's "
        "values mislead it, as a few rows of ages in whole years (default: %(default)s)",
    )
    audit.add_argument(
        "--estimator",
        choices=ESTIMATORS,
        default=AUDIT.estimator,
        help="the bound the fresh estimators train (default: %(default)s)",
    )
    audit.add_argument(
        "--restarts",
        type=int,
        default=AUDIT.restarts,
        help="estimators trained from fresh starts; the report reads their critics averaged "
        "(club: their mean) and their spread (default: %(default)s)",
    )
    audit.add_argument(
        "--steps", type=int, default=AUDIT.steps, help="steps per estimator (default: %(default)s)"
    )
    audit.add_argument(
        "--batch-size",
        type=int,
        default=AUDIT.batch_size,
        help="rows per estimator step (default: %(default)s)",
    )
    audit.add_argument(
        "--lr",
        type=float,
        default=AUDIT.lr,
        help="the estimators' learning rate (default: %(default)s)",
    )
    audit.add_argument(
        "--max-dims",
        type=int,
        default=AUDIT.max_dims,
        help="a wider Z reaches the estimators as this many principal components "
        "(default: %(default)s)",
    )
    audit.add_argument(
        "--patience",
        type=patience_share,
        default=AUDIT.patience,
        help="stop an estimator once this share of its steps passes without a gain; "
        "none: every step (default: %(default)s)",
    )
    audit.add_argument(
        "--test-size",
        type=float,
        default=AUDIT.test_size,
        help="share of the rows held out, where the estimate and the probes are read "
        "(default: %(default)s)",
    )
    add_probes_option(audit)
    audit.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seeds the split, the estimators and the probes (default: %(default)s)",
    )
    audit.add_argument("--json", action="store_true", help="print machine-readable JSON")
    audit.set_defaults(handler=run_audit)


def patience_share(text: str) -> float | None:
    """``--patience``: a share of the steps, or ``none``."""
    return None if text.lower() == "none" else float(text)


def run_audit(args: argparse.Namespace) -> int:
    """``mibias audit Z C``."""
    from mibias.audit import audit_leakage  # imported here: it imports torch (see the top)

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
        progress=not args.json,  # a bar on a terminal, plain lines elsewhere
        attribute_kind=args.attribute,
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    print(f"attribute: {result.attribute}")
    print("\n".join(result.lines()))
    return 0
