import argparse
from dataclasses import dataclass
from typing import Literal

import pytest

from mibias.settings import add_options, given_settings, setting


@dataclass
class Recipe:
    data: str = setting(help="where the data are")
    rule: Literal["a", "b"] = setting("a", "which rule")
    lam: float | None = setting(None, "a weight", flag="--lambda")
    steps: int = setting(10, "how many")
    fast: bool = setting(False, "go fast")
    compile: bool = setting(True, "compiled steps", flag="--no-compile")
    name: str = setting("x", "one of a few", choices=("x", "y"))


def parse(*argv, skip=()):
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_options(parser, Recipe, skip=skip)
    return given_settings(parser.parse_args(list(argv)), Recipe)


def test_only_what_was_given_comes_back_typed():
    assert parse("--data", "d") == {"data": "d"}
    given = parse("--data", "d", "--lambda", "0.5", "--steps", "3", "--fast", "--no-compile")
    assert given == {"data": "d", "lam": 0.5, "steps": 3, "fast": True, "compile": False}
    assert Recipe(**given).rule == "a"  # the dataclass holds the default


def test_choices_come_from_the_annotation_or_the_field(capsys):
    assert parse("--data", "d", "--rule", "b", "--name", "y") == {
        "data": "d",
        "rule": "b",
        "name": "y",
    }
    for bad in (["--rule", "c"], ["--name", "z"]):
        with pytest.raises((SystemExit, argparse.ArgumentError)):
            parse("--data", "d", *bad)


def test_a_field_without_default_is_required_and_skipped_fields_are_absent():
    with pytest.raises((SystemExit, argparse.ArgumentError)):
        parse()
    with pytest.raises((SystemExit, argparse.ArgumentError)):
        parse("--data", "d", "--steps", "3", skip=("steps",))
    assert parse("--data", "d", skip=("steps",)) == {"data": "d"}


def test_help_shows_the_documentation_and_the_default():
    parser = argparse.ArgumentParser()
    add_options(parser, Recipe)
    text = " ".join(parser.format_help().split())
    assert "a weight (default: None)" in text and "which rule (default: a)" in text
    assert "--no-compile turn off: compiled steps" in text and "--fast go fast" in text


def test_a_preset_sets_the_help_and_turns_a_boolean_switch_around():
    parser = argparse.ArgumentParser()
    add_options(parser, Recipe, preset={"steps": 5, "fast": True, "compile": False})
    text = " ".join(parser.format_help().split())
    assert "how many (default: 5)" in text
    assert "--no-fast turn off: go fast (on in this command)" in text
    assert "--compile compiled steps" in text and "--no-compile" not in text
    given = given_settings(parser.parse_args(["--data", "d", "--no-fast"]), Recipe)
    assert given == {"data": "d", "fast": False}  # the preset itself is the command's to apply
