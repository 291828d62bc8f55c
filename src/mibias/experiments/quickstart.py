"""The README's main job: a small real reproduction of Table 1 and Figure 4 at sigma 0.020."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mibias.experiments.digits_recipe import MAIN_JOB, run_weight
from mibias.experiments.figure4 import figure4
from mibias.experiments.table1 import accuracy_table, measures
from mibias.report import summary_table, write_table
from mibias.sweep import collect


def quickstart(
    out: str | Path,
    *,
    sigma: float = 0.020,
    seed: int = 0,
    lam: float | None = None,
    workers: int = 1,
    **settings: Any,
) -> str:
    """Train ERM (lambda 0, MI estimate tracked) and MI backprop (``lam``) at one colour
    variance, ``workers`` processes at a time, and write ``quickstart.md`` (ours beside the
    paper's rows, with the colour left in z) and ``figure4.png``.

    ``settings`` are :class:`~mibias.experiments.digits_recipe.DigitsRun` fields; those not
    given take :data:`~mibias.experiments.digits_recipe.MAIN_JOB`'s values, then the recipe's
    defaults; ``lam`` None is MI backprop's default."""
    out = Path(out)
    settings = {**MAIN_JOB, **settings}
    lam = run_weight("mi", lam)
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
    run = frame.iloc[0]
    digits = "all" if pd.isna(run["limit"]) else f"{int(run['limit']):,}"
    note = (
        f"Ours: seed {seed}, {digits} training digits, {int(run['epochs'])} epochs, MI term on "
        f"the {run['z_layer']} layer; unbiased test digits with {run['test_colours']} test "
        "colours, read once after the last epoch; colour class = the digit's nearest palette "
        "colour, read from z on the test digits by a fresh estimator and probes. The paper "
        f"trained on 60,000 digits for far longer (the authors' code: about 500 epochs). "
        f"Curves (validation digits): {path}"
    )
    return write_table(table, out / "quickstart", "Colored MNIST, a small reproduction", note)
