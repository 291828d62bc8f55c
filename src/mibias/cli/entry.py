"""The ``mibias`` command's parser: every command listed at once, each command's options added
from its family's module only when it is chosen, so that ``mibias --help`` imports neither
those modules nor torch. Running a parsed command is :mod:`mibias.cli.running`'s."""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from mibias.version import __version__

# every command, in the order ``mibias --help`` lists them: the function (``module:name``) that
# adds its options, which registers its whole family, and its line in the list
COMMANDS: dict[str, tuple[str, str]] = {
    "audit": (
        "mibias.cli.audit:add_audit_command",
        "estimate how much a representation leaks an attribute",
    ),
    "data": ("mibias.cli.tools:add_tool_commands", "fetch or verify datasets"),
    "select": (
        "mibias.cli.tools:add_tool_commands",
        "choose lambda from training logs only (no test or validation data)",
    ),
    "erase": (
        "mibias.cli.erase:add_erase_command",
        "remove an attribute from vectors you already have",
    ),
    "digits": (
        "mibias.cli.colored_mnist:add_colored_mnist_commands",
        "one Colored MNIST run (Table 1 protocol)",
    ),
    "table1": (
        "mibias.cli.colored_mnist:add_colored_mnist_commands",
        "Table 1: a grid of Colored MNIST runs and the table beside the paper's",
    ),
    "figure4": (
        "mibias.cli.colored_mnist:add_colored_mnist_commands",
        "Figure 4: MI, validation and train accuracy per epoch for lambda 0, 0.5, 1",
    ),
    "quickstart": (
        "mibias.cli.colored_mnist:add_colored_mnist_commands",
        "the main job: ERM vs MI backprop on Colored MNIST (sigma 0.020), table + figure",
    ),
    "demo": (
        "mibias.cli.demo:add_demo_command",
        "debias a generated task: ERM vs MI backprop, with audits",
    ),
    "fairness": (
        "mibias.cli.fairness:add_fairness_commands",
        "fair classification on UCI Adult or German credit (Table 3 protocol)",
    ),
    "table3": (
        "mibias.cli.fairness:add_fairness_commands",
        "Table 3: every method on Adult and German, beside the paper's numbers",
    ),
    "figure5": (
        "mibias.cli.fairness:add_fairness_commands",
        "Figure 5: EO and accuracy against lambda on German credit",
    ),
    "imdb": (
        "mibias.cli.imdb:add_imdb_commands",
        "IMDB faces: gender trained on an age-biased split (EB1 or EB2), Table 2 protocol",
    ),
    "table2": (
        "mibias.cli.imdb:add_imdb_commands",
        "Table 2: every method trained on EB1 and on EB2, beside the paper's numbers",
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mibias`` command; returns the exit status."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        parser.chosen(args).refuse(unknown)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    from mibias.cli.running import run_command  # imports torch: after --help and bad options

    return run_command(args)


def build_parser() -> CommandParser:
    """The argument parser with one sub-command per job (:class:`LazyCommands`)."""
    parser = CommandParser(
        prog="mibias",
        description="Representations that carry no information about a bias attribute.",
    )
    parser.add_argument("--version", action="version", version=f"mibias {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", action=LazyCommands)
    for name, (family, line) in COMMANDS.items():
        commands.add_command(name, family, line)
    return parser


class CommandParser(argparse.ArgumentParser):
    """A parser (the command's and every sub-command's) that takes options by their full names
    only: argparse would read ``table1 --seed 5`` as ``--seeds 5``, five seeds where seed 5
    was meant. :meth:`refuse` names the arguments no option took and the closest options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def chosen(self, args: argparse.Namespace) -> CommandParser:
        """The parser of the (sub-)command ``args`` chose, the deepest one (``data fetch``)."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                name = getattr(args, action.dest, None)
                if name in action.choices:
                    return action.choices[name].chosen(args)
        return self

    def refuse(self, unknown: Sequence[str]) -> NoReturn:
        """Exit with argparse's error for ``unknown`` arguments, with the closest of this
        parser's options for each unknown option."""
        options = [name for action in self._actions for name in action.option_strings]
        hints = [
            f"{given}: did you mean {close[0]}?"
            for given in (argument.split("=")[0] for argument in unknown)
            if given.startswith("-")
            and (close := difflib.get_close_matches(given, options, n=1, cutoff=0.7))
        ]
        self.error(
            f"unrecognized arguments: {' '.join(unknown)}"
            + (f" ({'; '.join(hints)})" if hints else "")
        )


class LazyCommands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """Sub-commands listed with their line of help, whose options are added when one is chosen.

    A family's registration function (``add_*_commands(commands)``) is called once, with a
    stand-in for argparse's sub-parsers whose ``add_parser(name, description=...)`` returns
    the parser already listed under ``name``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._families: dict[str, str] = {}
        self._registered: set[str] = set()

    def add_command(self, name: str, family: str, line: str) -> None:
        """List command ``name`` (``line`` in the help) whose options ``family`` adds."""
        self.add_parser(name, help=line)
        self._families[name] = family

    def load(self, name: str) -> argparse.ArgumentParser:
        """Command ``name``'s parser with its options (its family registered once)."""
        family = self._families[name]
        if family not in self._registered:
            module, function = family.split(":")
            getattr(importlib.import_module(module), function)(ListedCommands(self))
            self._registered.add(family)
        return self._name_parser_map[name]

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if values and values[0] in self._name_parser_map:  # an unknown one: argparse's error
            self.load(values[0])
        super().__call__(parser, namespace, values, option_string)


class ListedCommands:
    """What a family's registration function is given in place of argparse's sub-parsers."""

    def __init__(self, commands: LazyCommands) -> None:
        self._parsers = commands._name_parser_map

    def add_parser(self, name: str, *, description: str | None = None) -> argparse.ArgumentParser:
        """The parser listed under ``name``, with ``description`` for its ``--help``."""
        if name not in self._parsers:
            raise KeyError(f"command {name!r} is not listed in mibias.cli.entry.COMMANDS")
        parser = self._parsers[name]
        parser.description = description
        return parser


if __name__ == "__main__":
    sys.exit(main())
