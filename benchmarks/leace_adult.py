"""Where LEACE's output on Adult leaks sex: to a logistic probe that standardises its inputs,
through the few columns LEACE leaves nearly constant.

    python -m benchmarks.leace_adult          (about a minute on 2 cores)

LEACE (``LeaceEraser``) is fitted on Adult's training rows (standardised inputs, sex columns
included, as in ``python -m benchmarks.erase --case adult``) and applied to the test rows. A
logistic probe predicts sex from the erased test rows (fitted on 70 % of them, scored on the
other 30 %, per seed), in four ways: on standardised columns (as the erase benchmark's probes
do), on the raw columns, on standardised columns without those whose spread on the test rows
is below 1e-3, and on standardised columns of those near-constant columns alone. Beside it,
the largest gap between the two groups' column means relative to the column's spread, on the
training rows LEACE was fitted on and on the test rows.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from benchmarks.common import command_line, write_results
from mibias.audit import probe_scores
from mibias.baselines.erasers import LeaceEraser
from mibias.data.tabular import make_split
from mibias.data.uci import load_fairness_data

SEEDS = (0, 1, 2)
# a column whose standard deviation on the erased test rows is below this is "nearly constant"
NEARLY_CONSTANT = 1e-3


def probe(z: np.ndarray, s: np.ndarray, seed: int, standardise: bool) -> float:
    """Held-out accuracy of a logistic probe of ``s`` from ``z`` (:func:`mibias.audit.
    probe_scores`), on columns standardised with the probe's training rows or raw."""
    fit_z, score_z, fit_s, score_s = train_test_split(z, s, test_size=0.3, random_state=seed)
    if standardise:
        scaler = StandardScaler().fit(fit_z)
        fit_z, score_z = scaler.transform(fit_z), scaler.transform(score_z)
    return probe_scores(fit_z, fit_s, score_z, score_s, "logistic", seed)["accuracy"]


def largest_gap(z: np.ndarray, s: np.ndarray) -> float:
    """The largest |mean(group 1) - mean(group 0)| / std over the columns of ``z``."""
    gap = np.abs(z[s == 1].mean(0) - z[s == 0].mean(0))
    return float(np.max(gap / np.maximum(z.std(0), 1e-300)))


def main() -> None:
    split = make_split(load_fairness_data("adult", progress=False), seed=0)
    eraser = LeaceEraser().fit(split.x_train, sensitive_features=split.s_train)
    erased_train = eraser.transform(split.x_train)
    erased = eraser.transform(split.x_test)
    s = split.s_test
    flat = erased.std(0) < NEARLY_CONSTANT
    names = [name for name, low in zip(split.feature_names, flat, strict=True) if low]
    variants = {
        "standardised columns": (erased, True),
        "raw columns": (erased, False),
        "standardised, nearly constant columns dropped": (erased[:, ~flat], True),
        "standardised, the nearly constant columns alone": (erased[:, flat], True),
    }
    rows = []
    for name, (z, standardise) in variants.items():
        scores = [probe(z, s, seed, standardise) for seed in SEEDS]
        rows.append(
            {
                "logistic probe of sex on LEACE's test rows": name,
                "columns": z.shape[1],
                "accuracy per seed": " ".join(f"{v:.3f}" for v in scores),
                "mean": float(np.mean(scores)),
            }
        )
    majority = float(max(s.mean(), 1 - s.mean()))
    notes = (
        f"Majority rate {majority:.3f}. Nearly constant columns (std < {NEARLY_CONSTANT:g} on "
        f"the erased test rows): {', '.join(names)}. Largest group-mean gap / column std: "
        f"{largest_gap(erased_train, split.s_train):.2e} on the training rows LEACE was fitted "
        f"on, {largest_gap(erased, s):.2f} on the test rows. Probe seeds {list(SEEDS)}."
    )
    write_results("leace_adult", command_line("leace_adult"), rows, notes)


if __name__ == "__main__":
    main()
