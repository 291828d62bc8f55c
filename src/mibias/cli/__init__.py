"""The ``mibias`` command line: one module per command family.

``entry`` builds the parser (each command's options from its family's module, imported when
the command is chosen); ``running`` runs a parsed command and maps its errors to exit statuses
(``status``); ``audit`` and ``erase`` hold those commands, ``tools`` ``data`` and ``select``;
``colored_mnist``, ``imdb`` and ``fairness`` the paper's recipes; ``demo`` the generated-task
demonstration; ``common`` the options they share.
"""

from mibias.cli.entry import build_parser, main
from mibias.cli.status import (
    EXIT_BAD_INPUT,
    EXIT_CANNOT_WRITE,
    EXIT_DAMAGED,
    EXIT_DIVERGED,
    EXIT_INTERRUPTED,
    EXIT_NO_RUN_FINISHED,
)

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CANNOT_WRITE",
    "EXIT_DAMAGED",
    "EXIT_DIVERGED",
    "EXIT_INTERRUPTED",
    "EXIT_NO_RUN_FINISHED",
    "build_parser",
    "main",
]
