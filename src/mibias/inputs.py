"""What the scikit-learn style estimators accept from a user (numeric inputs as arrays or
DataFrames, a sensitive attribute), refused in one line when it cannot be used."""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd


def as_array(values: Any) -> np.ndarray:
    """A Series, DataFrame or array-like as a numpy array."""
    if isinstance(values, pd.Series | pd.DataFrame):
        return values.to_numpy()
    return np.asarray(values)


def refuse_categorical_columns(X: Any) -> None:
    """Refuse a DataFrame with non-numeric columns, naming them.

    Raises
    ------
    ValueError
        When ``X`` is a DataFrame with a column that is not numeric.
    """
    if isinstance(X, pd.DataFrame):
        text = [str(name) for name in X if not pd.api.types.is_numeric_dtype(X[name])]
        if text:
            raise ValueError(
                f"X has non-numeric columns {text[:5]}{' ...' if len(text) > 5 else ''}: "
                "encode them first (for example OneHotEncoder in a ColumnTransformer inside "
                "a Pipeline)"
            )


def refuse_missing_values(values: Any, name: str) -> None:
    """Refuse labels of which one is missing (None or NaN): it names no group or class, and
    numpy cannot sort it among text.

    Raises
    ------
    ValueError
        Naming ``name`` and the first row with a missing value.
    """
    values = as_array(values)
    if values.ndim == 0:  # not one label per row: scikit-learn's checks say so
        return
    missing = pd.isna(pd.DataFrame(values.reshape(len(values), -1))).to_numpy().any(axis=1)
    if missing.any():
        raise ValueError(
            f"{name} contains missing values (NaN or None), first at row {int(missing.argmax())}"
        )


def refuse_mixed_labels(values: Any, name: str) -> None:
    """Refuse labels that mix text with other values (numbers): numpy cannot sort them into
    groups, and read as text 1 and "1" would be one group.

    Raises
    ------
    ValueError
        Naming ``name`` and the first row of each kind.
    """
    values = as_array(values)
    if values.dtype.kind != "O" or values.ndim == 0:
        return
    for column in values.reshape(len(values), -1).T:
        text = np.array([isinstance(value, str | bytes) for value in column])
        if text.any() and not text.all():
            first_text, first_other = int(text.argmax()), int((~text).argmax())
            raise ValueError(
                f"{name} mixes text and other values (row {first_other}: "
                f"{column[first_other]!r}, row {first_text}: {column[first_text]!r}): give its "
                "labels as one type"
            )


def check_rows(values: np.ndarray, n_rows: int, name: str = "sensitive_features") -> None:
    """Refuse ``values`` (called ``name``) unless it has one row per row of X.

    Raises
    ------
    ValueError
        Naming both row counts.
    """
    if len(values) != n_rows:
        raise ValueError(f"{name} has {len(values)} rows but X has {n_rows}")


# the range of a standardised column's root mean square (1) that the classifier's network reads
# well; far outside it, it learns worse without failing (benchmarks/results/input_scale.md)
STANDARD_SCALE = (0.01, 10.0)


def scale_problem(X: np.ndarray, names: Any = None) -> str | None:
    """What makes the numeric matrix ``X`` far from standardised, or None: its largest column
    root mean square (offset and spread together) above :data:`STANDARD_SCALE`'s upper end,
    or every column's below its lower end. ``names``: the columns' names (a DataFrame's), else
    they are numbered."""
    rms = np.sqrt(np.mean(np.square(X, dtype=np.float64), axis=0))
    column = int(np.argmax(rms))
    largest = float(rms[column])
    label = repr(str(names[column])) if names is not None else str(column)
    low, high = STANDARD_SCALE
    if largest > high:
        return f"column {label} has a root mean square of {largest:.3g}"
    if largest < low:
        return f"every column's root mean square is below {low:g} (the largest {largest:.3g})"
    return None


def checked_sensitive_features(
    values: Any, n_rows: int, *, max_groups: int | None, name: str = "sensitive_features"
) -> np.ndarray:
    """``sensitive_features`` as an array, after checking it can define groups (or, with
    ``max_groups=None``, that it varies); ``name`` is what the messages call it.

    Raises
    ------
    ValueError
        When its row count differs from ``n_rows``, it has missing values or text mixed with
        numbers, or a column holds a single value or more than ``max_groups`` distinct
        numbers (a continuous attribute, such as an age in years, which would otherwise be read
        as that many unordered groups).
    """
    values = as_array(values)
    if values.dtype.kind == "f":
        values = values + 0.0  # -0.0 to 0.0: one group, which their text would split
    check_rows(values, n_rows, name)
    refuse_missing_values(values, name)
    refuse_mixed_labels(values, name)
    for column in values.reshape(n_rows, -1).T:
        distinct = len(np.unique(column.astype(str)))
        if distinct < 2:
            raise ValueError(
                f"{name} has a single value ({column[:1].tolist()[0]!r}); the independence "
                "term needs at least two groups"
            )
        if max_groups is not None and continuous_attribute(column, max_groups):
            raise ValueError(
                f"{name} has {distinct} distinct numbers, more than the "
                f"{max_groups} groups of a categorical attribute: a continuous one? Put it "
                "in bins first (for example pandas.cut(values, bins=5))"
            )
    return values


def continuous_attribute(column: np.ndarray, max_groups: int) -> bool:
    """Whether an attribute's ``column`` is continuous: more than ``max_groups`` distinct
    numbers (an age in years, say), not the labels of groups."""
    return pd.api.types.is_numeric_dtype(column.dtype) and (
        len(np.unique(column.astype(str))) > max_groups
    )


def finite_number(value: Any) -> bool:
    """Whether ``value`` is a real number (Python's or numpy's), neither NaN nor infinite."""
    return isinstance(value, numbers.Real) and math.isfinite(value)


def whole_number(value: Any) -> bool:
    """Whether ``value`` is a whole number (Python's or numpy's), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_settings(
    at_least: Mapping[str, tuple[Any, float]],
    above_zero: Mapping[str, Any],
    *,
    whole: Collection[str] = (),
    flags: Mapping[str, Any] | None = None,
) -> None:
    """Refuse, in one message naming each, the settings below their least value (``at_least``:
    name -> (value, least)), those not above 0 (``above_zero``: name -> value), those that
    are not finite numbers or, named in ``whole``, not whole numbers, and the ``flags``
    (name -> value) that are not True or False.

    Raises
    ------
    ValueError
        When any setting is out of its range (NaN and infinity included) or of another type.
    """
    values = {name: value for name, (value, _) in at_least.items()} | dict(above_zero)
    problems = [
        f"{name} must be a finite number, got "
        f"{value if isinstance(value, numbers.Real) else repr(value)}"
        for name, value in values.items()
        if not finite_number(value)
    ]
    problems += [
        f"{name} must be a whole number, got {value!r}"
        for name, value in values.items()
        if name in whole and finite_number(value) and not whole_number(value)
    ]
    problems += [
        f"{name} must be >= {least}, got {value}"
        for name, (value, least) in at_least.items()
        if finite_number(value) and not value >= least
    ] + [
        f"{name} must be > 0, got {value}"
        for name, value in above_zero.items()
        if finite_number(value) and not value > 0
    ]
    problems += [
        f"{name} must be True or False, got {value!r}"
        for name, value in (flags or {}).items()
        if not isinstance(value, bool | np.bool_)
    ]
    if problems:
        raise ValueError("; ".join(problems))
