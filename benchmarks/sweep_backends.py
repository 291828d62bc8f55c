"""The same tiny grid on the local process pool and on a local Ray instance.

    python -m benchmarks.sweep_backends

Eight runs of the generated task (lambda 0 and 1 x 4 seeds, 5 epochs) on each backend with two
runs at a time (two local workers; Ray with one CPU per run on this machine's CPUs), into fresh
folders. Reports each backend's wall time, Ray's start-up included, and whether the two result
tables are equal.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import write_results
from mibias.experiments.demo import demo_grid
from mibias.sweep import RayBackend, collect, run_jobs

COLUMNS = ["lam", "seed", "test_accuracy", "train_accuracy", "mi"]


def main() -> None:
    jobs = demo_grid(seeds=range(4), epochs=5)
    rows, tables = [], {}
    with tempfile.TemporaryDirectory() as folder:
        for name, options in (("local, 2 workers", {"workers": 2}), ("ray", {"ray": RayBackend()})):
            started = time.perf_counter()
            results = run_jobs(jobs, Path(folder) / name, progress=False, **options)
            seconds = time.perf_counter() - started
            tables[name] = collect(results).set_index("run").sort_index()[COLUMNS]
            finished = sum(r.status == "finished" for r in results)
            rows.append(
                {"backend": name, "runs": len(jobs), "finished": finished, "seconds": seconds}
            )
    local, ray = tables.values()
    difference = float(np.abs(local.to_numpy(float) - ray.to_numpy(float)).max())
    write_results(
        "sweep_backends",
        "python -m benchmarks.sweep_backends",
        rows,
        f"Largest difference between the two result tables: {difference:.3g}.",
    )


if __name__ == "__main__":
    main()
