"""Public names of a package imported on first use, so that importing a light part of the
package (the command line's parser, a settings class) does not import torch."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose public names load on first use.

    Parameters
    ----------
    package
        The package's ``__name__``.
    homes
        Each public name and the module that defines it.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)``; the first imports a name's module on first access and
        keeps the name in the package's namespace, and raises AttributeError for any other
        name (so that ``from package import submodule`` still imports the submodule).
    """

    def __getattr__(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(homes[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
