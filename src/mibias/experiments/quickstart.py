"""The README's main job: a small real reproduction of Table 1 and Figure 4 at sigma 0.020."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mibias.experiments.digits import METHOD_LAMBDAS
from mibias.experiments.figure4 import figure4
from mibias.experiments.table1 import accuracy_table, measures
from mibias.report import summary_table, write_table
from mibias.sweep import collect


def quickstart(
    out: str | Path,
    *,
    sigma: float = 0.020,
    seed: int = 0,
    lam: float = METHOD_LAMBDAS["mi"],
    workers: int = 1,
    **settings: Any,
) -> str:
    """Train ERM (lambda 0, MI estimate tracked) and MI backprop (``lam``) at one colour
    variance, ``workers`` processes at a time, and write ``quickstart.md`` (ours beside the
    paper's rows) and ``figure4.png``."""
    out = Path(out)
    path, results = figure4(
        out, sigmas=(sigma,), lams=(0.0, lam), seeds=(seed,), workers=workers, **settings
    )
    frame = collect(results)
    if frame.empty:
        raise RuntimeError("neither run finished; see error.txt in the run folders")
    frame["label"] = [
        "ERM (lambda 0)" if value == 0 else f"MI backprop (lambda {value:g})"
        for value in frame["lam"]
    ]
    names = ("ERM, paper", "Kim et al.", "MI backprop, paper (lambda 1)")
    accuracy = accuracy_table(frame, [sigma], names)
    accuracy.columns = [f"test accuracy, {frame['test_colours'].iloc[0]} colours"]
    others = {
        name: summary_table(frame, row="label", column="sigma", value=value, columns=[sigma])
        for value, name in measures(frame).items()
    }
    table = pd.concat(
        [accuracy, *(part.set_axis([name], axis=1) for name, part in others.items())], axis=1
    ).fillna("—")
    epochs = int(frame["epochs"].iloc[0])
    note = (
        f"Ours: seed {seed}, {epochs} epochs, unbiased test digits with "
        f"{frame['test_colours'].iloc[0]} test colours. The paper trained for far longer "
        f"(the authors' code: about 500 epochs). Curves: {path}"
    )
    return write_table(table, out / "quickstart", "Colored MNIST, a small reproduction", note)
