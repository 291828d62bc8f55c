"""How the audit's linear probe is solved: lbfgs at its default tolerance (the probe until
2026-12-01) against Newton-CG (:func:`mibias.audit.probes.probe_classifier`), both against a
tightly converged reference, on the rows and features the audit reads.

    python -m benchmarks.linear_probe          (about 5 minutes on 2 cores)

The probe is an L2-regularised logistic regression (C = 1); its objective, the sum of the
cross-entropies plus half the squared weights, has one minimum, so a solver is better the
closer it ends to it (``objective_gap``: its objective minus the reference's) and the faster,
timed with numpy's BLAS at its default thread count (a run alone, as ``mibias digits`` runs)
and at one thread (each run of a sweep, as ``quickstart`` and ``table1`` run them).
Cases, each split 70/30 and standardised as :func:`mibias.audit.audit_leakage` does (the
probe fits on the 70 %, accuracy on the 30 %):

- ``digits conv``: the 1,024 convolutional features of the main job's ERM network (20,000
  training digits at sigma 0.020, one epoch, the digits defaults otherwise) on the 10,000
  validation digits; attribute: the colour class (10 values). This is the probe every
  Colored MNIST result runs.
- ``words``: the 300-d word vectors of the 5,000 gendered words of the erasure benchmark;
  attribute: the side of he - she.
- ``adult``: Adult's standardised training inputs; attribute: sex.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_info, threadpool_limits

from benchmarks.common import command_line, digit_features, trained_digit_encoder, write_results
from mibias.audit.estimates import standardised
from mibias.audit.probes import probe_classifier

REPEATS = 3
SOLVERS: dict[str, Callable[[], Any]] = {
    "lbfgs, default tolerance (before)": lambda: LogisticRegression(max_iter=1000),
    "newton-cg (the probe now)": lambda: probe_classifier("logistic"),
}


def reference() -> LogisticRegression:
    """lbfgs run to a far tighter tolerance: the optimum the solvers are measured against."""
    return LogisticRegression(max_iter=20_000, tol=1e-8)


def objective(model: LogisticRegression, z: np.ndarray, c: np.ndarray) -> float:
    """The regularised objective at the fitted weights: the sum of the cross-entropies plus
    half the squared weights (the intercept is not penalised)."""
    coef = model.coef_.astype(np.float64)
    scores = z.astype(np.float64) @ coef.T + model.intercept_
    if scores.shape[1] == 1:  # two classes: one score, the other class's fixed at 0
        scores = np.hstack([np.zeros_like(scores), scores])
    labels = np.searchsorted(model.classes_, c)
    cross_entropy = logsumexp(scores, axis=1) - scores[np.arange(len(c)), labels]
    return float(cross_entropy.sum() + 0.5 * (coef**2).sum())


def digits_case() -> tuple[np.ndarray, np.ndarray]:
    from mibias.data.colored_mnist import colour_class, make_colored_mnist
    from mibias.experiments.digits_recipe import MAIN_JOB

    data = make_colored_mnist(0.02, seed=0)
    settings = {**MAIN_JOB, "method": "erm", "epochs": 1, "leakage_steps": 10, "progress": False}
    encoder = trained_digit_encoder(settings, data)
    images = data.validation_images("palette")
    return digit_features(encoder, images), colour_class(images)


def words_case() -> tuple[np.ndarray, np.ndarray]:
    from mibias.data import word_embeddings as we

    vectors = we.load_word_vectors(progress=False)
    words, c = we.gendered_words(vectors, we.gender_word_lists())
    index = vectors.index()
    return vectors.vectors[[index[w] for w in words]], c


def adult_case() -> tuple[np.ndarray, np.ndarray]:
    from mibias.data.tabular import make_split
    from mibias.data.uci import load_fairness_data

    data = make_split(load_fairness_data("adult", progress=False), seed=0)
    return data.x_train, np.asarray(data.s_train)


def cases() -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    yield "digits conv", *digits_case()
    yield "words", *words_case()
    yield "adult", *adult_case()


def timed_fit(
    make: Callable[[], Any], z: np.ndarray, c: np.ndarray, threads: int | None = None
) -> tuple[Any, float]:
    """A fitted model and its seconds, with the BLAS at ``threads`` (None: its default)."""
    with threadpool_limits(limits=threads):
        started = time.perf_counter()
        model = make().fit(z, c)
        return model, time.perf_counter() - started


def compare(name: str, z: np.ndarray, c: np.ndarray) -> list[dict[str, Any]]:
    """Every solver's median seconds, objective gap and held-out accuracy on one case."""
    train, test = train_test_split(np.arange(len(z)), test_size=0.3, random_state=0)
    z_train, z_test = (part.numpy() for part in standardised(z[train], z[test]))
    best, best_seconds = timed_fit(reference, z_train, c[train])
    best_objective = objective(best, z_train, c[train])
    runs = [(solver, make, threads) for solver, make in SOLVERS.items() for threads in (None, 1)]
    rows = []
    for solver, make, threads in [*runs, ("reference (lbfgs, tol 1e-8)", reference, None)]:
        if make is reference:
            model, times = best, [best_seconds]
        else:
            fits = [timed_fit(make, z_train, c[train], threads) for _ in range(REPEATS)]
            model, times = fits[-1][0], [seconds for _, seconds in fits]
        value = objective(model, z_train, c[train])
        rows.append({
            "case": name, "rows, features, classes": f"{len(train)}, {z.shape[1]}, "
            f"{len(model.classes_)}", "solver": solver,
            "BLAS threads": "default" if threads is None else threads,
            "iterations": int(np.max(model.n_iter_)), "seconds": statistics.median(times),
            "objective": value, "objective_gap": value - best_objective,
            "held_out_accuracy": float(model.score(z_test, c[test])),
        })  # fmt: skip
        print(rows[-1], flush=True)
    return rows


def default_threads() -> int:
    return max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")


def main() -> None:
    rows = [row for name, z, c in cases() for row in compare(name, z, c)]
    notes = (
        f"seconds: the median of {REPEATS} fits (the reference: one), in one process, with "
        f"numpy's BLAS at its default thread count ({default_threads()}) or at one. "
        "objective_gap: the solver's regularised objective minus the reference's (0 is the "
        "optimum; lower is closer). The probe's rows and scaling as in mibias.audit."
    )
    write_results("linear_probe", command_line("linear_probe"), rows, notes)


if __name__ == "__main__":
    main()
