"""The IMDB faces commands of the command line: ``imdb`` (one run) and ``table2``."""

from __future__ import annotations

import argparse
from typing import Any

from mibias.cli_sweep import add_sweep_options, sweep_backend
from mibias.io import InputError


def add_imdb_commands(commands: Any) -> None:
    """Register the IMDB sub-commands on the main parser's sub-parsers."""
    from mibias.experiments.imdb import METHOD_ESTIMATORS

    imdb = commands.add_parser(
        "imdb",
        help="IMDB faces: gender trained on an age-biased split (EB1 or EB2), Table 2 protocol",
        description="Train on EB1 or EB2 and evaluate on the other biased split and the "
        "unbiased test split after every epoch. Needs the IMDB-WIKI crops (imdb_crop) and the "
        "[vision] extra.",
    )
    imdb.add_argument("--train", choices=("eb1", "eb2"), default="eb1")
    imdb.add_argument("--method", choices=tuple(METHOD_ESTIMATORS), default="mi")
    imdb.add_argument("--lambda", dest="lam", type=float, default=0.5)
    imdb.add_argument("--seed", type=int, default=0)
    imdb.add_argument("--out", default="runs/imdb")
    imdb.add_argument("--resume", action="store_true", help="continue from --out's checkpoint")
    imdb.add_argument("--no-progress", action="store_true")
    _add_run_settings(imdb)
    imdb.set_defaults(handler=run_imdb_command)

    table2 = commands.add_parser(
        "table2",
        help="Table 2: every method trained on EB1 and on EB2, beside the paper's numbers",
        description="Runs (eb1, eb2) x methods x seeds (finished runs are skipped) and writes "
        "table2.md / table2.csv.",
    )
    table2.add_argument("--methods", default="erm,alvi,kim,mi")
    table2.add_argument("--lambda", dest="lam", type=float, default=0.5)
    table2.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1")
    table2.add_argument("--out", default="runs/table2")
    add_sweep_options(table2, workers=1)
    _add_run_settings(table2)
    table2.set_defaults(handler=run_table2)


def _add_run_settings(parser: argparse.ArgumentParser) -> None:
    from mibias.experiments.imdb import ImdbRun

    defaults = ImdbRun(data="")
    group = parser.add_argument_group("run settings (defaults: the authors')")
    group.add_argument("--data", required=True, help="the imdb_crop folder (holds imdb.mat)")
    group.add_argument("--splits", help="folder of eb1.txt, eb2.txt, test.txt image lists")
    group.add_argument(
        "--subsample",
        type=int,
        default=defaults.subsample,
        help="training images drawn from the split (0: all of them)",
    )
    group.add_argument("--test-size", type=float, default=defaults.test_size)
    group.add_argument("--min-face-score", type=float, help="drop faces scored below this")
    group.add_argument("--eval-limit", type=int, help="evaluate on at most this many images")
    group.add_argument(
        "--leakage-steps",
        type=int,
        help="steps of each fresh estimator in the final audit of age in z (default: the audit's)",
    )
    group.add_argument("--arch", default=defaults.arch, help="a torchvision ResNet")
    group.add_argument(
        "--weights",
        default=defaults.weights,
        help="imagenet (download), none (from scratch) or a state dict file",
    )
    group.add_argument("--image-size", type=int, default=defaults.image_size)
    group.add_argument("--epochs", type=int, default=defaults.epochs)
    group.add_argument("--batch-size", type=int, default=defaults.batch_size)
    group.add_argument("--lr", type=float, default=defaults.lr)
    group.add_argument("--k", type=int, default=defaults.k, help="T steps per model step")
    group.add_argument("--accumulation", type=int, default=defaults.accumulation)
    group.add_argument("--estimator-lr", type=float, default=defaults.estimator_lr)
    group.add_argument("--loader-workers", type=int, default=defaults.loader_workers)
    group.add_argument("--device", default=defaults.device)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    if args.subsample is not None and args.subsample < 0:
        raise InputError(f"--subsample must be 0 (all) or positive, got {args.subsample}")
    return {
        "data": args.data,
        "lam": args.lam,
        "splits": args.splits,
        "subsample": args.subsample or None,
        "test_size": args.test_size,
        "min_face_score": args.min_face_score,
        "eval_limit": args.eval_limit,
        "leakage_steps": args.leakage_steps,
        "arch": args.arch,
        "weights": args.weights,
        "image_size": args.image_size,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "k": args.k,
        "accumulation": args.accumulation,
        "estimator_lr": args.estimator_lr,
        "loader_workers": args.loader_workers,
        "device": args.device,
    }


def run_imdb_command(args: argparse.Namespace) -> int:
    """``mibias imdb``."""
    from mibias.experiments.imdb import ImdbRun, run_imdb

    run = ImdbRun(
        train=args.train,
        method=args.method,
        seed=args.seed,
        progress=not args.no_progress,
        **_settings(args),
    )
    last = run_imdb(run, args.out, resume=args.resume)[-1]
    print(
        f"epoch {int(last['epoch'])}: accuracy on {args.train} (train) "
        f"{last['train_accuracy']:.4f}, on the other biased split {last['other_accuracy']:.4f}, "
        f"on the test split {last['test_accuracy']:.4f}; MI estimate {last['mi']:.4f} nats"
    )
    return 0


def run_table2(args: argparse.Namespace) -> int:
    """``mibias table2``."""
    from mibias.experiments.imdb import table2

    methods = [part.strip() for part in args.methods.split(",") if part.strip()]
    settings = _settings(args)
    print(
        table2(
            args.out,
            data=settings.pop("data"),
            methods=methods,
            seeds=list(range(args.seeds)),
            workers=args.workers,
            ray=sweep_backend(args),
            **settings,
        )
    )
    return 0
