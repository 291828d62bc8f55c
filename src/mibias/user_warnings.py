"""Warnings that name the user's line: the first caller outside mibias and scikit-learn,
however deep inside them the warning is raised (``fit_transform``, wrapped by scikit-learn's
output container, calling ``fit`` calling a helper; a ``Pipeline`` calling ``fit``)."""

from __future__ import annotations

import os
import sys
import warnings

import sklearn

LIBRARY_FOLDERS = tuple(
    os.path.dirname(os.path.realpath(module.__file__)) + os.sep
    for module in (sys.modules[__package__], sklearn)
    if module.__file__ is not None
)


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """Issue ``message`` as ``category``, attributed to the innermost calling frame outside
    mibias and scikit-learn, so that the line Python prints and a warning filter on a module
    both name the user's code."""
    frame = sys._getframe(1)
    level = 2  # warnings.warn counts this function as 1 and its caller as 2
    while frame.f_back is not None and os.path.realpath(frame.f_code.co_filename).startswith(
        LIBRARY_FOLDERS
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
