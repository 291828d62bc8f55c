"""Shared test set-up: the fixtures ``noise_multiples`` and ``torch_wraps``, and threads.
Under pytest-xdist each worker process runs one torch, OpenMP and BLAS thread: with two
workers on two cores, two threads each made every parallel section spin against the other
worker (pytest -n 2 ran the suite in 40:32 against 27:01 in one process; one thread each,
14:02)."""

import importlib
import os

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    import torch

    torch.set_num_threads(1)


@pytest.fixture
def noise_multiples(monkeypatch):
    """``watch(path)`` wraps the estimator factory at the dotted ``path`` so that each
    estimator it builds records its critic's noise multiple after every progress update, and
    returns the list the multiples go to."""

    def watch(path):
        module, name = path.rsplit(".", 1)
        factory = getattr(importlib.import_module(module), name)
        multiples = []

        def recording_factory(*args, **kwargs):
            estimator = factory(*args, **kwargs)
            follow = estimator.follow_progress

            def follow_and_record(progress):
                follow(progress)
                multiples.append(estimator.noise_multiple.item())

            estimator.follow_progress = follow_and_record
            return estimator

        monkeypatch.setattr(path, recording_factory)
        return multiples

    return watch


@pytest.fixture
def torch_wraps(monkeypatch):
    """The list of ``writeable`` flags of every numpy array ``torch.from_numpy`` wraps from
    now on (torch warns, once a process, on each read-only one, as pandas' copy-on-write hands
    out)."""
    import torch

    flags = []
    from_numpy = torch.from_numpy

    def recording_from_numpy(array):
        flags.append(array.flags.writeable)
        return from_numpy(array)

    monkeypatch.setattr(torch, "from_numpy", recording_from_numpy)
    return flags
