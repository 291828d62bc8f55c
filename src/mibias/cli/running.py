"""Running a parsed ``mibias`` command: joining torchrun where asked, and the errors that
become exit statuses (:mod:`mibias.cli.status`)."""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import io
import sys
import warnings
from pathlib import Path
from typing import Any

from mibias.cli.status import (
    EXIT_BAD_INPUT,
    EXIT_CANNOT_WRITE,
    EXIT_DAMAGED,
    EXIT_DIVERGED,
    EXIT_INTERRUPTED,
    EXIT_NO_RUN_FINISHED,
)
from mibias.data.fetch import FetchError
from mibias.io import DamagedFileError, InputError
from mibias.run_folder import NoRunFinished, is_run_folder, run_progress
from mibias.training import DivergenceError
from mibias.training.distributed import (
    init_from_environment,
    is_main_process,
    launched_by_torchrun,
    shutdown,
)

DATA_PARALLEL_COMMANDS = frozenset({"digits", "demo", "imdb"})
# the commands that train a grid of runs under --out, reusing finished runs and resuming
# interrupted ones when started again (mibias.sweep.run_grid)
GRID_COMMANDS = frozenset(
    {"table1", "figure4", "quickstart", "fairness", "table3", "figure5", "table2"}
)

# a full disk, a quota, a read-only folder or file system, a folder without write permission
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


def run_command(args: argparse.Namespace) -> int:
    """Run the command ``args`` was parsed for; its errors become exit statuses."""
    finished = False
    try:
        if launched_by_torchrun():
            start_data_parallel(args.command)
        # under torchrun, only rank 0 prints
        quiet = not is_main_process()
        with (
            contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext(),
            warnings.catch_warnings(),
        ):
            warnings.showwarning = functools.partial(show_warning, args.command)
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
    except NoRunFinished as error:
        print(f"mibias {args.command}: error: {error}", file=sys.stderr)
        return EXIT_NO_RUN_FINISHED
    except FetchError as error:
        places = "; ".join(line.strip() for line in str(error).splitlines() if line.strip())
        print(f"mibias {args.command}: error: {places}", file=sys.stderr)
        return EXIT_DAMAGED
    except OSError as error:
        blocker = (
            file_in_the_way(error.filename)
            if error.errno in (errno.EEXIST, errno.ENOTDIR) and error.filename
            else None
        )
        if blocker is not None:
            print(
                f"mibias {args.command}: error: {blocker} is a file where a folder is needed "
                "(the --out, --data-home or $MIBIAS_DATA given?)",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        if error.errno not in WRITE_ERRNOS:
            raise
        print(
            f"mibias {args.command}: error: cannot write {error.filename or 'a file'}: "
            f"{error.strerror}; files written before (the last good checkpoint) are intact",
            file=sys.stderr,
        )
        return EXIT_CANNOT_WRITE
    except KeyboardInterrupt as error:
        # a command may say itself what it left (raising KeyboardInterrupt with a message)
        left = f"; {error}" if str(error) else after_interruption(args)
        print(f"mibias {args.command}: interrupted{left}", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        shutdown(finished)


def file_in_the_way(path: str | Path) -> Path | None:
    """The file that stops a folder at ``path`` from being made: ``path`` itself or the
    nearest of its parents that exists, if that is not a folder; else None."""
    for place in (Path(path), *Path(path).parents):
        if place.exists():
            return None if place.is_dir() else place
    return None


def after_interruption(args: argparse.Namespace) -> str:
    """What an interrupted command left in its ``--out`` folder and how to go on from there,
    as the end of its "interrupted" line; empty where it left nothing to go on from."""
    out = getattr(args, "out", None)
    if out is None or not Path(out).is_dir():
        return ""
    if hasattr(args, "resume") and is_run_folder(Path(out)):
        return (
            f"; {out} holds the run{run_progress(Path(out))}: the same command with --resume "
            "continues it from its last checkpoint"
        )
    if args.command in GRID_COMMANDS:
        return (
            f"; the runs finished in {out} are kept: the same command again reuses them and "
            "resumes the others from their last checkpoints"
        )
    return ""


def show_warning(
    command: str,
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """A warning as ``mibias`` shows it: one line with the command and the warning's kind,
    without the file, line number and code line of Python's default (those name the
    package's code, not the user's input)."""
    print(f"mibias {command}: {category.__name__}: {message}", file=file or sys.stderr, flush=True)


def start_data_parallel(command: str) -> None:
    """Join torchrun's process group for a recipe that trains one model data parallel."""
    if command not in DATA_PARALLEL_COMMANDS:
        raise InputError(
            f"{command} does not run under torchrun: data parallel is for the single-run "
            f"recipes ({', '.join(sorted(DATA_PARALLEL_COMMANDS))}); sweeps spread their runs "
            "with --workers or --backend ray"
        )
    init_from_environment()
