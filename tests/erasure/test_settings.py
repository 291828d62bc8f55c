import dataclasses
import inspect

import pytest

from mibias.baselines.erasers import LeaceEraser
from mibias.cli import main
from mibias.cli.erase import METHOD_OPTIONS
from mibias.erasure.eraser import MIEraser
from mibias.erasure.settings import (
    ERASERS,
    ERASURE_PROBES,
    LEACE_ERASER,
    LINEAR_ERASERS,
    MI_ERASER,
)


@pytest.mark.parametrize("eraser, declared", [(MIEraser, MI_ERASER), (LeaceEraser, LEACE_ERASER)])
def test_every_declared_default_is_the_erasers_own(eraser, declared):
    """The defaults ``mibias erase --help`` shows, read without torch, are the ones the
    eraser fits with: each field names a parameter and is its default."""
    parameters = inspect.signature(eraser).parameters
    defaults = eraser().get_params()
    for field in dataclasses.fields(declared):
        assert parameters[field.name].default == getattr(declared, field.name), field.name
        assert defaults[field.name] == getattr(declared, field.name), field.name


def test_every_option_of_the_command_line_has_a_declared_default_in_its_help(capsys):
    for method, (options, declared) in METHOD_OPTIONS.items():
        fields = {field.name for field in dataclasses.fields(declared)}
        assert {name for name, *_ in options.values()} <= fields, method
    with pytest.raises(SystemExit):
        main(["erase", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"(default: {MI_ERASER.noise})" in help_text
    assert f"(default: {MI_ERASER.lam})" in help_text
    assert "leace: after LEACE, also project out" in help_text


def test_the_linear_erasers_and_the_probes_come_from_one_list_each():
    assert ERASERS[0] == "mi" and set(LINEAR_ERASERS) == set(ERASERS) - {"mi"}
    assert "knn" in ERASURE_PROBES
