"""Settings declared once: a dataclass field holds a setting's type, default and documentation,
and the command-line options and the run records are derived from those fields.

A recipe's settings class declares each field with :func:`setting`, and holds the settings of
the parts it drives (the trainer's :class:`~mibias.training.TrainerConfig`) as :func:`nested`
fields rather than copies. Every setting, nested or not, has one flat name (:func:`flat_settings`):
its option (``--flat-name``, or the field's own ``flag``), its key in recipe.json and sweep
records, and its name in a settings mapping. :func:`add_options` turns the settings into typed
options (choices from a ``Literal``), :func:`given_settings` reads back the ones a user gave
(options not given stay out, so the dataclass default is the only default),
:func:`from_settings` builds a recipe from flat names and :func:`settings_record` writes one
back as flat names.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import operator
import types
import typing
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Literal

from mibias.io import InputError


def setting(
    default: Any = dataclasses.MISSING,
    help: str = "",
    *,
    flag: str | None = None,
    choices: Sequence[str] | None = None,
    name: str | None = None,
    at_least: float | None = None,
    above: float | None = None,
    below: float | None = None,
) -> Any:
    """A dataclass field with its documentation and the values it allows.

    Parameters
    ----------
    default
        The setting's default (none: the option is required).
    help
        One line for ``--help``; for a boolean, what it turns on (the switch that turns it
        off says so itself).
    flag
        The option's name when it is not ``--flat-name``; for a boolean, the switch that turns
        it off when it is not ``--no-flat-name`` (``--flat-name`` turns it on).
    choices
        The allowed values, where the annotation is a plain ``str``.
    name
        The setting's flat name, before a :func:`nested` prefix, when it is not the field's
        (``OptimizerConfig.name`` is ``optimizer``).
    at_least, above, below
        The smallest value allowed, and the bounds a value must lie above and below, for a
        number (``None`` is always allowed where the annotation admits it);
        :func:`setting_errors` reads them.
    """
    return dataclasses.field(
        default=default,
        metadata={
            "help": help,
            "flag": flag,
            "choices": choices,
            "name": name,
            "at_least": at_least,
            "above": above,
            "below": below,
        },
    )


def nested(kind: type, *, prefix: str = "", skip: Collection[str] = (), **defaults: Any) -> Any:
    """A dataclass field holding the settings dataclass ``kind`` (a recipe's trainer settings).

    Its settings become the holder's own: options and record keys ``prefix + flat name``.

    Parameters
    ----------
    kind
        The dataclass held.
    prefix
        Put before the flat names of ``kind``'s settings (``estimator_`` makes the estimator
        optimiser's ``lr`` the setting ``estimator_lr``).
    skip
        Fields of ``kind`` the holder sets itself: not settings of the holder.
    defaults
        The holder's defaults where they differ from ``kind``'s.
    """
    return dataclasses.field(
        default_factory=lambda: kind(**defaults),
        metadata={"nested": kind, "prefix": prefix, "skip": tuple(skip)},
    )


@dataclass(frozen=True)
class FlatSetting:
    """One setting of a recipe under its flat name.

    Attributes
    ----------
    path : tuple of str
        The attributes from the recipe to the value (``("trainer", "model_optimizer", "lr")``).
    field : dataclasses.Field
        Its declaration (documentation and option name in the metadata).
    annotation : Any
        Its type.
    default : Any
        The recipe's default (``dataclasses.MISSING`` when it has none).
    """

    path: tuple[str, ...]
    field: dataclasses.Field
    annotation: Any
    default: Any


def flat_settings(recipe: type) -> dict[str, FlatSetting]:
    """Every setting of the dataclass ``recipe`` by its flat name, those of its :func:`nested`
    fields included, in declaration order.

    Raises
    ------
    TypeError
        When two settings would share a flat name.
    """
    return _flatten(recipe, None, "", ())


def _flatten(
    kind: type, holder: Any, prefix: str, path: tuple[str, ...], skip: Collection[str] = ()
) -> dict[str, FlatSetting]:
    hints = typing.get_type_hints(kind)
    found: dict[str, FlatSetting] = {}
    for field in dataclasses.fields(kind):
        if field.name in skip:
            continue
        default = getattr(holder, field.name) if holder is not None else _default(field)
        inner = field.metadata.get("nested")
        parts = (
            _flatten(inner, default, prefix + field.metadata["prefix"], (*path, field.name),
                     field.metadata["skip"])
            if inner is not None
            else {
                prefix + (field.metadata.get("name") or field.name): FlatSetting(
                    (*path, field.name), field, hints[field.name], default
                )
            }
        )  # fmt: skip
        shared = set(parts) & set(found)
        if shared:
            raise TypeError(f"{kind.__name__}: two settings named {', '.join(sorted(shared))}")
        found.update(parts)
    return found


def _default(field: dataclasses.Field) -> Any:
    """A field's default value (``dataclasses.MISSING`` for none)."""
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def from_settings(recipe: type, values: Mapping[str, Any]) -> Any:
    """The dataclass ``recipe`` built from settings by flat name; the others keep the
    recipe's defaults.

    Raises
    ------
    ValueError
        For a name that is not a setting of ``recipe``, naming it.
    """
    known = flat_settings(recipe)
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"unknown {recipe.__name__} settings: {', '.join(unknown)}")
    return _build(recipe, None, {known[name].path: value for name, value in values.items()})


def _build(kind: type, base: Any, values: Mapping[tuple[str, ...], Any]) -> Any:
    """``kind`` (or ``base`` with some fields replaced) with ``values`` by attribute path."""
    given: dict[str, Any] = {}
    for field in dataclasses.fields(kind):
        inner = {path[1:]: value for path, value in values.items() if path[0] == field.name}
        if (field.name,) in values:
            given[field.name] = values[(field.name,)]
        elif inner:
            start = getattr(base, field.name) if base is not None else _default(field)
            given[field.name] = _build(type(start), start, inner)
    return kind(**given) if base is None else dataclasses.replace(base, **given)


def settings_record(run: Any) -> dict[str, Any]:
    """Every setting of the recipe ``run`` by flat name: what recipe.json holds."""
    record = {}
    for name, flat in flat_settings(type(run)).items():
        value = run
        for attribute in flat.path:
            value = getattr(value, attribute)
        record[name] = value
    return record


def add_options(
    parser: argparse.ArgumentParser,
    recipe: type,
    *,
    skip: Collection[str] = (),
    title: str = "training settings",
    preset: Mapping[str, Any] | None = None,
) -> None:
    """Add one option per setting of the dataclass ``recipe`` (:func:`flat_settings`, nested
    ones included; except ``skip``) to ``parser``, in a group called ``title``.

    ``preset`` holds the values a command applies where the user gives none, in place of the
    fields' defaults (the command applies them; here they only set the help). A boolean gets
    both switches, on and off."""
    group = parser.add_argument_group(title)
    preset = preset or {}
    for name, flat in flat_settings(recipe).items():
        if name in skip:
            continue
        field = flat.field
        default = preset.get(name, flat.default)
        flag = field.metadata.get("flag")
        text = field.metadata.get("help", "")
        kind, choices, count = _value_type(flat.annotation)
        if kind is bool:
            # both switches, whatever the default: a command written under other defaults
            # (or a preset's) still parses and can turn the setting either way
            # (one of the two per command: given both, argparse refuses the second by name)
            where = "in this command" if default != flat.default else "by default"
            dashed = name.replace("_", "-")
            switches = group.add_mutually_exclusive_group()
            for value, switch, words in (
                (True, f"--{dashed}", text),
                (False, flag or f"--no-{dashed}", f"turn off: {text}"),
            ):
                switches.add_argument(
                    switch,
                    dest=name,
                    action="store_true" if value else "store_false",
                    default=argparse.SUPPRESS,
                    help=f"{words} ({'on' if default else 'off'} {where})"
                    if value == default or default != flat.default
                    else words,
                )
            continue
        required = default is dataclasses.MISSING
        group.add_argument(
            flag or f"--{name.replace('_', '-')}",
            dest=name,
            type=kind,
            nargs=count,
            choices=field.metadata.get("choices") or choices,
            required=required,
            default=argparse.SUPPRESS,
            help=text
            if required or ("default" in text and name not in preset)
            else f"{text} (default: {default})",
        )


def option_flag(recipe: type, name: str) -> str:
    """The command-line option of the setting ``name`` of ``recipe`` (its own ``flag``, or
    ``--flat-name``)."""
    field = flat_settings(recipe)[name].field
    return field.metadata.get("flag") or f"--{name.replace('_', '-')}"


def given_settings(
    args: argparse.Namespace, recipe: type, *, skip: Collection[str] = ()
) -> dict[str, Any]:
    """The settings of ``recipe`` the user set on the command line, by flat name, except
    ``skip`` (those :func:`add_options` left to the command's own options)."""
    given = {}
    for name in flat_settings(recipe):
        if name in skip or not hasattr(args, name):
            continue
        value = getattr(args, name)
        given[name] = tuple(value) if isinstance(value, list) else value  # nargs gives a list
    return given


def refuse_invalid_jobs(recipe: type, jobs: Sequence[Mapping[str, Any]]) -> None:
    """Build the dataclass ``recipe`` from each of a grid's job settings (flat names), so that
    a value the declarations do not allow stops the grid before any run starts.

    Raises
    ------
    InputError
        Every distinct problem, once.
    """
    problems: dict[str, None] = {}
    for settings in jobs:
        try:
            from_settings(recipe, settings)
        except InputError as error:
            problems[str(error)] = None
    if problems:
        raise InputError("; ".join(problems))


def job_settings(
    recipe: type, settings: Mapping[str, Any], what: str, per_job: Collection[str]
) -> dict[str, Any]:
    """Every setting of the dataclass ``recipe`` a grid's jobs share, by flat name
    (:func:`flat_settings`): ``settings`` over the recipe's defaults, less the
    ones each job sets itself (``per_job``).

    All of them go into each job's record, so a rerun in the same folder with other settings,
    given or default, is refused rather than mixed in (:func:`mibias.sweep.runner.check_reuse`).

    Raises
    ------
    ValueError
        For ``settings`` that are not settings of ``recipe``, naming them.
    """
    known = flat_settings(recipe)
    unknown = set(settings) - set(known)
    if unknown:
        raise ValueError(f"unknown {what} settings: {', '.join(sorted(unknown))}")
    complete = {name: flat.default for name, flat in known.items()}
    complete.update(settings)
    return {k: v for k, v in complete.items() if k not in per_job}


# a number's bounds as :func:`setting` takes them: the keyword, its sign, and the test
BOUNDS = (("at_least", ">=", operator.ge), ("above", ">", operator.gt), ("below", "<", operator.lt))


def setting_errors(settings: Any) -> list[str]:
    """One message for each setting of the dataclass instance ``settings`` (its :func:`nested`
    ones included, by flat name) whose value its declaration does not allow: not one of a
    ``Literal``'s values or of the field's ``choices`` (``clip must be param, global, z or
    none, got 'x'``), not of its annotation's type (``lam must be a number, got 'a'``;
    ``epochs must be a whole number, got 2.5``), below its ``at_least``, not above its
    ``above`` or not below its ``below`` (``epochs must be >= 1, got 0``); None stands for a
    default and is not checked.
    The allowed values are read from the declarations, never written out again."""
    problems = []
    for name, flat in flat_settings(type(settings)).items():
        value = settings
        for attribute in flat.path:
            value = getattr(value, attribute)
        kind, choices, count = _value_type(flat.annotation)
        choices = flat.field.metadata.get("choices") or choices
        if choices is not None and value is not None and value not in choices:
            allowed = [str(choice) for choice in choices]
            problems.append(
                f"{name} must be {', '.join(allowed[:-1])} or {allowed[-1]}, got {value!r}"
            )
        if value is None or choices is not None or count is not None:
            continue
        wrong_type = {
            bool: ("True or False", not isinstance(value, bool)),
            int: ("a whole number", isinstance(value, bool) or not isinstance(value, Integral)),
            float: ("a number", isinstance(value, bool) or not isinstance(value, Real)),
        }.get(kind)
        if wrong_type is not None and wrong_type[1]:
            problems.append(f"{name} must be {wrong_type[0]}, got {value!r}")
            continue
        if isinstance(value, bool) or not isinstance(value, Real):
            continue
        if not math.isfinite(value):  # NaN or infinity: no run can use it
            problems.append(f"{name} must be a finite number, got {value:g}")
            continue
        for bound, words, allowed in BOUNDS:
            limit = flat.field.metadata.get(bound)
            if limit is not None and not allowed(value, limit):
                problems.append(f"{name} must be {words} {limit:g}, got {value:g}")
    return problems


def refuse_invalid_settings(
    settings: Any, problems: Sequence[str] = (), what: str = "settings"
) -> None:
    """Raise when the dataclass instance ``settings`` holds a value its declarations do not
    allow (:func:`setting_errors`) or ``problems`` (the checks a class makes across its
    settings) is not empty: what a settings class's ``__post_init__`` calls.

    Raises
    ------
    InputError
        ``invalid {what}: `` and every problem.
    """
    failed = [*setting_errors(settings), *problems]
    if failed:
        raise InputError(f"invalid {what}: " + "; ".join(failed))


def _value_type(annotation: Any) -> tuple[type, tuple[Any, ...] | None, int | None]:
    """The type an option converts its text to, its choices and its count of values, from a
    field's annotation (``X | None`` reads as ``X``; a ``Literal`` gives its values as the
    choices; ``tuple[float, float]`` takes two floats)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"a setting has one type besides None, got {annotation}")
        annotation = inner[0]
    if typing.get_origin(annotation) is Literal:
        values = typing.get_args(annotation)
        return type(values[0]), values, None
    if typing.get_origin(annotation) is tuple:
        items = typing.get_args(annotation)
        return items[0], None, len(items)
    return annotation, None, None
