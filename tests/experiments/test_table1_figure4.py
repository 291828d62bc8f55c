import json

import pandas as pd
import pytest

from mibias.cli import main
from mibias.data.colored_mnist import make_colored_mnist
from mibias.experiments.digits_recipe import EXPERIMENT, FC_TERM, run_weight
from mibias.experiments.table1 import digits_jobs, job_key
from mibias.methods import METHODS
from tests.data.test_colored_mnist import fake_mnist


@pytest.fixture
def tiny_data(monkeypatch):
    data = make_colored_mnist(0.02, mnist=fake_mnist(192, 96), cache=False)
    monkeypatch.setattr("mibias.experiments.digits.make_colored_mnist", lambda *a, **k: data)
    return data


FAST = [
    "--epochs",
    "1",
    "--k",
    "1",
    "--batch-size",
    "64",
    "--no-compile",
    "--limit",
    "96",
    "--leakage-steps",
    "50",
]


def test_table1_quick_grid_and_rerun_skips(tiny_data, tmp_path, capsys):
    args = ["table1", "--sigmas", "0.02,0.05", "--seeds", "2", "--out", str(tmp_path), *FAST]
    assert main(args) == 0
    text = (tmp_path / "table1.md").read_text()
    assert "ERM (ours)" in text and "MI backprop (lambda 1) (ours)" in text
    assert "MI backprop, paper (lambda 1) (published) | 0.864 | 0.982 |" in text
    assert len(list((tmp_path / "runs").glob("*/run.json"))) == 8
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "runs").glob("*/run.json")}
    assert main(args) == 0  # finished runs are skipped
    assert stamps == {p: p.stat().st_mtime_ns for p in (tmp_path / "runs").glob("*/run.json")}
    assert (tmp_path / "table1.csv").exists()
    leakage = pd.read_csv(tmp_path / "table1_leakage.csv", index_col="method")
    for label in ("ERM", "MI backprop (lambda 1)"):
        for measure in ("colour class read from z, MLP probe", "fresh I(z; colour class), nats"):
            assert leakage.loc[f"{label}: {measure}"].notna().all()


def test_table1_names_the_runs_whose_estimator_was_refitted(tiny_data, tmp_path):
    args = ["table1", "--sigmas", "0.02", "--seeds", "1", "--out", str(tmp_path), *FAST]
    assert main(args) == 0
    assert "re-fitted" not in (tmp_path / "table1.md").read_text()
    key = job_key("mi", 1.0, 0.02, 0)
    summary_path = tmp_path / "runs" / key / "run.json"
    summary = json.loads(summary_path.read_text())
    summary["final"]["estimator_refits"] = 2.0
    summary_path.write_text(json.dumps(summary))
    assert main(args) == 0  # the finished runs are read again
    for name in ("table1.md", "table1_leakage.md"):
        assert f"was re-fitted (times): {key} (2)." in (tmp_path / name).read_text()


def test_figure4_draws_a_png(tiny_data, tmp_path):
    args = ["figure4", "--sigmas", "0.03", "--lambdas", "0,1", "--out", str(tmp_path), *FAST]
    assert main(args) == 0
    png = (tmp_path / "figure4.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_table1_refuses_unknown_methods(tmp_path):
    assert main(["table1", "--methods", "erm,magic", "--out", str(tmp_path)]) == 2


def test_quickstart_writes_table_and_figure(tiny_data, tmp_path, capsys):
    # one worker: the patched data reach runs in this process only
    assert main(["quickstart", "--out", str(tmp_path), "--workers", "1", *FAST]) == 0
    text = (tmp_path / "quickstart.md").read_text()
    assert "ERM (lambda 0) (ours)" in text
    assert f"MI backprop (lambda {run_weight('mi', None):g}) (ours)" in text
    assert "MI backprop, paper (lambda 1) (published) | 0.864" in text
    header = text.splitlines()[2]
    assert "uniform colours" in header and "MLP probe" in header and "I(z; colour" in header
    assert (tmp_path / "figure4.png").exists()
    assert "Colored MNIST" in capsys.readouterr().out
    # the main job's recipe where the command line says nothing else: the digits defaults
    recipes = sorted((tmp_path / "runs").glob("*/recipe.json"))
    assert len(recipes) == 2
    for path in recipes:
        recipe = json.loads(path.read_text())
        assert recipe["z_layer"] == "conv" and recipe["clamp_penalty"] and recipe["bf16"]
        assert recipe["lam_warmup"] == 2.0 and recipe["lr_schedule"] == "cosine"


def test_a_presets_lambda_weights_mi_backprop_unless_lambdas_are_given():
    def weights(methods, **settings):
        jobs = digits_jobs(methods, [0.02], [0], **settings)
        return {(job.settings["method"], job.settings["lam"]) for job in jobs}

    hsic = METHODS["hsic"].default_lambda(EXPERIMENT)
    assert weights(["erm", "mi", "hsic"], **FC_TERM) == {
        ("erm", 0.0),
        ("mi", FC_TERM["lam"]),
        ("hsic", hsic),
    }
    assert weights(["mi"], lams=(0.5,), **FC_TERM) == {("mi", 0.5)}
    assert weights(["mi"]) == {("mi", METHODS["mi"].default_lambda(EXPERIMENT))}


def test_table1_reports_the_final_epoch_not_the_best(tiny_data, tmp_path):
    """Each cell is the last epoch's unbiased accuracy, whichever epoch scored best."""
    epochs = ["--epochs", "3", *FAST[2:]]
    args = ["table1", "--sigmas", "0.02", "--seeds", "1", "--out", str(tmp_path), *epochs]
    assert main(args) == 0
    table = pd.read_csv(tmp_path / "table1.csv", index_col="method")
    for method, lam, label in (
        ("erm", 0.0, "ERM (ours)"),
        ("mi", 1.0, "MI backprop (lambda 1) (ours)"),
    ):
        metrics = pd.read_csv(tmp_path / "runs" / job_key(method, lam, 0.02, 0) / "metrics.csv")
        assert len(metrics) == 3
        assert (
            f"{float(table.loc[label].iloc[0]):.3f}" == f"{metrics['test_accuracy'].iloc[-1]:.3f}"
        )
