import json

from mibias.experiments.demo import DEMO_COLUMNS, run_demo
from mibias.run_folder import read_metrics
from tests.cli.test_entry import run_cli


def test_the_demo_table_has_a_heading_for_every_column_it_reports(tmp_path, capsys):
    runs = run_demo(tmp_path, epochs=1, seeds=(0,))
    table = (tmp_path / "demo.md").read_text().split("\n\n")[0]
    header, rule, *rows = table.splitlines()
    widths = {line.count("|") for line in (header, rule, *rows)}
    assert widths == {len(DEMO_COLUMNS) + 2} and len(rows) == 2
    assert "colour read from whitened z, MLP probe" in header
    assert table in capsys.readouterr().out
    # what it returns is what demo.json holds: one run per method and seed, every column
    assert runs == json.loads((tmp_path / "demo.json").read_text())
    assert [list(method_runs[0]) for method_runs in runs.values()] == [list(DEMO_COLUMNS)] * 2
    # a second demo into the same folder reads the finished runs back, trains nothing again
    assert run_demo(tmp_path, epochs=1, seeds=(0,)) == runs
    assert "the check of z" not in capsys.readouterr().err


def test_each_epoch_reads_the_validation_sample_and_only_the_last_the_test_sample(tmp_path, capsys):
    run_demo(tmp_path, epochs=2, seeds=(0,))
    history = read_metrics(tmp_path / "lam1-seed0")
    assert all("validation_accuracy" in row for row in history)
    assert ["test_accuracy" in row for row in history] == [False, True]
    # the leakage check joins the last epoch's row, and each run's log gives it in one line
    assert ["probe_mlp" in row for row in history] == [False, True]
    err = capsys.readouterr().err
    assert err.count("lam1-seed0: the check of z on 1000 held-out rows: I(z; colour)") == 1


def test_a_weight_no_run_can_take_is_refused_before_the_erm_runs_train(tmp_path):
    for weight, said in (("-1", "lam must be >= 0, got -1"), ("nan", "lam must be a finite")):
        result = run_cli("demo", "--out", tmp_path / weight, "--lambda", weight)
        assert result.returncode == 2 and said in result.stderr
        assert "training ERM" not in result.stdout and not (tmp_path / weight).exists()
