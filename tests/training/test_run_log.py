import json
import subprocess

from mibias.training import run_log
from mibias.training.run_log import source_state


def git(folder, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip


def test_the_source_state_names_the_commit_and_changes_to_the_code_not_to_results(
    tmp_path, monkeypatch
):
    for path in ("src/mibias/a.py", "benchmarks/b.py", "benchmarks/results/b.md"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "start")
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    # the package runs from a folder inside the checkout, as src/mibias/training does
    monkeypatch.setattr(run_log, "SOURCE_TREE", tmp_path / "src" / "mibias")
    assert source_state() == {"git_commit": head, "uncommitted_changes": False}
    (tmp_path / "benchmarks/results/b.md").write_text("rewritten by a benchmark\n")
    assert source_state()["uncommitted_changes"] is False
    (tmp_path / "benchmarks/b.py").write_text("changed\n")
    assert source_state() == {"git_commit": head, "uncommitted_changes": True}
    git(tmp_path, "checkout", "--", "benchmarks/b.py")
    (tmp_path / "benchmarks/results/new.md").write_text("a new results file\n")
    assert source_state()["uncommitted_changes"] is False
    (tmp_path / "src/mibias/new_module.py").write_text("new\n")  # not yet added to git
    assert source_state()["uncommitted_changes"] is True


def test_outside_a_git_checkout_the_source_state_is_unknown(tmp_path, monkeypatch):
    monkeypatch.setattr(run_log, "SOURCE_TREE", tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert source_state() == {"git_commit": None, "uncommitted_changes": None}


def test_an_installed_copy_inside_another_projects_checkout_names_no_commit(tmp_path, monkeypatch):
    installed = tmp_path / ".venv" / "site-packages" / "mibias"
    installed.mkdir(parents=True)
    (installed / "a.py").write_text("x\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "their project")
    monkeypatch.setattr(run_log, "SOURCE_TREE", installed)
    assert source_state() == {"git_commit": None, "uncommitted_changes": None}


def test_run_json_names_the_code_the_run_started_from(tmp_path, monkeypatch):
    states = iter([{"git_commit": "a" * 40, "uncommitted_changes": False}])
    monkeypatch.setattr(run_log, "source_state", lambda: next(states))
    log = run_log.RunLog(tmp_path, {"seed": 0}, tensorboard=False)
    for epoch in (1, 2):  # a commit made meanwhile would make a second call fail
        log.log_epoch({"epoch": float(epoch), "task_loss": 0.5})
        log.write_summary("running")
    summary = json.loads((tmp_path / "run.json").read_text())
    assert summary["git_commit"] == "a" * 40 and summary["uncommitted_changes"] is False
