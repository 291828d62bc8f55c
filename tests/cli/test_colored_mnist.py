"""The Colored MNIST commands' settings: presets under the options given."""

import pytest

from mibias.cli import build_parser, main
from mibias.cli.colored_mnist import digits_settings
from mibias.experiments.digits_recipe import FC_TERM


def settings_of(*options: str, methods: tuple[str, ...] = ("mi",)) -> dict:
    args = build_parser().parse_args(["digits", "--out", "unused", *options])
    return digits_settings(args, list(methods))


def test_the_fc_terms_lambda_is_mi_backprops_alone():
    assert settings_of("--fc-term")["lam"] == FC_TERM["lam"]
    assert settings_of("--fc-term", "--method", "hsic", methods=("hsic",))["lam"] is None
    # a grid keeps the preset's lambda for its jobs to resolve, one method at a time
    assert settings_of("--fc-term", methods=("erm", "mi", "hsic"))["lam"] == FC_TERM["lam"]


def test_a_lambda_given_weighs_every_method_over_the_preset():
    given = settings_of("--fc-term", "--method", "hsic", "--lambda", "3", methods=("hsic",))
    assert given["lam"] == 3.0 and given["k"] == FC_TERM["k"]
    assert "lam" not in settings_of()


def test_table1_gives_a_lambda_given_to_every_job_and_leaves_a_presets_to_digits_jobs(
    monkeypatch, tmp_path
):
    calls: list[dict] = []
    monkeypatch.setattr(
        "mibias.experiments.table1.table1", lambda out, **kwargs: calls.append(kwargs) or ""
    )
    grid = ["table1", "--fc-term", "--methods", "erm,mi,hsic", "--out", str(tmp_path)]
    assert main(grid) == 0 and main([*grid, "--lambda", "3"]) == 0
    preset, given = calls
    assert preset["lams"] is None and preset["lam"] == FC_TERM["lam"]
    assert given["lams"] == (3.0,) and "lam" not in given


@pytest.mark.parametrize(("refits", "said"), [(0.0, False), (2.0, True)])
def test_digits_ends_by_saying_how_often_the_estimator_was_refitted(
    monkeypatch, tmp_path, capsys, refits, said
):
    last = {"epoch": 12, "test_accuracy": 0.9, "train_accuracy": 0.95, "mi": 0.3}
    last |= {"leak_bound_nats": 0.5, "probe_mlp": 0.4, "majority": 0.1}
    monkeypatch.setattr(
        "mibias.experiments.digits.run_digits",
        lambda run, out, resume: [{**last, "estimator_refits": refits}],
    )
    assert main(["digits", "--out", str(tmp_path)]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("epoch 12: test accuracy 0.9000")
    assert ("(the estimator was re-fitted 2 times)" in line) is said
    assert line.endswith(
        "; colour class in z on the test digits: I(z; colour class) at least 0.5000 nats, MLP "
        "probe 0.4000 (majority 0.1000)"
    )
