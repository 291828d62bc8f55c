"""The Ray backend runs the same grid as the local process pool, into the same layout."""

import json

import pandas as pd
import pytest

from mibias.experiments.demo import demo_grid, demo_job
from mibias.sweep import Job, RayBackend, collect, run_jobs


def grid(fail=False):
    runs = demo_grid(epochs=2, n_train=800, n_test=400)
    broken = Job("broken", demo_job, {"lam": 1.0, "seed": 9, "fail": True})
    return runs + ([broken] if fail else [])


def table(results):
    frame = collect(results).set_index("run").sort_index()
    return frame[["lam", "seed", "test_accuracy", "train_accuracy", "mi", "task_loss"]]


def layout(folder):
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if "tensorboard" not in path.parts
    )


@pytest.mark.slow
def test_a_grid_on_ray_equals_the_local_pool(tmp_path, capsys):
    local = run_jobs(grid(), tmp_path / "local", workers=2, progress=False)
    on_ray = run_jobs(
        grid(fail=True), tmp_path / "ray", ray=RayBackend(cpus_per_run=1), progress=False
    )
    assert [r.status for r in on_ray] == ["finished"] * 4 + ["failed"]
    assert (
        "run broken failed: ValueError: run lam=1 seed=9 fails on purpose"
        in capsys.readouterr().out
    )
    pd.testing.assert_frame_equal(table(on_ray[:4]), table(local), rtol=1e-6)
    assert layout(tmp_path / "ray" / "lam1-seed0") == layout(tmp_path / "local" / "lam1-seed0")
    summary = tmp_path / "ray" / "lam1-seed0" / "run.json"
    written = summary.stat().st_mtime_ns
    again = run_jobs(grid(), tmp_path / "ray", ray=RayBackend(), progress=False)
    assert all(r.status == "finished" for r in again)
    assert summary.stat().st_mtime_ns == written  # finished runs are not run again
    assert json.loads(summary.read_text())["status"] == "finished"


def test_resources_are_checked():
    with pytest.raises(ValueError, match="more than 0 CPUs"):
        RayBackend(cpus_per_run=0)
