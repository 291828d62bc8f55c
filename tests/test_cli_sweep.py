import pytest

from mibias.cli import build_parser, main
from mibias.sweep import RayBackend


def backend(*options):
    from mibias.cli_sweep import sweep_backend

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
    ],
)
def test_bad_sweep_options_are_refused(options, message, capsys, tmp_path):
    assert main(["figure4", *options, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
