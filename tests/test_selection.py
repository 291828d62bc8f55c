import csv
import json

import pytest

from mibias.cli import main
from mibias.cli.status import EXIT_DAMAGED
from mibias.selection import load_run, select_lambda


def fake_run(folder, lam, train_acc, mi, test_acc, sigma=0.03, **settings):
    folder.mkdir(parents=True)
    with (folder / "metrics.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["epoch", "train_accuracy", "mi", "test_accuracy"]
        )
        writer.writeheader()
        for epoch, (a, m) in enumerate(zip(train_acc, mi, strict=True), start=1):
            writer.writerow(
                {"epoch": epoch, "train_accuracy": a, "mi": m, "test_accuracy": test_acc}
            )
    (folder / "run.json").write_text(json.dumps({"config": {"lam": lam}, "status": "finished"}))
    recipe = {"sigma": sigma, "lam": lam, "seed": 0, "progress": False, **settings}
    (folder / "recipe.json").write_text(json.dumps(recipe))
    return folder


@pytest.fixture
def runs(tmp_path):
    return [
        fake_run(tmp_path / "l0", 0.0, [0.9, 0.99, 0.99], [1.0, 1.2, 1.3], 0.50),
        fake_run(tmp_path / "l05", 0.5, [0.9, 0.97, 0.98], [0.8, 0.6, 0.5], 0.70),
        fake_run(tmp_path / "l1", 1.0, [0.8, 0.96, 0.97], [0.7, 0.4, 0.3], 0.80),
        fake_run(tmp_path / "l2", 2.0, [0.5, 0.60, 0.62], [0.3, 0.1, 0.1], 0.40),  # does not fit
        fake_run(tmp_path / "l3", 3.0, [0.9, 0.99, 0.99], [1.0, 1.4, 1.5], 0.45),  # MI not down
    ]


def test_largest_lambda_that_fits_and_lowers_mi(runs):
    (selection,) = select_lambda([load_run(r) for r in runs], window=2)
    assert selection.chosen_lambda == 1.0
    assert "does not fit" in selection.reasons[2.0] and "not down" in selection.reasons[3.0]


def test_no_test_number_is_read_or_shown(runs, tmp_path, capsys):
    """The logs hold a test_accuracy column; the choice and its report ignore it."""
    before = select_lambda([load_run(r) for r in runs], window=2)
    for folder in runs:
        metrics = folder / "metrics.csv"
        rows = metrics.read_text().splitlines()
        rows[1:] = [row.rsplit(",", 1)[0] + ",0.99" for row in rows[1:]]
        metrics.write_text("\n".join(rows) + "\n")
    after = select_lambda([load_run(r) for r in runs], window=2)
    assert [s.to_dict() for s in before] == [s.to_dict() for s in after]
    assert main(["select", str(tmp_path), "--window", "2"]) == 0
    assert "test" not in capsys.readouterr().out


def test_select_cli(runs, tmp_path, capsys):
    assert main(["select", str(tmp_path), "--window", "2", "--json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    assert report["chosen_lambda"] == 1.0 and report["group"] == "sigma=0.030"
    assert main(["select", str(tmp_path / "missing")]) == 2


def test_without_a_baseline_estimate_each_run_is_compared_with_its_own_start(tmp_path):
    runs = [
        fake_run(tmp_path / "l0", 0.0, [0.9, 0.99], [float("nan")] * 2, 0.5),
        fake_run(tmp_path / "l1", 1.0, [0.9, 0.98], [1.0, 0.5], 0.7),
        fake_run(tmp_path / "l2", 2.0, [0.9, 0.98], [0.5, 0.9], 0.6),
    ]
    (selection,) = select_lambda([load_run(r) for r in runs], window=1)
    assert selection.chosen_lambda == 1.0


def test_runs_of_other_recipes_are_chosen_for_apart(tmp_path):
    """Runs that differ in more than lambda and seed are never pooled into one choice."""
    conv = dict(z_layer="conv", k=10)
    runs = [
        fake_run(tmp_path / "fc0", 0.0, [0.9, 0.99], [1.0, 1.2], 0.5, z_layer="fc", k=40),
        fake_run(tmp_path / "fc1", 1.0, [0.9, 0.98], [0.7, 0.4], 0.7, z_layer="fc", k=40),
        fake_run(tmp_path / "conv0", 0.0, [0.9, 0.99], [1.0, 1.2], 0.5, **conv),
        fake_run(tmp_path / "conv1", 1.0, [0.5, 0.55], [0.3, 0.1], 0.6, **conv),  # does not fit
        fake_run(tmp_path / "conv1s", 1.0, [0.5, 0.55], [0.3, 0.1], 0.6, seed=1, **conv),
    ]
    selections = select_lambda([load_run(r) for r in runs], window=1)
    chosen = {s.group: s.chosen_lambda for s in selections}
    assert chosen == {"sigma=0.030, k=10, z_layer=conv": 0.0, "sigma=0.030, k=40, z_layer=fc": 1.0}


def test_where_no_lambda_meets_the_rule_the_fallback_says_so(tmp_path, capsys):
    runs = [  # no lambda-0 run: each is compared with its own first epoch
        fake_run(tmp_path / "l1", 1.0, [0.9, 0.98], [1.0, 1.5], 0.7),  # MI not down
        fake_run(tmp_path / "l2", 2.0, [0.9, 0.98], [1.0, 1.2], 0.7),  # nor here
    ]
    (selection,) = select_lambda([load_run(r) for r in runs], window=1)
    assert selection.chosen_lambda == 1.0 and not selection.meets_rule
    assert main(["select", str(tmp_path), "--window", "1"]) == 0
    out = capsys.readouterr().out
    assert "no lambda fits and drives the MI estimate down; the smallest, lambda = 1" in out


def test_a_grids_out_folder_is_searched_for_its_runs_and_unfinished_ones_are_left_out(
    tmp_path, capsys
):
    """A grid keeps its runs in OUT/runs/KEY; select OUT finds them. An interrupted run
    (status running) is left out, with a line naming it."""
    grid = tmp_path / "table1"
    fake_run(grid / "runs" / "l0", 0.0, [0.9, 0.99], [1.0, 1.2], 0.5)
    fake_run(grid / "runs" / "l1", 1.0, [0.9, 0.98], [0.7, 0.4], 0.7)
    stopped = fake_run(grid / "runs" / "l2", 2.0, [0.9], [0.2], 0.6)
    (stopped / "run.json").write_text(json.dumps({"config": {"lam": 2.0}, "status": "running"}))
    early = grid / "runs" / "l3"  # stopped in its first epoch: no epoch logged yet
    early.mkdir()
    (early / "run.json").write_text(json.dumps({"config": {"lam": 3.0}, "status": "running"}))
    assert main(["select", str(grid), "--window", "1", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)[0]["chosen_lambda"] == 1.0
    assert f"leaving out 2 unfinished run(s), interrupted or still training: {stopped}" in err


def test_runs_without_epoch_logs_are_refused_by_name(tmp_path, capsys):
    """A fairness grid's runs hold run.json and predictions, no metrics.csv."""
    run = tmp_path / "fairness" / "runs" / "german-mi-lam0.5-seed0"
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"status": "finished"}))
    assert main(["select", str(tmp_path / "fairness")]) == 2
    assert f"{run}: a run without per-epoch training logs" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content", ["", "garbage\n", "epoch,train_accuracy,mi\n", "epoch,mi\n1,0.5\n"]
)
def test_a_finished_run_whose_log_holds_no_epoch_is_named_as_damaged(runs, capsys, content):
    """Its train accuracy would read NaN and the run pass for one that does not fit."""
    (runs[1] / "metrics.csv").write_text(content)
    assert main(["select", *map(str, runs)]) == EXIT_DAMAGED
    err = capsys.readouterr().err
    assert f"{runs[1] / 'metrics.csv'} logs no epoch's train accuracy" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["--window", "0"], "--window must be at least 1 epoch, got 0"),
        (["--fit-tolerance", "-1"], "--fit-tolerance must be a finite number >= 0, got -1.0"),
        (["--fit-tolerance", "nan"], "--fit-tolerance must be a finite number >= 0, got nan"),
    ],
)
def test_a_window_or_tolerance_no_selection_can_use_is_refused_by_its_option(
    runs, capsys, option, said
):
    """Window 0 compared each lambda with a reference of NaN; a negative tolerance let none fit."""
    assert main(["select", *map(str, runs), *option]) == 2
    assert f"mibias select: error: {said}\n" == capsys.readouterr().err
