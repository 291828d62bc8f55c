"""Figures written to files: a headless pyplot and one way of saving."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

from mibias.io import atomic_path


def pyplot() -> ModuleType:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (imported on first use)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure: Any, path: Path) -> Path:
    """Write ``figure`` as a PNG through an atomic rename, then close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=".png") as tmp:
        figure.savefig(tmp, dpi=120)
    pyplot().close(figure)
    return path
