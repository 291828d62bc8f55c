"""``mibias erase X C --out Z.npy``: remove an attribute from given vectors, with the leakage
report before and after on rows the eraser never saw.

The options and their defaults come from modules that import no torch
(:mod:`mibias.erasure.settings`), so that ``mibias erase --help`` answers at once; the eraser
and the audit are imported when the command runs."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mibias.cli.common import add_probes_option, on_off, probe_kinds
from mibias.erasure.settings import ERASERS, ERASURE_PROBES, LEACE_ERASER, MI_ERASER
from mibias.estimators.names import NOISE_FALL_SHARE
from mibias.io import InputError, atomic_path, check_writable, load_array, load_table


def noise_setting(text: str) -> float | str:
    """``--noise``: ``auto`` or a number."""
    return text if text == "auto" else float(text)


# an eraser's settings the command line offers: option -> (parameter, type, help)
Options = dict[str, tuple[str, Callable[[str], Any], str]]
# MIEraser's: the one declaration of them (``mibias erase`` and ``benchmarks.erase`` both read it)
MI_OPTIONS: Options = {
    "--lambda": ("lam", float, "weight of the MI term"),
    "--steps": ("steps", int, "updates of the map"),
    "--keep": ("keep", str, "what z keeps: auto, distance, similarity, reconstruction or task"),
    "--keep-weight": (
        "keep_weight",
        float,
        "weight of the distance, similarity or reconstruction loss (distance and "
        "reconstruction read as shares of x's total variance)",
    ),
    "--hidden-size": ("hidden_size", int, "width of the map's hidden layer"),
    "--batch-size": ("batch_size", int, "rows per step"),
    "--lr": ("lr", float, "Adam learning rate of the map"),
    "--estimator-lr": ("estimator_lr", float, "Adam learning rate of the estimator"),
    "--k": ("k", int, "estimator steps per map step"),
    "--noise": (
        "noise",
        noise_setting,
        "smoothing of the MI term (the critic's input noise), or auto: the least at which the "
        "critic reads nothing from the attribute shuffled among the rows",
    ),
    "--noise-start": (
        "noise_start",
        float,
        f"the noise starts at this multiple of --noise and falls to it over the first "
        f"{NOISE_FALL_SHARE * 100:g} %% of the fit",
    ),
    "--kernel-weight": ("kernel_weight", float, "weight of the kernel (HSIC) dependence term"),
    "--whiten": ("whiten", on_off, "on or off: whether the critic reads the batch whitened"),
    "--linear-first": ("linear_first", str, "leace, inlp or project: a linear eraser first"),
    "--min-variance": (
        "min_variance",
        float,
        "keep only z's principal directions with at least this share of the leading variance",
    ),
    "--n-init": ("n_init", int, "fits from different seeds; the lowest final objective is kept"),
    "--n-components": (
        "n_components",
        int,
        "width of the erased vectors, at most X's (unset: X's width; narrower: --keep auto "
        "keeps reconstruction, and distance is refused)",
    ),
}


# LeaceEraser's
LEACE_OPTIONS: Options = {
    "--second-order-directions": (
        "second_order_directions",
        int,
        "after LEACE, also project out this many directions along which the groups' "
        "covariances differ most",
    ),
}
# each method's options and the dataclass that declares their defaults
METHOD_OPTIONS: dict[str, tuple[Options, Any]] = {
    "mi": (MI_OPTIONS, MI_ERASER),
    "leace": (LEACE_OPTIONS, LEACE_ERASER),
}


def add_eraser_options(parser: argparse.ArgumentParser) -> None:
    """Add the erasers' settings (:data:`METHOD_OPTIONS`) to ``parser``, each help naming its
    method; one not given is absent from the parsed arguments (:func:`given_settings`), so the
    eraser's own default holds."""
    for method, (options, declared) in METHOD_OPTIONS.items():
        defaults = dataclasses.asdict(declared)
        for flag, (name, kind, text) in options.items():
            parser.add_argument(
                flag,
                dest=name,
                type=kind,
                default=argparse.SUPPRESS,
                help=f"{method}: {text} (default: {defaults[name]})",
            )


def given_settings(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The erasers' settings given on the command line: method -> {parameter: value}, a
    method with none given absent."""
    given = {
        method: {name: getattr(args, name) for name, *_ in options.values() if hasattr(args, name)}
        for method, (options, _) in METHOD_OPTIONS.items()
    }
    return {method: settings for method, settings in given.items() if settings}


def add_erase_command(commands: Any) -> None:
    """Register ``erase``: options and descriptions on the parsers
    ``mibias.cli.entry.COMMANDS`` lists (``commands``: its ``ListedCommands``)."""
    erase = commands.add_parser(
        "erase",
        description="Fit an eraser of C on part of the rows of X, report the leakage of C "
        "(held-out MI of fresh estimators and probe accuracy) before and after on the rows it "
        "never saw, with what was kept, and write the erased vectors of every row to --out.",
    )
    erase.add_argument("x", help="vectors: .npy, .csv or .pt (rows x features)")
    erase.add_argument(
        "c",
        help="attribute to erase: one label, or one number (an age, say: mi and leace), per "
        "row, .npy, .csv or .pt",
    )
    erase.add_argument(
        "--out",
        required=True,
        help="where the erased vectors go (.npy or .csv; a .csv keeps the column names of a "
        ".csv X)",
    )
    erase.add_argument("--y", help="a task to keep: one label per row (MI: keep='task')")
    erase.add_argument("--method", choices=ERASERS, default="mi", help="the eraser")
    add_eraser_options(erase)
    erase.add_argument(
        "--holdout",
        type=float,
        default=0.3,
        help="share of the rows kept from the fit for the report (0: fit and report on all)",
    )
    add_probes_option(erase, default=ERASURE_PROBES)
    erase.add_argument("--seed", type=int, default=0, help="seed of the split and the eraser")
    erase.add_argument("--json", action="store_true", help="print the report as JSON")
    erase.set_defaults(handler=run_erase)


def run_erase(args: argparse.Namespace) -> int:
    """``mibias erase X C --out Z``."""
    # imported here, not above: they import torch and scikit-learn
    from sklearn.model_selection import train_test_split
    from sklearn.utils.multiclass import type_of_target

    from mibias.audit import (
        MIN_ROWS,
        REPORT_AUDIT,
        audit_leakage,
        split_sizes,
        stratification,
        validate_pair,
    )
    from mibias.erasure.eraser import make_eraser
    from mibias.erasure.kept import kept_geometry, kept_task

    out = Path(args.out)
    if out.suffix.lower() not in (".npy", ".csv"):
        raise InputError(f"--out {out}: use a .npy or .csv file name")
    if out.is_dir():
        raise InputError(f"--out {out} is a folder: give the name of a file to write")
    for name, given in (("X", args.x), ("C", args.c), ("--y", args.y)):
        if given and out.resolve() == Path(given).resolve():
            raise InputError(
                f"--out {out} is the input {name}: the erased vectors would "
                "replace it; give another file"
            )
    if not 0 <= args.holdout < 1:
        raise InputError(f"--holdout must be in [0, 1), got {args.holdout}")
    probes = probe_kinds(args.probes)
    check_writable(out.parent)  # before the fit, which it would otherwise lose
    c = load_array(args.c)
    x, columns = load_table(args.x)
    x = validate_pair(x, c, names=("X", "C"))
    if args.holdout > 0:
        fit, held_out = split_sizes(len(x), args.holdout)
        if min(fit, held_out) < MIN_ROWS:
            raise InputError(
                f"--holdout {args.holdout:g} shares the {len(x)} rows as {fit} to fit the "
                f"eraser on and {held_out} for the report: each needs at least {MIN_ROWS} "
                "(--holdout 0 fits and reports on every row)"
            )
    y = load_array(args.y) if args.y else None
    for name, values in (("C", c), ("--y", y)):
        if values is not None and values.reshape(len(values), -1).shape[1] > 1:
            raise InputError(f"{name}: expected one label per row, got shape {values.shape}")
    if y is not None and len(y) != len(x):
        raise InputError(f"--y has {len(y)} rows but X has {len(x)}")
    c = c.reshape(len(c))
    y = None if y is None else y.reshape(len(y))
    given = given_settings(args)
    if others := sorted(set(given) - {args.method}):
        # the options of the first other method given; its eraser is not the one asked for
        options = METHOD_OPTIONS[others[0]][0]
        flags = [flag for flag, (name, *_) in options.items() if name in given[others[0]]]
        raise InputError(
            f"{', '.join(flags)} set the {others[0]} eraser, not --method {args.method}'s"
        )
    settings: dict[str, Any] = dict(given.get(args.method, {}))
    if settings.get("keep") == "task" and y is None:
        raise InputError("--keep task keeps the task --y names: give --y Y")
    if args.method == "mi":  # a live bar on a terminal, one plain line an epoch in a log file
        settings["verbose"] = True
    rows = np.arange(len(x))
    fit_rows, report_rows = (
        train_test_split(
            rows,
            test_size=args.holdout,
            random_state=args.seed,
            stratify=stratification(c, args.holdout),
        )
        if args.holdout > 0
        else (rows, rows)
    )
    try:
        eraser = make_eraser(args.method, random_state=args.seed, **settings)
        # checked on every row, before the split, so that the messages name C and --y and
        # count the rows of their files
        eraser.checked_attribute(c, len(x), name="C")
        if y is not None:
            eraser.check_task(y, name="--y")
            if (kind := type_of_target(y)) not in ("binary", "multiclass"):
                raise InputError(
                    f"--y: expected class labels (the task kept, scored by its accuracy), got "
                    f"{kind} values"
                )
        eraser.fit(
            x[fit_rows],
            None if y is None else y[fit_rows],
            sensitive_features=c[fit_rows],
        )
        z = eraser.transform(x)
        with atomic_path(out, suffix=out.suffix) as tmp:
            if out.suffix.lower() == ".npy":
                np.save(tmp, z)
            else:
                # where X had column names: its own if z is as wide, else the eraser's
                names = None
                if columns:
                    wide = len(columns) == z.shape[1]
                    names = columns if wide else list(eraser.get_feature_names_out())
                table = pd.DataFrame(z, columns=names)
                table.to_csv(tmp, index=False, header=names is not None, float_format="%.7g")
    except (ValueError, ImportError) as error:
        raise InputError(str(error).splitlines()[0]) from error
    except KeyboardInterrupt:
        raise KeyboardInterrupt(f"nothing was written to {out}") from None
    where = (
        f"the {len(report_rows)} rows the eraser did not see"
        if args.holdout > 0
        else "the rows it was fitted on (--holdout 0)"
    )
    # a bar on a terminal, plain lines elsewhere (with --json, nothing on stderr)
    audit = {
        **REPORT_AUDIT,
        "seed": args.seed,
        "progress": not args.json,
        "probes": probes,
        "attribute_kind": eraser.attribute_kind,  # as the eraser read C, on fewer rows
    }
    reports = {}
    try:
        for label, vectors in (("before", x), ("after", z)):
            if not args.json:
                print(f"leakage of C {label} the erasure, on {where}: checking", file=sys.stderr)
            reports[label] = audit_leakage(vectors[report_rows], c[report_rows], **audit)
    except KeyboardInterrupt:
        message = f"the erased vectors are in {out}, their leakage report was not finished"
        raise KeyboardInterrupt(message) from None
    before, after = reports["before"], reports["after"]
    kept = (
        kept_task(x[report_rows], z[report_rows], y[report_rows], seed=args.seed)
        if y is not None
        else kept_geometry(x[report_rows], z[report_rows], seed=args.seed)
    )
    leading = getattr(eraser, "leading_", None)  # MIEraser with min_variance
    if args.json:
        report = {
            "method": args.method,
            "out": str(out),
            "fit_rows": len(fit_rows),
            "report_rows": len(report_rows),
            "directions_kept": None if leading is None else leading.kept,
            "before": before.to_dict(),
            "after": after.to_dict(),
            # null where nothing is left to compare (rows erased to one vector): strict JSON
            "kept": {name: value if np.isfinite(value) else None for name, value in kept.items()},
        }
        print(json.dumps(report, indent=2))
        return 0
    print(f"{args.method}: wrote {z.shape[0]} x {z.shape[1]} erased vectors to {out}")
    if leading is not None:
        print(f"z keeps {leading.kept} of its {z.shape[1]} principal directions (--min-variance)")
    print(f"leakage of C on {where}:")
    for label, result in (("before", before), ("after", after)):
        print(f"  {label}:")
        print("\n".join(f"    {line}" for line in result.lines()))
    print(
        "kept: " + ", ".join(f"{key.replace('_', ' ')} {value:.4f}" for key, value in kept.items())
    )
    if not before.reading_probes() and before.reads_above(0.0) is None:
        # where there is nothing to remove, MIEraser's map still follows its critic's chance
        # readings: on 5,000 x 50 generated rows with C drawn apart it moved 32 % of their
        # variance at the default noise, 2 % at the one --noise auto chose
        # (docs/erasure-measured.md).
        # Nothing measured: no probe reads C, and the bound is within the audit's margin of 0
        print(
            f"note: nothing read C from X before the erasure either (no probe; at most "
            f"{before.bound_nats:.4f} nats): the vectors were changed with nothing measured to "
            "remove; if that holds on your data, hand on X (docs/erasure-measured.md, "
            '"Where there is nothing to erase")'
        )
    return 0
