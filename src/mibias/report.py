"""Tables (Markdown and CSV) of results, mean +- std over seeds, beside published numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def mean_std(values: Sequence[float]) -> str:
    """``mean +- std`` of the values (``mean`` alone for a single value)."""
    values = [v for v in values if v == v]  # drop NaN
    if not values:
        return "—"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.mean(values):.3f} +- {np.std(values):.3f}"


def with_columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with each of ``columns`` it lacks added as NaN: a measure no run took (runs
    made before it existed, or without it) reads "—" in a table."""
    return frame.assign(**{name: np.nan for name in columns if name not in frame})


def summary_table(
    results: pd.DataFrame,
    *,
    row: str,
    column: str,
    value: str,
    published: Mapping[str, Sequence[float | None]] | None = None,
    columns: Sequence[object] | None = None,
) -> pd.DataFrame:
    """Pivot ``results`` to ``row`` x ``column`` cells of ``mean +- std`` of ``value``.

    ``published`` rows (name -> one value per column, ``None`` where not reported) are placed
    first, marked "(published)".
    """
    columns = list(columns) if columns is not None else sorted(results[column].unique())
    table: dict[str, list[str]] = {}
    for name, numbers in (published or {}).items():
        table[f"{name} (published)"] = ["—" if v is None else f"{v:.3f}" for v in numbers]
    for name, group in results.groupby(row, sort=False):
        table[f"{name} (ours)"] = [
            mean_std(group.loc[group[column] == col, value].tolist()) for col in columns
        ]
    return pd.DataFrame.from_dict(table, orient="index", columns=[str(c) for c in columns])


def write_table(table: pd.DataFrame, path: str | Path, title: str, note: str = "") -> str:
    """Write ``table`` as ``path``.md and ``path``.csv; returns the Markdown text."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "| method | " + " | ".join(table.columns) + " |"
    lines = [header, "|---|" + "---|" * len(table.columns)]
    for name, cells in table.iterrows():
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    text = "\n".join([f"# {title}", "", *lines, "", note]).strip() + "\n"
    path.with_suffix(".md").write_text(text)
    table.to_csv(path.with_suffix(".csv"), index_label="method")
    return text
