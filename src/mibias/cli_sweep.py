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
    group.add_argument("--cpus-per-run", type=float, default=1.0, help="Ray CPUs per run")
    group.add_argument(
        "--gpus-per-run", type=float, default=0.0, help="Ray GPUs per run (fractions share)"
    )


def sweep_backend(args: argparse.Namespace) -> RayBackend | None:
    """The Ray backend the options ask for, or ``None`` for the local pool."""
    if args.backend == "local":
        ray_only = {
            "--address": args.address is not None,
            "--cpus-per-run": args.cpus_per_run != 1.0,
            "--gpus-per-run": args.gpus_per_run != 0.0,
        }
        given = [name for name, set_ in ray_only.items() if set_]
        if given:
            raise InputError(f"{', '.join(given)} needs --backend ray")
        return None
    try:
        return RayBackend(args.address, args.cpus_per_run, args.gpus_per_run)
    except ValueError as error:
        raise InputError(str(error)) from error
