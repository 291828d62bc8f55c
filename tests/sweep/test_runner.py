import json
import os

import pytest

from mibias.sweep import Job, run_jobs


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


def test_parallel_workers_use_separate_processes(tmp_path):
    jobs = [Job(f"j{i}", write_finished, {"value": i}) for i in range(4)]
    results = run_jobs(jobs, tmp_path, workers=2, progress=False)
    assert all(r.status == "finished" for r in results)
    pids = {json.loads((tmp_path / f"j{i}" / "run.json").read_text())["pid"] for i in range(4)}
    assert os.getpid() not in pids


def test_duplicate_keys_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unique"):
        run_jobs([Job("a", write_finished), Job("a", write_finished)], tmp_path)
