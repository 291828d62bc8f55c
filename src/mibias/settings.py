"""Settings declared once: a dataclass field holds a setting's type, default and documentation,
and the command-line options are derived from those fields.

A recipe's settings class declares each field with :func:`setting`; :func:`add_options` turns
the fields into options (``--field-name``, or the field's own ``flag``), typed and with choices
from the annotation (``Literal``), and :func:`given_settings` reads back the options a user
gave. Options not given stay out of the result, so the dataclass default is the only default.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal


def setting(
    default: Any = dataclasses.MISSING,
    help: str = "",
    *,
    flag: str | None = None,
    choices: Sequence[str] | None = None,
) -> Any:
    """A dataclass field with its documentation.

    Parameters
    ----------
    default
        The setting's default (none: the option is required).
    help
        One line for ``--help``; for a boolean, what it turns on (the switch that turns it
        off says so itself).
    flag
        The option's name when it is not ``--field-name`` (for a boolean that defaults to True,
        the option that turns it off; ``--no-field-name`` otherwise).
    choices
        The allowed values, where the annotation is a plain ``str``.
    """
    return dataclasses.field(
        default=default, metadata={"help": help, "flag": flag, "choices": choices}
    )


def add_options(
    parser: argparse.ArgumentParser,
    recipe: type,
    *,
    skip: Collection[str] = (),
    title: str = "training settings",
    preset: Mapping[str, Any] | None = None,
) -> None:
    """Add one option per field of the dataclass ``recipe`` (except ``skip``) to ``parser``,
    in a group called ``title``.

    ``preset`` holds the values a command applies where the user gives none, in place of the
    fields' defaults (the command applies them; here they only set the help and the direction
    of a boolean's switch)."""
    group = parser.add_argument_group(title)
    hints = typing.get_type_hints(recipe)
    preset = preset or {}
    for field in dataclasses.fields(recipe):
        if field.name in skip:
            continue
        default = preset.get(field.name, field.default)
        flag = field.metadata.get("flag") if default == field.default else None
        text = field.metadata.get("help", "")
        kind, choices = _value_type(hints[field.name])
        if kind is bool:
            on = not default
            preset_on = default and not field.default
            group.add_argument(
                flag or f"--{'' if on else 'no-'}{field.name.replace('_', '-')}",
                dest=field.name,
                action="store_true" if on else "store_false",
                default=argparse.SUPPRESS,
                help=text
                if on
                else f"turn off: {text}" + (" (on in this command)" if preset_on else ""),
            )
            continue
        required = default is dataclasses.MISSING
        group.add_argument(
            flag or f"--{field.name.replace('_', '-')}",
            dest=field.name,
            type=kind,
            choices=field.metadata.get("choices") or choices,
            required=required,
            default=argparse.SUPPRESS,
            help=text
            if required or ("default" in text and field.name not in preset)
            else f"{text} (default: {default})",
        )


def option_flag(recipe: type, name: str) -> str:
    """The command-line option of the field ``name`` of ``recipe`` (its own ``flag``, or
    ``--field-name``)."""
    field = {f.name: f for f in dataclasses.fields(recipe)}[name]
    return field.metadata.get("flag") or f"--{name.replace('_', '-')}"


def given_settings(
    args: argparse.Namespace, recipe: type, *, skip: Collection[str] = ()
) -> dict[str, Any]:
    """The fields of ``recipe`` the user set on the command line, except ``skip`` (the fields
    :func:`add_options` left to the command's own options)."""
    return {
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(recipe)
        if f.name not in skip and hasattr(args, f.name)
    }


def _value_type(annotation: Any) -> tuple[type, tuple[Any, ...] | None]:
    """The type an option converts its text to, and its choices, from a field's annotation
    (``X | None`` reads as ``X``; a ``Literal`` gives its values as the choices)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"a setting has one type besides None, got {annotation}")
        annotation = inner[0]
    if typing.get_origin(annotation) is Literal:
        values = typing.get_args(annotation)
        return type(values[0]), values
    return annotation, None
