"""Pieces every command family shares: comma-separated lists, the seeds option and the
sweep options (where and how widely the runs go)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from mibias.audit.settings import PROBE_KINDS, PROBES
from mibias.io import InputError
from mibias.run_folder import is_run_folder
from mibias.sweep.runner import RayBackend


def names(text: str, what: str, known: Iterable[str] | None = None) -> list[str]:
    """The comma-separated names in ``text``; an error names any not in ``known``."""
    given = [part.strip() for part in text.split(",") if part.strip()]
    if not given:
        raise InputError(f"no {what} given")
    if known is not None:
        known = list(known)
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise InputError(
                f"unknown {what}: {', '.join(unknown)} (available: {', '.join(known)})"
            )
    return given


def add_probes_option(parser: argparse.ArgumentParser, default: Sequence[str] = PROBES) -> None:
    """``--probes``: the audit's probe classifiers (:func:`probe_kinds` reads it)."""
    parser.add_argument(
        "--probes",
        default=",".join(default),
        help=f"probe classifiers for a categorical C, comma-separated: {', '.join(PROBE_KINDS)}; "
        f"or none (default: {','.join(default)})",
    )


def probe_kinds(text: str) -> list[str]:
    """The probes ``--probes`` names (none: no probe); an error names an unknown one."""
    return [] if text == "none" else names(text, "probes", PROBE_KINDS)


def on_off(text: str) -> bool:
    """A switch given on the command line: ``on`` or ``off``."""
    if text not in ("on", "off"):
        raise argparse.ArgumentTypeError(f"expected on or off, got {text!r}")
    return text == "on"


def numbers(text: str, what: str) -> list[float]:
    """The comma-separated numbers in ``text``."""
    try:
        return [float(part) for part in names(text, what)]
    except ValueError as error:
        raise InputError(f"{what}: expected comma-separated numbers, got {text!r}") from error


def add_seeds_option(parser: argparse.ArgumentParser, default: int) -> None:
    """``--seeds N``: a sweep's runs use seeds 0..N-1."""
    parser.add_argument(
        "--seeds", type=int, default=default, help=f"runs with seeds 0..N-1 (default {default})"
    )


def seeds(args: argparse.Namespace) -> list[int]:
    """The seeds ``--seeds`` asks for."""
    if args.seeds < 1:
        raise InputError(f"--seeds must be at least 1, got {args.seeds}")
    return list(range(args.seeds))


def add_sweep_options(parser: argparse.ArgumentParser, workers: int) -> None:
    """``--workers`` for the local process pool, and ``--backend ray`` with its resources."""
    group = parser.add_argument_group("where the runs go")
    group.add_argument(
        "--workers", type=int, default=workers, help="local runs in parallel (local backend)"
    )
    group.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="local process pool (default) or Ray tasks (needs the [ray] extra)",
    )
    group.add_argument(
        "--address", help="Ray cluster to join (for example auto); default: a local instance"
    )
    defaults = RayBackend()
    group.add_argument(
        "--cpus-per-run", type=float, help=f"Ray CPUs per run (default {defaults.cpus_per_run:g})"
    )
    group.add_argument(
        "--gpus-per-run",
        type=float,
        help=f"Ray GPUs per run, fractions share (default {defaults.gpus_per_run:g})",
    )


def sweep_backend(args: argparse.Namespace) -> RayBackend | None:
    """The Ray backend the options ask for, or ``None`` for the local pool (after checking
    ``--workers``)."""
    if args.workers < 1:
        raise InputError(f"--workers must be at least 1, got {args.workers}")
    ray_only = {
        "address": args.address,
        "cpus_per_run": args.cpus_per_run,
        "gpus_per_run": args.gpus_per_run,
    }
    given = {name: value for name, value in ray_only.items() if value is not None}
    if args.backend == "local":
        if given:
            flags = ", ".join("--" + name.replace("_", "-") for name in given)
            raise InputError(f"{flags} needs --backend ray")
        return None
    try:
        return RayBackend(**given)
    except ValueError as error:
        raise InputError(str(error)) from error


def leakage_clause(row: Mapping[str, float], attribute: str, rows: str) -> str:
    """A run's final leakage check (:meth:`mibias.audit.AuditResult.columns` in its last
    epoch's ``row``) as the end of its one-line summary."""
    return (
        f"; {attribute} in z on {rows}: I(z; {attribute}) at least "
        f"{row['leak_bound_nats']:.4f} nats, MLP probe {row['probe_mlp']:.4f} (majority "
        f"{row['majority']:.4f})"
    )


def say_when_nothing_to_resume(args: argparse.Namespace) -> None:
    """With ``--resume`` on a folder that holds no run, say that the run starts from its
    first epoch: a mistyped ``--out`` would otherwise start a new run unnoticed."""
    if args.resume and not is_run_folder(Path(args.out)):
        print(
            f"mibias {args.command}: {args.out} holds no run to resume; starting from the "
            "first epoch",
            file=sys.stderr,
            flush=True,
        )
