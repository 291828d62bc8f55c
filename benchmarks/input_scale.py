"""What MIFairClassifier loses on inputs that are not standardised, and whether it says so.

    python -m benchmarks.input_scale            (about 5 minutes on 2 cores)

The network reads its inputs as they are (as scikit-learn's ``MLPClassifier`` does), so the
columns' units matter. On UCI Adult's validation split (seeds 0-2; the test rows are not read)
the classifier at its defaults is fitted twice per seed: on the encoded inputs as
:func:`mibias.data.tabular.make_split` gives them (numeric columns standardised with the
training rows' statistics) and on the same inputs with the six numeric columns as the data
files hold them (age in years, fnlwgt in the hundreds of thousands, capital gains in dollars).
Per run: income accuracy on the validation rows and whether ``fit`` warned that X is far from
standardised (:func:`mibias.inputs.scale_problem`).
"""

from __future__ import annotations

import statistics
import time
import warnings

import numpy as np
from pandas.api.types import is_numeric_dtype

from benchmarks.common import command_line, write_results
from mibias.data.tabular import make_split
from mibias.data.uci import load_fairness_data
from mibias.fairness import MIFairClassifier

SEEDS = (0, 1, 2)
# the start of the warning MIFairClassifier gives for inputs far from standardised
WARNING_START = "X is far from standardised"


def as_in_the_files(
    x: np.ndarray, names: list[str], numeric: dict[str, tuple[float, float]]
) -> np.ndarray:
    """``x`` with each standardised column named in ``numeric`` (name -> the training rows'
    mean and standard deviation of its values in the files) back in the files' units."""
    out = x.copy()
    for name, (mean, deviation) in numeric.items():
        column = names.index(name)
        out[:, column] = x[:, column] * deviation + mean
    return out


def fit_and_score(x_train, y_train, s_train, x_eval, y_eval, seed: int) -> dict[str, object]:
    """One fit at the classifier's defaults: validation accuracy, seconds, whether it warned."""
    model = MIFairClassifier(check_leakage=False, random_state=seed)
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x_train, y_train, sensitive_features=s_train)
    return {
        "validation_accuracy": float((model.predict(x_eval) == y_eval).mean()),
        "fit_seconds": time.perf_counter() - started,
        "warned": any(str(w.message).startswith(WARNING_START) for w in caught),
    }


def main() -> None:
    data = load_fairness_data("adult")
    numeric = [name for name in data.features if is_numeric_dtype(data.features[name])]
    runs = []
    for seed in SEEDS:
        split = make_split(data, seed=seed, holdout="validation")
        train_rows = np.setdiff1d(np.flatnonzero(~data.official_test), split.test_rows)
        # StandardScaler's statistics of the training rows (their order does not matter)
        statistics_of = {
            name: (values.mean(), values.std())
            for name in numeric
            for values in [data.features[name].to_numpy(dtype=float)[train_rows]]
        }
        views = {
            "standardised numeric columns": (split.x_train, split.x_test),
            "numeric columns as in the files": (
                as_in_the_files(split.x_train, split.feature_names, statistics_of),
                as_in_the_files(split.x_test, split.feature_names, statistics_of),
            ),
        }
        for view, (x_train, x_eval) in views.items():
            row = fit_and_score(x_train, split.y_train, split.s_train, x_eval, split.y_test, seed)
            runs.append({"inputs": view, "seed": seed, **row})
            print(runs[-1], flush=True)
    table = []
    for view in dict.fromkeys(run["inputs"] for run in runs):
        group = [run for run in runs if run["inputs"] == view]
        accuracies = [run["validation_accuracy"] for run in group]
        table.append(
            {
                "inputs": view,
                "validation_accuracy": statistics.mean(accuracies),
                "per_seed": " / ".join(f"{value:.3f}" for value in accuracies),
                "fit_seconds": statistics.mean(run["fit_seconds"] for run in group),
                "warned": f"{sum(run['warned'] for run in group)} of {len(group)}",
            }
        )
    notes = (
        "MIFairClassifier at its defaults on UCI Adult (income; sex the attribute), fitted on "
        f"the training rows of the validation split of seeds {', '.join(map(str, SEEDS))}, "
        "scored on its validation rows (the test rows not read). warned: fits whose "
        f"warnings include '{WARNING_START} ...'."
    )
    write_results("input_scale", command_line("input_scale"), table, notes, {"runs": runs})


if __name__ == "__main__":
    main()
