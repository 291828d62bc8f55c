import json

import pytest

from mibias.run_folder import (
    RECIPE,
    RunFolderTaken,
    claim_run_folder,
    describe_changes,
    settings_conflict,
)

RECORD = {"sigma": 0.02, "lam": 1.0, "epochs": 3, "device": "cpu"}


def hold_a_run(folder, status="running", done=2, planned=5):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RECIPE).write_text(json.dumps(RECORD))
    summary = {"status": status, "config": {"epochs": planned}, "epochs": [{}] * done}
    (folder / "run.json").write_text(json.dumps(summary))


def test_a_new_folder_takes_the_run_and_records_it(tmp_path):
    claim_run_folder(tmp_path / "new", RECORD, resume=False)
    assert json.loads((tmp_path / "new" / RECIPE).read_text()) == RECORD
    # a record left by a run that failed before its first epoch holds no run
    claim_run_folder(tmp_path / "new", {**RECORD, "lam": 0.5}, resume=False)
    assert json.loads((tmp_path / "new" / RECIPE).read_text())["lam"] == 0.5


@pytest.mark.parametrize(
    ("status", "said"), [("running", "unfinished: 2 of 5"), ("finished", "finished: 2 of 5")]
)
def test_a_folder_holding_a_run_refuses_a_new_one_and_says_how_far_it_got(tmp_path, status, said):
    hold_a_run(tmp_path, status)
    with pytest.raises(RunFolderTaken, match=f"already holds a run \\({said} epochs done\\)"):
        claim_run_folder(tmp_path, {**RECORD, "lam": 0.5}, resume=False)
    assert json.loads((tmp_path / RECIPE).read_text()) == RECORD  # left as it was


@pytest.mark.parametrize("name", ["checkpoint.pt", "checkpoint.previous.pt"])
def test_a_checkpoint_alone_holds_the_folder(tmp_path, name):
    (tmp_path / name).write_bytes(b"x")
    with pytest.raises(RunFolderTaken, match="--resume continues it"):
        claim_run_folder(tmp_path, RECORD, resume=False)


def test_resuming_takes_more_epochs_and_another_device_but_no_other_recipe_or_fewer_epochs(
    tmp_path,
):
    hold_a_run(tmp_path)
    changes = r"other settings \(lam 1.0 -> 0.5, sigma 0.02 -> 0.035\)"
    with pytest.raises(RunFolderTaken, match=changes):
        claim_run_folder(tmp_path, {**RECORD, "sigma": 0.035, "lam": 0.5}, resume=True)
    with pytest.raises(
        RunFolderTaken, match="2 epochs done, more than --epochs 1; give --epochs 2"
    ):
        claim_run_folder(tmp_path, {**RECORD, "epochs": 1}, resume=True)
    assert json.loads((tmp_path / RECIPE).read_text()) == RECORD  # left as it was
    longer = {**RECORD, "epochs": 6, "device": "cuda"}
    claim_run_folder(tmp_path, longer, resume=True)
    assert json.loads((tmp_path / RECIPE).read_text()) == longer


def test_a_folder_without_a_job_record_is_compared_with_its_recipe(tmp_path):
    (tmp_path / RECIPE).write_text(json.dumps({"value": 1, "epochs": 12, "device": "cuda"}))
    assert settings_conflict(tmp_path, {"value": 1, "epochs": 12, "new": 1, "device": "cpu"}) == {}
    assert settings_conflict(tmp_path, {"value": 1, "epochs": 24}) == {"epochs": (12, 24)}
    assert describe_changes({"b": (1, 2), "a": ("x", "y")}) == "a 'x' -> 'y', b 1 -> 2"
