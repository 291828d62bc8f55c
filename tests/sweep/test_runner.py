import json
import os

import pandas as pd
import pytest

from mibias.io import InputError
from mibias.run_folder import NoRunFinished
from mibias.sweep import Job, JobResult, run_grid, run_jobs, runs_note
from mibias.sweep.runner import refuse_no_run_finished, worker_threads


def write_finished(out_dir, value, fail=False):
    if fail:
        raise RuntimeError(f"run {value} broke")
    (out_dir / "run.json").write_text(
        json.dumps({"status": "finished", "final": {"value": value}, "pid": os.getpid()})
    )
    with open(out_dir.parent / "calls.txt", "a") as handle:
        handle.write(f"{value}\n")


def test_jobs_run_once_and_failures_do_not_stop_the_others(tmp_path, capsys):
    jobs = [Job(f"j{i}", write_finished, {"value": i, "fail": i == 1}) for i in range(3)]
    results = run_jobs(jobs, tmp_path, progress=False)
    assert [r.status for r in results] == ["finished", "failed", "finished"]
    assert "run j1 failed: RuntimeError: run 1 broke" in capsys.readouterr().out
    assert "RuntimeError" in (tmp_path / "j1" / "error.txt").read_text()
    again = run_jobs(jobs[:1] + jobs[2:], tmp_path, progress=False)
    assert [r.status for r in again] == ["finished", "finished"]
    assert (tmp_path / "calls.txt").read_text().split() == ["0", "2"]  # nothing ran twice


def test_a_grid_of_which_no_run_finished_names_the_first_failure(tmp_path):
    jobs = [Job(f"j{i}", write_finished, {"value": i, "fail": True}) for i in range(2)]
    with pytest.raises(NoRunFinished, match=r"2 failed; the first, j0: RuntimeError: run 0 broke"):
        run_grid(jobs, tmp_path)
    one = [JobResult("j0", tmp_path / "j0", "failed", "x"), JobResult("j1", tmp_path, "finished")]
    assert refuse_no_run_finished(one, tmp_path) == one  # what figure4 checks its runs with


@pytest.mark.parametrize("cpus", [1, 2])
def test_parallel_workers_use_separate_processes(tmp_path, monkeypatch, capsys, cpus):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    jobs = [Job(f"j{i}", write_finished, {"value": i}) for i in range(4)]
    results = run_jobs(jobs, tmp_path, workers=2, progress=False)
    assert all(r.status == "finished" for r in results)
    pids = {json.loads((tmp_path / f"j{i}" / "run.json").read_text())["pid"] for i in range(4)}
    assert os.getpid() not in pids
    # more runs at a time than CPUs: said in one line, not refused
    shared = "sweep: 2 runs at a time on 1 CPU share the cores: each runs slower"
    assert (shared in capsys.readouterr().err) == (cpus == 1)


def record_threads(out_dir):
    import torch
    from threadpoolctl import threadpool_info

    blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    final = {"torch": torch.get_num_threads(), "blas": blas}
    (out_dir / "run.json").write_text(json.dumps({"status": "finished", "final": final}))


@pytest.mark.parametrize("workers", [1, 2])
def test_each_worker_runs_its_share_of_threads_in_torch_and_in_numpys_blas(tmp_path, workers):
    # two runs side by side, each at the BLAS's default thread count, made the final checks'
    # probes 8-19 times slower on 2 cores
    run_jobs([Job("j", record_threads)], tmp_path, workers=workers, progress=False)
    final = json.loads((tmp_path / "j" / "run.json").read_text())["final"]
    assert final["torch"] == worker_threads(workers)
    assert final["blas"] and set(final["blas"]) == {worker_threads(workers)}


def test_duplicate_keys_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unique"):
        run_jobs([Job("a", write_finished), Job("a", write_finished)], tmp_path)


def test_folders_made_with_other_settings_are_refused_not_reused(tmp_path):
    run_jobs([Job("j0", write_finished, {"value": 0})], tmp_path, progress=False)
    assert json.loads((tmp_path / "j0" / "sweep_job.json").read_text()) == {"value": 0}
    with pytest.raises(InputError, match=r"j0 \(value 0 -> 5\)"):
        run_jobs([Job("j0", write_finished, {"value": 5})], tmp_path, progress=False)
    # an interrupted run is refused too: resuming it would mix two settings in one run
    (tmp_path / "j0" / "run.json").unlink()
    with pytest.raises(InputError, match="other settings"):
        run_jobs([Job("j0", write_finished, {"value": 5})], tmp_path, progress=False)
    assert (tmp_path / "calls.txt").read_text().split() == ["0"]


def test_a_folder_without_a_job_record_is_checked_against_its_recipe(tmp_path):
    legacy = tmp_path / "old"
    legacy.mkdir()
    recipe = {"value": 1, "epochs": 12, "other": "x", "device": "cuda"}
    (legacy / "recipe.json").write_text(json.dumps(recipe))
    (legacy / "run.json").write_text(json.dumps({"status": "finished", "final": {}}))
    results = run_jobs([Job("old", write_finished, {"value": 1})], tmp_path, progress=False)
    assert results[0].status == "finished" and not (tmp_path / "calls.txt").exists()
    with pytest.raises(InputError, match=r"old \(value 1 -> 2\)"):
        run_jobs([Job("old", write_finished, {"value": 2})], tmp_path, progress=False)


def test_the_runs_note_names_failed_runs_and_refitted_estimators(tmp_path):
    finished = [JobResult(key, tmp_path / key, "finished") for key in ("a", "b", "c")]
    failed = JobResult("d", tmp_path / "d", "failed", "boom")
    frame = pd.DataFrame({"run": ["a", "b", "c"], "estimator_refits": [0.0, 2.0, None]})
    assert runs_note([*finished, failed], frame) == (
        "3 runs. Failed runs: d. Runs whose estimator lost track of the encoder and was "
        "re-fitted (times): b (2)."
    )
    assert runs_note(finished, frame.drop(columns="estimator_refits")) == "3 runs."


@pytest.mark.parametrize(
    ("omp", "cpus", "workers", "threads"),
    [
        (None, 8, 2, 4),  # an even share of the affinity mask
        (None, 8, 3, 2),
        (None, 2, 4, 1),  # never fewer than one
        ("3", 8, 1, 3),  # OMP_NUM_THREADS caps the command's threads
        ("4", 8, 2, 2),
        ("0", 8, 2, 4),  # not a positive number: ignored
        ("many", 8, 2, 4),
    ],
)
def test_each_worker_gets_a_share_of_the_threads_the_command_may_use(
    monkeypatch, omp, cpus, workers, threads
):
    if omp is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", omp)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cpus)), raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)  # the machine's cores are not the budget
    assert worker_threads(workers) == threads


def test_off_a_terminal_each_run_that_ends_is_one_line(tmp_path, capsys):
    jobs = [Job(f"j{i}", write_finished, {"value": i, "fail": i == 1}) for i in range(2)]
    run_jobs(jobs, tmp_path, progress=True)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("sweep: ")]
    assert [line.split(" (")[0] for line in lines] == ["sweep: j0 finished", "sweep: j1 failed"]
    assert lines[1].endswith(" s in)") and "(2 of 2, 0 min " in lines[1]
