"""Under pytest-xdist each worker process runs one torch, OpenMP and BLAS thread: with two
workers on two cores, two threads each made every parallel section spin against the other
worker (pytest -n 2 ran the suite in 40:32 against 27:01 in one process; one thread each,
14:02)."""

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    import torch

    torch.set_num_threads(1)
