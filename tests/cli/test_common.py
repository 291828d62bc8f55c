import argparse

import pytest

from mibias.cli import build_parser, main
from mibias.cli.common import say_when_nothing_to_resume
from mibias.sweep import RayBackend


def backend(*options):
    from mibias.cli.common import sweep_backend

    return sweep_backend(build_parser().parse_args(["table3", *options]))


def test_the_sweep_options_choose_the_backend():
    assert backend() is None
    assert backend("--backend", "ray") == RayBackend()
    chosen = backend("--backend", "ray", "--address", "auto", "--gpus-per-run", "0.25")
    assert chosen == RayBackend("auto", 1.0, 0.25)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--address", "auto"], "--address needs --backend ray"),
        (["--backend", "ray", "--cpus-per-run", "0"], "more than 0 CPUs"),
        (["--workers", "0"], "--workers must be at least 1, got 0"),  # was: one at a time
    ],
)
def test_bad_sweep_options_are_refused(options, message, capsys, tmp_path):
    assert main(["figure4", *options, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["table1", "--methods", "mi,sgd"], "unknown methods: sgd (available: erm, mi,"),
        (["table1", "--methods", " , "], "no methods given"),
        (["table1", "--sigmas", "0.02,x"], "--sigmas: expected comma-separated numbers"),
        (["figure5", "--lambdas", "0,a"], "--lambdas: expected comma-separated numbers"),
        (["table3", "--datasets", "adult,credit"], "unknown datasets: credit"),
        (["table2", "--data", "x", "--methods", "mine"], "unknown methods: mine"),
        (["table1", "--seeds", "0"], "--seeds must be at least 1, got 0"),
    ],
)
def test_every_list_option_refuses_bad_entries_in_one_line(command, message, capsys, tmp_path):
    assert main([*command, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("command", ["table1", "figure4", "table2", "table3", "figure5", "demo"])
def test_every_sweep_spells_its_seeds_the_same(command):
    args = build_parser().parse_args(
        [command, "--seeds", "2", *(["--data", "x"] if command == "table2" else [])]
    )
    assert args.seeds == 2


def test_resuming_a_folder_that_holds_no_run_says_the_run_starts_afresh(tmp_path, capsys):
    args = argparse.Namespace(command="digits", out=str(tmp_path / "typo"), resume=True)
    say_when_nothing_to_resume(args)
    assert capsys.readouterr().err == (
        f"mibias digits: {tmp_path / 'typo'} holds no run to resume; starting from the first "
        "epoch\n"
    )
    (tmp_path / "run.json").write_text("{}")
    say_when_nothing_to_resume(argparse.Namespace(command="digits", out=tmp_path, resume=True))
    say_when_nothing_to_resume(argparse.Namespace(command="digits", out=args.out, resume=False))
    assert capsys.readouterr().err == ""
