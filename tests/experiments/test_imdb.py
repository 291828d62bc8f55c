import json

import pandas as pd
import pytest
from torch import nn

from mibias.cli import main
from mibias.experiments import imdb, imdb_recipe
from mibias.methods import METHODS
from mibias.settings import from_settings, settings_record
from tests.data.imdb_fixtures import write_imdb


class Residual(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width),
        )  # fmt: skip

    def forward(self, x):
        return nn.functional.relu(x + self.body(x))


def small_resnet(arch, weights):
    """A two-block ResNet of 8 channels in place of torchvision's ResNet-50."""
    assert (arch, weights) == ("resnet50", "none")
    stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU())
    return nn.Sequential(stem, Residual(8), Residual(8), nn.AdaptiveAvgPool2d(1)), 8


@pytest.fixture(scope="module")
def faces(tmp_path_factory):
    return write_imdb(tmp_path_factory.mktemp("imdb"), rows=240)[0]


@pytest.fixture
def small_network(monkeypatch):
    monkeypatch.setattr(imdb, "resnet_backbone", small_resnet)


def quick(faces, method="mi"):
    estimator = ["--k", "2", "--accumulation", "2"] if method == "mi" else []
    return ["--data", str(faces), "--weights", "none", "--epochs", "2", "--image-size", "32",
            "--batch-size", "16", *estimator, "--subsample", "48",
            "--loader-workers", "0", "--leakage-steps", "50"]  # fmt: skip


@pytest.mark.parametrize("method", ["erm", "mi", "kim", "alvi"])
def test_imdb_runs_every_method_end_to_end(faces, small_network, tmp_path, capsys, method):
    out = tmp_path / method
    args = ["imdb", "--train", "eb2", "--method", method, *quick(faces, method), "--no-progress"]
    assert main([*args, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "on the other biased split" in printed and METHODS[method].measure in printed
    assert "; age group in z on the test split: I(z; age group) at least" in printed
    summary = json.loads((out / "run.json").read_text())
    assert summary["status"] == "finished" and len(summary["epochs"]) == 2
    assert {"other_accuracy", "test_accuracy", "train_accuracy"} <= set(summary["final"])
    assert {"leak_mi_nats", "probe_mlp", "probe_logistic", "majority"} <= set(summary["final"])
    # the evaluation splits are reported: read once, after the last epoch
    assert not any(
        key.startswith(("probe", "leak", "other", "test")) for key in summary["epochs"][0]
    )
    assert summary["config"]["lam"] == (0.0 if method == "erm" else 0.5)
    if method == "mi":
        assert summary["config"]["k"] == 2 and summary["config"]["accumulation"] == 2
        assert summary["config"]["estimator_optimizer"]["name"] == "sgd"
    splits = pd.read_csv(out / "splits.csv").set_index("split")
    assert list(splits.index) == ["eb1", "eb2", "test"] and (splits["images"] > 0).all()
    assert json.loads((out / "recipe.json").read_text())["train"] == "eb2"


def test_table2_fills_the_four_columns_beside_the_published_rows(faces, small_network, tmp_path):
    out = tmp_path / "t2"
    args = ["table2", "--methods", "erm,mi", *quick(faces), "--epochs", "1", "--out", str(out)]
    assert main(args) == 0
    text = (out / "table2.md").read_text()
    assert "| method | EB1 -> EB2 | EB1 -> test | EB2 -> EB1 | EB2 -> test |" in text
    assert "MI backprop (lambda 0.5) (published) | 0.691 |" in text
    runs = pd.read_csv(out / "table2_runs.csv")
    assert sorted(runs["run"]) == ["eb1-erm-seed0", "eb1-mi-seed0", "eb2-erm-seed0", "eb2-mi-seed0"]
    table = pd.read_csv(out / "table2.csv", index_col="method", dtype=str)
    assert table.loc["MI backprop (lambda 0.5) (ours)"].str.fullmatch(r"[01]\.\d{3}").all()
    leakage = pd.read_csv(out / "table2_leakage.csv", index_col="method")
    assert list(leakage.columns) == [
        "age read from z, MLP probe",
        "age read from z, linear probe",
        "age read from whitened z, MLP probe",
        "age, majority rate",
        "fresh I(z; age), nats",
        "I(z; age) at least, nats (estimators and probes)",
    ]
    assert "MI backprop (lambda 0.5), trained on EB2 (ours)" in leakage.index
    assert leakage.notna().all().all()


def test_a_wrong_data_folder_is_reported_once(tmp_path, capsys):
    assert main(["table2", "--data", str(tmp_path), "--out", str(tmp_path / "t")]) == 2
    assert "no imdb.mat" in capsys.readouterr().err


def test_the_recipe_holds_the_authors_trainer_settings():
    run = from_settings(imdb_recipe.ImdbRun, {"data": "d", "k": 5})
    assert run.trainer.k == 5 and run.trainer.accumulation == 10
    assert run.trainer.model_optimizer.lr == 1e-5
    estimator = run.trainer.estimator_optimizer
    assert (estimator.name, estimator.lr) == ("sgd", 0.1)
    assert from_settings(imdb_recipe.ImdbRun, settings_record(run)) == run
