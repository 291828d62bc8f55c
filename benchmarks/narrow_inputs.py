"""`MIFairClassifier` when z is as wide as X or wider: can the MI term remove a proxy?

    python -m benchmarks.narrow_inputs          (about 15 minutes on 2 cores)

Three input columns: a = s + N(0, 1), the proxy of a binary attribute s, and two standard
normal columns b and c; the label is y = [b + N(0, 0.25) > 0], so the task needs b alone and
dropping a costs nothing. Each seed (0-4) fits on 2,000 rows and is scored on 4,000 fresh rows
of the same generator: task accuracy, and the leakage of s from z there
(:meth:`MIFairClassifier.leakage_report`: a fresh estimator's I(z; s) and the audit's probes
beside the majority rate). The best any probe can read from a alone is about 0.69.

A ReLU layer of 64 units on 3 columns keeps all of X for almost any weights (z determines x),
so I(z; s) = I(x; s) until a's weights are exactly zero: the estimate the network is trained
against has no direction to follow. A layer narrower than X (``hidden_size=2``) cannot keep
all of X, and the term decides what it drops.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks.common import command_line, over_seeds, write_results
from mibias import MIFairClassifier

SEEDS = range(5)
FIT_ROWS, SCORE_ROWS = 2_000, 4_000
# (hidden_size, lam): the default width and lambda, a larger lambda, and a layer narrower than X
SETTINGS = ((64, 0.0), (64, 0.5), (64, 3.0), (2, 0.0), (2, 0.5))
COLUMNS = ("accuracy", "probe_mlp", "probe_whitened_mlp", "majority", "leak_mi_nats")


def draw(seed: int, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``rows`` rows of (X, y, s) from the generator above."""
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 2, rows)
    x = np.stack([s + rng.normal(size=rows), rng.normal(size=rows), rng.normal(size=rows)], 1)
    y = (x[:, 1] + 0.5 * rng.normal(size=rows) > 0).astype(int)
    return x.astype(np.float32), y, s


def fit_and_score(
    seed: int, rows: int = FIT_ROWS, **settings: Any
) -> tuple[MIFairClassifier, dict[str, float]]:
    """One fit on ``rows`` rows with these ``MIFairClassifier`` settings (the defaults
    otherwise), scored on fresh rows: the model, and its accuracy, leakage and fit time."""
    x, y, s = draw(seed, rows)
    x_score, y_score, s_score = draw(10_000 + seed, SCORE_ROWS)
    started = time.perf_counter()
    model = MIFairClassifier(random_state=seed, check_leakage=False, **settings)
    model.fit(x, y, sensitive_features=s)
    seconds = time.perf_counter() - started
    leakage = model.leakage_report(x_score, s_score).columns()
    return model, {
        "accuracy": model.score(x_score, y_score),
        **{key: leakage[key] for key in COLUMNS[1:]},
        "fit_seconds": seconds,
    }


def main() -> None:
    rows: list[dict[str, Any]] = []
    for hidden_size, lam in SETTINGS:
        runs = [fit_and_score(seed, hidden_size=hidden_size, lam=lam)[1] for seed in SEEDS]
        rows.append(
            {"hidden_size": hidden_size, "lam": lam, **over_seeds(runs, (*COLUMNS, "fit_seconds"))}
        )
        print(rows[-1], flush=True)
    notes = (
        f"Mean +- std over seeds {SEEDS.start}-{SEEDS.stop - 1}; fitted on {FIT_ROWS:,} rows, "
        f"scored on {SCORE_ROWS:,} fresh rows (leakage: MIFairClassifier.leakage_report's "
        "defaults). MIFairClassifier's defaults otherwise (hidden_size 64, lam 0.5)."
    )
    write_results("narrow_inputs", command_line("narrow_inputs"), rows, notes)


if __name__ == "__main__":
    main()
