import functools
import json

import pandas as pd
import pytest

from mibias import cli
from mibias.data.uci import read_adult, read_german
from mibias.experiments import fairness
from mibias.fairness.methods import BUILDERS as METHODS
from tests.data.uci_fixtures import write_adult, write_german


@pytest.fixture
def fixture_data(tmp_path, monkeypatch):
    """The loaders read small raw-format files instead of the real, checksummed ones."""
    adult, german = write_adult(tmp_path, rows=300), write_german(tmp_path, rows=300)

    def load(name, home=None, progress=True, **options):
        return read_adult(*adult) if name == "adult" else read_german(german, **options)

    monkeypatch.setattr(fairness, "load_fairness_data", load)
    return tmp_path


def test_every_method_runs_and_writes_predictions(fixture_data, tmp_path, monkeypatch):
    # the audit only has to run here (its accuracy: tests/audit/test_leakage.py)
    light_audit = functools.partial(fairness.audit_leakage, steps=100)
    monkeypatch.setattr(fairness, "audit_leakage", light_audit)
    out = tmp_path / "t3"
    text = fairness.table3(
        out, methods=list(METHODS), datasets=["adult", "german"], seeds=[0], workers=1, steps=20
    )
    assert "MI backprop (lambda 0.5) (published)" in text
    runs = pd.read_csv(out / "table3_runs.csv")
    assert len(runs) == 2 * len(METHODS)
    assert runs["accuracy"].between(0, 1).all() and runs["eo"].between(0, 1).all()
    assert (out / "table3.png").stat().st_size > 0
    run = out / "runs" / "german-mi-lam0.5-seed0"
    predictions = pd.read_csv(run / "predictions.csv")
    assert list(predictions.columns) == ["row_id", "y_true", "y_pred", "score", "age<=25"]
    assert len(predictions) == 90
    metrics = json.loads((run / "run.json").read_text())["final"]
    accuracy = (predictions["y_true"] == predictions["y_pred"]).mean()
    assert metrics["accuracy"] == pytest.approx(accuracy)
    # the leakage of tabular z: the audit's probes and the gradient-boosted trees
    assert {"leak_mi_nats", "probe_mlp", "probe_logistic", "probe_trees", "majority"} <= set(
        metrics
    )
    assert "german probe_trees" in text
    assert metrics["estimator_refits"] == 0  # an MI run says how often T was re-fitted


def test_fairness_and_figure5_commands(fixture_data, tmp_path, capsys):
    code = cli.main(
        ["fairness", "--dataset", "german", "--method", "mi-eo", "--seeds", "2",
         "--workers", "1", "--steps", "20", "--out", str(tmp_path / "f")]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "mi-eo (lambda 0.5) (ours)" in out and "Test accuracy" in out
    assert "MI terms: mi-eo: I(z; c | y = 1). " in out
    # the note names the splits of the datasets that ran, not Adult's on a German run
    assert "German: seeded 70/30 splits; German's attribute: young = age <= 25)" in out
    assert "Adult" not in out.split("Test accuracy")[1]
    code = cli.main(
        ["fairness", "--dataset", "german", "--method", "nn", "--seeds", "1",
         "--workers", "1", "--steps", "20", "--no-probe", "--german-attribute", "sex",
         "--test-size", "0.4", "--out", str(tmp_path / "nn")]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and "MI terms" not in out  # was: "MI terms: ."
    # the note follows the run's settings (it said "young = age <= 25" and "70/30" always)
    assert "seeded 60/40 splits; German's attribute: female, from the personal status" in out
    code = cli.main(
        ["figure5", "--lambdas", "0,1", "--seeds", "2", "--workers", "1", "--steps", "20",
         "--no-probe", "--out", str(tmp_path / "f5")]
    )  # fmt: skip
    assert code == 0
    summary = pd.read_csv(tmp_path / "f5" / "figure5.csv")
    assert list(summary["lam"]) == [0.0, 1.0]
    assert (tmp_path / "f5" / "figure5.png").exists()


def test_a_validation_table_names_the_rows_it_read(fixture_data, tmp_path, capsys):
    code = cli.main(
        ["fairness", "--dataset", "german", "--method", "mi", "--seeds", "1", "--workers", "1",
         "--steps", "20", "--holdout", "validation", "--no-probe", "--out", str(tmp_path / "f")]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "Validation accuracy" in out and "on the validation rows" in out
    assert "holds out its own 20% of the training rows" in out
    assert "test rows" not in out


def test_unknown_methods_are_refused(capsys):
    assert cli.main(["table3", "--methods", "mi,magic"]) != 0
    assert "unknown methods: magic" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--steps", "0"], "steps must be >= 1, got 0"),  # was: the data set's 2,000 steps
        (["--lambda=-1"], "lam must be >= 0, got -1"),
        (["--test-size", "1.5"], "test_size must be < 1, got 1.5"),
        # were one failed run per seed: German's ages run 19-75, so all are young or none
        (["--young-age", "200"], "young_age must be < 75, got 200"),
        (["--young-age", "18"], "young_age must be >= 19, got 18"),
    ],
)
def test_a_value_a_setting_does_not_allow_stops_the_grid_before_any_run(
    tmp_path, capsys, extra, said
):
    out = tmp_path / "f"
    assert cli.main(["fairness", "--dataset", "german", *extra, "--out", str(out)]) == 2
    assert f"error: invalid settings: {said}" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(
    ("command", "said"),
    [
        # were silently ignored: the plain network and FERM take no weight
        (["fairness", "--dataset", "german", "--method", "nn", "--lambda", "0.5"],
         "--lambda does not apply to nn; leave it out"),
        (["table3", "--datasets", "german", "--methods", "ferm,nn", "--lambda", "2"],
         "--lambda does not apply to ferm or nn"),
        # and German's split and attribute on Adult, which has its own split and one attribute
        (["fairness", "--dataset", "adult", "--german-attribute", "sex"],
         "--german-attribute applies to German credit only; leave it out for --dataset adult"),
        (["table3", "--datasets", "adult", "--test-size", "0.2"],
         "--test-size applies to German credit only"),
        (["figure5", "--dataset", "adult", "--young-age", "30"],
         "--young-age applies to German credit only"),
    ],
)  # fmt: skip
def test_a_setting_no_run_of_the_command_reads_is_refused_before_any_run(
    tmp_path, capsys, command, said
):
    out = tmp_path / "f"
    assert cli.main([*command, "--out", str(out)]) == 2
    assert said in capsys.readouterr().err
    assert not out.exists()
