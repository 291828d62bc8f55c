"""Running test code in other processes: independent fits side by side, and code in a fresh
interpreter."""

import ast
import multiprocessing
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import torch


def two_at_a_time(function: Callable[..., Any], calls: Iterable[tuple]) -> list[Any]:
    """``function(*args)`` for each ``args`` of ``calls``, in order, two processes of one torch
    thread each at a time: small fits use two cores better side by side than one fit on both.
    ``function`` must be importable from its module (the processes are spawned)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        2, mp_context=context, initializer=torch.set_num_threads, initargs=(1,)
    ) as pool:
        return list(pool.map(function, *zip(*calls, strict=True)))


def imported_by(code: str, watched: Sequence[str] = ("torch", "sklearn")) -> list[str]:
    """The modules of ``watched`` that a fresh interpreter has imported after running ``code``
    (what it prints is discarded; a ``SystemExit``, such as ``--help``'s, ends it quietly)."""
    script = (
        "import contextlib, io, sys\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        + textwrap.indent(code, "    ")
        + f"\nprint([name for name in {list(watched)!r} if name in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return ast.literal_eval(result.stdout.strip().splitlines()[-1])
