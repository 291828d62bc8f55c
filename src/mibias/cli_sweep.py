"""Command-line options shared by the sweep commands: where and how widely the runs go."""

from __future__ import annotations

import argparse

from mibias.io import InputError
from mibias.sweep import RayBackend


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
    """The Ray backend the options ask for, or ``None`` for the local pool."""
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
