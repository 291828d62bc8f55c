import dataclasses
import inspect

import pytest

from mibias.cli import main
from mibias.cli.erase import MI_OPTIONS
from mibias.erasure.eraser import MIEraser
from mibias.erasure.settings import ERASERS, ERASURE_PROBES, LINEAR_ERASERS, MI_ERASER


def test_every_declared_default_is_the_erasers_own():
    """The defaults ``mibias erase --help`` shows, read without torch, are the ones
    ``MIEraser`` fits with: each field names a parameter and is its default."""
    parameters = inspect.signature(MIEraser).parameters
    defaults = MIEraser().get_params()
    for field in dataclasses.fields(MI_ERASER):
        assert parameters[field.name].default == getattr(MI_ERASER, field.name), field.name
        assert defaults[field.name] == getattr(MI_ERASER, field.name), field.name


def test_every_option_of_the_command_line_has_a_declared_default_in_its_help(capsys):
    fields = {field.name for field in dataclasses.fields(MI_ERASER)}
    assert {name for name, *_ in MI_OPTIONS.values()} <= fields
    with pytest.raises(SystemExit):
        main(["erase", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"(default: {MI_ERASER.noise})" in help_text
    assert f"(default: {MI_ERASER.lam})" in help_text


def test_the_linear_erasers_and_the_probes_come_from_one_list_each():
    assert ERASERS[0] == "mi" and set(LINEAR_ERASERS) == set(ERASERS) - {"mi"}
    assert "knn" in ERASURE_PROBES
