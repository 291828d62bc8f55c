import json
import re

import pytest
import torch

from mibias.baselines import reverse_gradient
from mibias.cli import main
from mibias.data.colored_mnist import make_colored_mnist
from mibias.experiments.digits import method_estimator, prepare_digits, to_dataset
from mibias.experiments.digits_recipe import EXPERIMENT, FC_TERM, DigitsRun
from mibias.methods import METHODS
from mibias.models.digits import DigitEncoder, digit_classifier
from mibias.settings import from_settings, settings_record
from mibias.training import DivergenceError, MITrainer, OptimizerConfig, TrainerConfig
from tests.data.test_colored_mnist import fake_mnist

# one short run on the tiny data: an epoch, a quick final audit
TINY_RUN = [
    "--epochs",
    "1",
    "--limit",
    "128",
    "--leakage-steps",
    "50",
    "--batch-size",
    "64",
]


@pytest.fixture
def tiny_data(monkeypatch):
    data = make_colored_mnist(0.02, mnist=fake_mnist(256, 128), cache=False)
    monkeypatch.setattr("mibias.experiments.digits.make_colored_mnist", lambda *a, **k: data)
    return data


@pytest.mark.parametrize("method", ["erm", "mi", "alvi", "kim", "moyer", "hsic"])
def test_digits_cli_smoke(tiny_data, tmp_path, capsys, method):
    out = tmp_path / method
    args = [
        "digits",
        "--method",
        method,
        "--epochs",
        "2",
        *(["--k", "2"] if method in ("erm", "mi") else []),
        "--limit",
        "128",
        "--leakage-steps",
        "50",
    ]
    assert main([*args, "--batch-size", "64", "--no-compile", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "test accuracy" in printed.out and METHODS[method].measure in printed.out
    assert "colour class in z on the test digits: I(z; colour class) at least" in printed.out
    # the final check's finding in the run's log, beside the run's own estimate where that is
    # an estimate of I(z; c)
    (check,) = [line for line in printed.err.splitlines() if "the check of z on" in line]
    assert re.match(rf"{method}: the check of z on \d+ held-out rows: I\(z; colour class\)", check)
    if METHODS[method].term is not None:
        assert "own estimate" not in check
    summary = json.loads((out / "run.json").read_text())
    assert summary["status"] == "finished" and len(summary["epochs"]) == 2
    first, last = summary["epochs"]
    # validation digits every epoch, the test digits and colour leakage after the last only
    assert {"validation_accuracy", "validation_uniform_accuracy"} <= set(first)
    assert not any(key.startswith(("test", "probe", "leak")) for key in first)
    expected = {"test_accuracy", "test_uniform_accuracy", "leak_mi_nats", "probe_mlp", "majority"}
    assert expected <= set(last) and last == summary["final"]
    assert json.loads((out / "recipe.json").read_text())["method"] == method
    assert summary["config"]["lam"] == METHODS[method].default_lambda(EXPERIMENT)
    if method in ("alvi", "kim"):
        assert summary["config"]["k"] == 1  # one bias-head update per model step
        assert summary["config"]["estimator_optimizer"]["lr"] == 1e-3
    if method == "moyer":
        assert summary["config"]["k"] == 0 and summary["config"]["clip"] == "none"
    if method == "hsic":  # a closed form: no estimator steps, its value logged every epoch
        assert summary["config"]["k"] == 0
        assert all(abs(epoch["mi"]) <= 1.5 for epoch in summary["epochs"])


def test_kim_schedule_and_a_start_from_an_erm_run(tiny_data, tmp_path):
    common = [*TINY_RUN, "--no-compile"]
    erm = tmp_path / "erm"
    assert main(["digits", "--method", "erm", *common, "--k", "2", "--out", str(erm)]) == 0
    kim = tmp_path / "kim"
    args = ["digits", "--method", "kim", "--kim-schedule", "--init-from", str(erm), *common]
    assert main([*args, "--out", str(kim)]) == 0
    config = json.loads((kim / "run.json").read_text())["config"]
    assert config["model_optimizer"]["name"] == "sgd"
    assert config["model_optimizer"]["momentum"] == 0.9
    assert config["model_optimizer"]["weight_decay"] == 5e-4
    assert (config["lr_schedule"], config["lr_step"], config["epochs"]) == ("step", 40, 1)
    recipe = json.loads((kim / "recipe.json").read_text())
    assert recipe["init_from"] == str(erm)
    assert (
        main(["digits", "--init-from", str(tmp_path / "none"), *common, "--out", str(kim / "x")])
        != 0
    )


def test_the_defaults_are_the_papers_lambda_on_the_conv_features_with_its_stabilisers(
    tiny_data, tmp_path
):
    out = tmp_path / "mi"
    assert main(["digits", *TINY_RUN, "--no-compile", "--out", str(out)]) == 0
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["lam"] == 1.0 and recipe["z_layer"] == "conv" and recipe["k"] == 10
    config = json.loads((out / "run.json").read_text())["config"]
    assert config["lam_warmup"] == 2.0 and config["clamp_penalty"] is True


def test_the_unbiased_digits_are_read_in_batches_of_a_model_step(tiny_data):
    run = from_settings(DigitsRun, {"batch_size": 32, "limit": 128, "progress": False})
    prepared = prepare_digits(run, None, tiny_data)
    assert {name: loader.batch_size for name, loader in prepared.evaluations.items()} == {
        "validation": 32,
        "validation_uniform": 32,
    }


def test_lambda_warmup_and_clamp_reach_the_trainer(tiny_data, tmp_path):
    out = tmp_path / "mi"
    args = ["digits", *TINY_RUN, "--lambda-warmup", "3", "--no-clamp-penalty", "--no-compile"]
    assert main([*args, "--out", str(out)]) == 0
    config = json.loads((out / "run.json").read_text())["config"]
    assert config["lam_warmup"] == 3.0 and config["clamp_penalty"] is False


def test_the_fc_term_option_applies_its_settings_under_the_ones_given(tiny_data, tmp_path):
    out = tmp_path / "fc"
    args = ["digits", *TINY_RUN, "--fc-term", "--lambda", "0.5", "--no-compile"]
    assert main([*args, "--out", str(out)]) == 0
    recipe = json.loads((out / "recipe.json").read_text())
    assert {name: recipe[name] for name in FC_TERM} == {**FC_TERM, "lam": 0.5}


def test_label_conditioning_appends_the_digit_to_c_and_reaches_the_trainer(tiny_data, tmp_path):
    images, labels = tiny_data.train_images[:50], tiny_data.train_labels[:50]
    plain = to_dataset(images, labels, "onehot").tensors[2]
    conditioned = to_dataset(images, labels, "onehot", label_in_c=True).tensors[2]
    assert conditioned.shape == (50, 34)
    assert torch.equal(conditioned[:, :24], plain)
    assert torch.equal(conditioned[:, 24:].argmax(1), torch.from_numpy(labels))
    out = tmp_path / "mi"
    args = ["digits", *TINY_RUN]
    assert main([*args, "--mi-condition", "label", "--no-compile", "--out", str(out)]) == 0
    summary = json.loads((out / "run.json").read_text())
    assert summary["config"]["mi_condition"] == "label" and summary["status"] == "finished"
    assert json.loads((out / "recipe.json").read_text())["mi_condition"] == "label"


def test_the_z_layer_reaches_the_estimator_and_moyer_reads_the_fc_layer(
    tiny_data, tmp_path, capsys
):
    assert method_estimator(DigitsRun(), 24).critic.net[0].in_features == 1048
    assert method_estimator(DigitsRun(z_layer="fc"), 24).critic.net[0].in_features == 88
    out = tmp_path / "fc"
    args = ["digits", *TINY_RUN]
    assert main([*args, "--z-layer", "fc", "--no-compile", "--out", str(out)]) == 0
    assert json.loads((out / "recipe.json").read_text())["z_layer"] == "fc"
    out = tmp_path / "moyer"
    assert main([*args, "--method", "moyer", "--out", str(out)]) == 0
    assert json.loads((out / "recipe.json").read_text())["z_layer"] == "fc"
    args = ["digits", "--method", "moyer", "--z-layer", "conv", "--out", str(tmp_path / "m")]
    assert main(args) == 2
    assert "--z-layer does not apply to moyer" in capsys.readouterr().err


def test_the_smoothing_noise_reaches_the_critic_and_is_refused_where_it_has_no_reader(
    tiny_data, tmp_path, capsys
):
    assert method_estimator(DigitsRun(), 24).noise == 0.0
    assert method_estimator(DigitsRun(noise=0.5), 24).noise == 0.5
    out = tmp_path / "smoothed"
    args = ["digits", *TINY_RUN, "--no-compile"]
    assert main([*args, "--noise", "0.5", "--out", str(out)]) == 0
    assert json.loads((out / "recipe.json").read_text())["noise"] == 0.5
    refused = {
        ("--noise", "-1"): "noise must be >= 0",
        ("--noise", "0.5", "--estimator", "club"): "not to 'club'",
        ("--noise", "0.5", "--method", "hsic"): "--noise does not apply to hsic",
    }
    for extra, message in refused.items():
        assert main([*args, *extra, "--out", str(tmp_path / "x")]) == 2
        assert message in capsys.readouterr().err


def test_label_conditioning_is_refused_for_a_bias_head(tiny_data, tmp_path, capsys):
    args = [
        "digits",
        "--method",
        "alvi",
        "--mi-condition",
        "label",
        "--limit",
        "128",
        "--leakage-steps",
        "50",
    ]
    assert main([*args, "--out", str(tmp_path / "x")]) == 2
    assert "method 'alvi' has none (use mi or erm)" in capsys.readouterr().err


def test_moyer_weights_come_from_the_cli_and_change_the_run(tiny_data, tmp_path, capsys):
    def final(*weights):
        out = tmp_path / "-".join(weights)
        args = ["digits", "--method", "moyer", *TINY_RUN, "--no-compile"]
        weight_args = ["--moyer-beta", weights[0], "--moyer-reconstruction", weights[1]]
        assert main([*args, *weight_args, "--out", str(out)]) == 0
        recipe = json.loads((out / "recipe.json").read_text())
        assert (recipe["moyer_beta"], recipe["moyer_reconstruction"]) == tuple(map(float, weights))
        return json.loads((out / "run.json").read_text())["final"]["task_loss"]

    assert final("0.1", "1") != final("0", "5")
    assert main(["digits", "--method", "moyer", "--moyer-beta", "-1", "--out", str(tmp_path)]) == 2
    assert "moyer_beta must be >= 0, got -1" in capsys.readouterr().err


def test_invalid_training_settings_are_one_line_errors(tiny_data, tmp_path, capsys):
    args = ["digits", *TINY_RUN, "--out", str(tmp_path / "x")]
    assert main([*args, "--lambda-warmup", "-1"]) == 2
    assert "error: invalid training settings: lam_warmup must be >= 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (["--limit", "-5"], "invalid settings: limit must be >= 20, got -5"),  # was: all but 5
        (["--limit", "19"], "limit must be >= 20, got 19"),  # the test digits' audit needs 20
        (["--sigma", "-1"], "sigma must be >= 0, got -1"),
        (["--batch-size", "0"], "batch_size must be >= 2, got 0"),
        (["--data-seed", "-1"], "data_seed must be >= 0, got -1"),
        (["--lr", "0"], "invalid training settings: lr must be > 0, got 0"),
        (["--estimator-lr", "-1"], "estimator_lr must be > 0, got -1"),
        (["--estimator-batch", "100000"], "estimator_batch 100000 is larger than the feature"),
        (["--device", "cuda:7"], "device 'cuda:7'"),
        (["--device", "gpu"], "device 'gpu'"),
        (["--k", "0"], "k 0 with lambda 1: the estimator would never train"),
    ],
)
def test_a_value_a_setting_does_not_allow_stops_in_one_line(
    tiny_data, tmp_path, capsys, option, said
):
    assert main(["digits", *TINY_RUN, "--no-compile", *option, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_a_diverged_run_is_a_one_line_message_and_exit_status_3(monkeypatch, tmp_path, capsys):
    def diverge(*args, **kwargs):
        raise DivergenceError(1, 7, "the MI estimate is -11 nats, below -10", None)

    monkeypatch.setattr("mibias.experiments.digits.run_digits", diverge)
    assert (
        main(["digits", "--limit", "128", "--leakage-steps", "50", "--out", str(tmp_path / "x")])
        == 3
    )
    assert capsys.readouterr().err.strip() == (
        "mibias digits: training diverged at epoch 1, step 7: "
        "the MI estimate is -11 nats, below -10"
    )


def test_kim_reversal_reaches_the_encoder_unweighted_by_lambda():
    """As in Kim et al.'s code: one model step follows the gradient of task - lam * H +
    the reversed CE, the reversed CE scaled by 0.1 whatever lambda and the lambda warm-up, and
    the entropy term whether or not the penalty is clamped (the digits defaults clamp it)."""
    torch.manual_seed(0)
    x = torch.randint(0, 256, (16, 3, 28, 28), dtype=torch.uint8)
    y = torch.randint(0, 10, (16,))
    c = torch.nn.functional.one_hot(torch.randint(0, 8, (16, 3)), 8).flatten(1).float()

    def kim_network():
        torch.manual_seed(1)  # the same network and head every time
        head = method_estimator(DigitsRun(method="kim", z_layer="fc"), 24)
        return DigitEncoder(), digit_classifier(), head

    def stepped(lam, warmup, clamp):
        encoder, classifier, head = kim_network()
        config = TrainerConfig(
            lam=lam, lam_warmup=warmup, clamp_penalty=clamp, k=0, progress=False,
            compile_estimator=False, model_optimizer=OptimizerConfig(name="sgd", lr=1.0),
        )  # fmt: skip
        trainer = MITrainer(encoder, classifier, head, config)
        trainer.step.steps_per_epoch = 8
        trainer.train_step((x, y, c), epoch=1, step=0)
        return [*encoder.parameters(), *classifier.parameters()]

    def expected(weight):
        encoder, classifier, head = kim_network()
        z = encoder(x)
        entropy = sum(
            -(torch.softmax(b, 1) * torch.log_softmax(b, 1)).sum(1).mean()
            for b in head.head(z).split((8, 8, 8), 1)
        )
        reversed_ce = head.cross_entropy(reverse_gradient(z, 0.1), c)
        task = torch.nn.functional.cross_entropy(classifier(z), y)
        params = [*encoder.parameters(), *classifier.parameters()]
        grads = torch.autograd.grad(task - weight * entropy + reversed_ce, params)
        return [p.detach() - g for p, g in zip(params, grads, strict=True)]

    # (lambda, warm-up epochs, clamped penalty, the entropy's weight at epoch 1, step 0)
    for lam, warmup, clamp, weight in (
        (0.01, 0.0, False, 0.01), (0.0, 0.0, False, 0.0), (0.5, 1.0, False, 0.0),
        (0.5, 0.0, True, 0.5),
    ):  # fmt: skip
        for got, want in zip(stepped(lam, warmup, clamp), expected(weight), strict=True):
            torch.testing.assert_close(got.detach(), want, atol=2e-5, rtol=1e-4)


def test_the_recipe_holds_the_trainers_settings_and_records_them_by_option_name():
    run = from_settings(DigitsRun, {"epochs": 3, "lr": 0.01, "estimator_lr": 0.5, "sigma": 0.05})
    assert isinstance(run.trainer, TrainerConfig)
    assert run.trainer.model_optimizer.lr == 0.01 and run.trainer.estimator_optimizer.lr == 0.5
    assert run.trainer.clip == "none"  # the recipe's default; TrainerConfig's own is "param"
    assert run.trainer.feature_pool == TrainerConfig().feature_pool  # the others: TrainerConfig's
    record = settings_record(run)
    assert record["lr"] == 0.01 and record["epochs"] == 3 and record["sigma"] == 0.05
    assert from_settings(DigitsRun, record) == run
