"""Running a test's independent fits side by side."""

import multiprocessing
from collections.abc import Callable, Iterable
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
