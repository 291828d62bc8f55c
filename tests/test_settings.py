import argparse
from dataclasses import dataclass, replace
from typing import Literal

import pytest

from mibias.io import InputError
from mibias.settings import (
    add_options,
    flat_settings,
    from_settings,
    given_settings,
    nested,
    refuse_invalid_settings,
    setting,
    setting_errors,
    settings_record,
)


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
    assert "--compile compiled steps (on by default)" in text
    assert "--no-fast turn off: go fast (off by default)" in text


def test_a_boolean_takes_both_switches_whatever_its_default():
    assert parse("--data", "d", "--compile", "--no-fast") == {
        "data": "d",
        "compile": True,
        "fast": False,
    }


def test_a_boolean_s_two_switches_together_are_refused_by_name():
    # were read as the last one given
    with pytest.raises(argparse.ArgumentError, match=r"--no-fast: not allowed with .*--fast"):
        parse("--data", "d", "--fast", "--no-fast")


def test_a_value_of_another_type_is_refused_by_name():
    # were taken as they came (a TypeError deep inside, or a string read as true)
    problems = setting_errors(Recipe(data="d", steps=10.5, lam="a", fast="yes"))
    assert problems == [
        "lam must be a number, got 'a'",
        "steps must be a whole number, got 10.5",
        "fast must be True or False, got 'yes'",
    ]
    assert setting_errors(Recipe(data="d", steps=3, lam=1)) == []  # a whole number is a number


def test_a_preset_sets_the_help_and_turns_a_boolean_switch_around():
    parser = argparse.ArgumentParser()
    add_options(parser, Recipe, preset={"steps": 5, "fast": True, "compile": False})
    text = " ".join(parser.format_help().split())
    assert "how many (default: 5)" in text
    assert "--no-fast turn off: go fast (on in this command)" in text
    assert "--compile compiled steps (off in this command)" in text
    assert "--no-compile turn off: compiled steps (off in this command)" in text
    given = given_settings(parser.parse_args(["--data", "d", "--no-fast"]), Recipe)
    assert given == {"data": "d", "fast": False}  # the preset itself is the command's to apply


@dataclass
class Optimiser:
    name: str = setting("adam", "the optimiser", name="optimizer")
    lr: float = setting(1e-3, "learning rate", above=0)
    betas: tuple[float, float] = setting((0.9, 0.999), "moment rates")


@dataclass
class Trainer:
    lam: float = setting(1.0, "weight", flag="--lambda")
    epochs: int = setting(10, "epochs")
    model: Optimiser = nested(Optimiser)
    estimator: Optimiser = nested(Optimiser, prefix="estimator_", lr=1e-4)


@dataclass
class Holder:
    sigma: float = setting(0.02, "variance")
    lam: float | None = setting(None, "the recipe's weight", flag="--lambda")
    trainer: Trainer = nested(Trainer, skip=("lam",), epochs=3)


def test_nested_settings_are_the_holders_own_under_one_flat_name():
    flat = flat_settings(Holder)
    assert list(flat) == [
        "sigma", "lam", "epochs", "optimizer", "lr", "betas",
        "estimator_optimizer", "estimator_lr", "estimator_betas",
    ]  # fmt: skip
    assert flat["lam"].path == ("lam",)  # the trainer's lam is the recipe's to set: skipped
    assert flat["estimator_lr"].path == ("trainer", "estimator", "lr")
    assert flat["epochs"].default == 3 and flat["estimator_lr"].default == 1e-4
    assert flat["lr"].default == 1e-3


def test_a_recipe_is_built_from_flat_names_and_recorded_under_them():
    run = from_settings(Holder, {"epochs": 5, "estimator_lr": 0.1, "sigma": 0.05})
    assert run.trainer.epochs == 5 and run.trainer.estimator.lr == 0.1 and run.sigma == 0.05
    assert run.trainer.model.lr == 1e-3 and run.trainer.estimator.name == "adam"
    assert run.trainer.lam == 1.0  # skipped: the holder's default instance keeps it
    record = settings_record(run)
    assert record["estimator_lr"] == 0.1 and record["epochs"] == 5 and "trainer" not in record
    assert from_settings(Holder, record) == run
    assert from_settings(Holder, {}) == Holder()
    with pytest.raises(ValueError, match="unknown Holder settings: trainer_lr"):
        from_settings(Holder, {"trainer_lr": 0.1})


def test_nested_settings_become_options_and_come_back_by_flat_name():
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_options(parser, Holder)
    argv = ["--estimator-lr", "0.5", "--optimizer", "sgd", "--betas", "0.5", "0.9"]
    given = given_settings(parser.parse_args(argv), Holder)
    assert given == {"estimator_lr": 0.5, "optimizer": "sgd", "betas": (0.5, 0.9)}
    run = from_settings(Holder, given)
    assert run.trainer == replace(
        Holder().trainer,
        model=Optimiser(name="sgd", betas=(0.5, 0.9)),
        estimator=Optimiser(lr=0.5),
    )
    text = " ".join(parser.format_help().split())
    assert "epochs (default: 3)" in text and "--estimator-lr ESTIMATOR_LR learning rate" in text


def test_two_settings_with_one_flat_name_are_refused():
    @dataclass
    class Clash:
        epochs: int = setting(1, "epochs")
        trainer: Trainer = nested(Trainer)

    with pytest.raises(TypeError, match="two settings named epochs"):
        flat_settings(Clash)


def test_a_value_outside_its_literal_or_choices_is_named_with_the_allowed_values():
    assert setting_errors(Recipe(data="d")) == []
    assert setting_errors(Recipe(data="d", rule="c", name="z")) == [
        "rule must be a or b, got 'c'",
        "name must be x or y, got 'z'",
    ]


@dataclass
class Bounded:
    size: int | None = setting(None, "rows", at_least=1)
    share: float = setting(0.3, "a share", above=0, below=1)
    trainer: Trainer = nested(Trainer)


def test_a_number_outside_its_declared_bounds_is_named_by_its_flat_name():
    assert setting_errors(Bounded()) == []  # None stands for a default and is always allowed
    assert setting_errors(Bounded(size=1, share=0.5)) == []
    assert setting_errors(Bounded(size=0, share=1.0)) == [
        "size must be >= 1, got 0",
        "share must be < 1, got 1",
    ]
    assert setting_errors(Bounded(share=float("nan"))) == ["share must be a finite number, got nan"]
    # infinity too, where no bound above would refuse it (a sigma, a lambda)
    assert setting_errors(Bounded(trainer=Trainer(lam=float("inf")))) == [
        "lam must be a finite number, got inf"
    ]
    bad_rate = Bounded(trainer=Trainer(estimator=Optimiser(lr=0.0)))
    assert setting_errors(bad_rate) == ["estimator_lr must be > 0, got 0"]
    with pytest.raises(
        InputError, match=r"^invalid run settings: estimator_lr must be > 0, got 0; also this$"
    ):
        refuse_invalid_settings(bad_rate, ["also this"], "run settings")
