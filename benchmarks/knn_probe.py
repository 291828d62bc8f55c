"""What the audit's nearest-neighbour probe costs: the number of voters chosen by a grid search
refitted inside each fold of the calibration (the probe until 2026-12-06: one neighbour query
per fold and number, 54 on a fit) against :class:`mibias.audit.probes.NeighbourVote` (one
query per fold for every number, the probe now), on the rows and features the audit reads.

    python -m benchmarks.knn_probe          (about 6 minutes on 2 cores)

Both probes are fitted on the same 70 % of a case's rows, standardised as
:func:`mibias.audit.audit_leakage` standardises them, and read on the other 30 %; each row
gives the median seconds of the fit and the held-out readings (accuracy and the log-loss
bound in nats, as :func:`mibias.audit.probes.probe_scores` reads them), which are the same for
both where the two choose the same number of voters in every fold. Cases (those of
``benchmarks.linear_probe``):

- ``words``: the 300-d word vectors of the 5,000 gendered words of the erasure benchmark;
  attribute: the side of he - she.
- ``adult``: Adult's standardised training inputs; attribute: sex. At this size each fit of
  ``mibias erase`` and ``MIEraser``'s end-of-fit check runs the probe.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KNeighborsClassifier

from benchmarks.common import command_line, write_results
from benchmarks.linear_probe import adult_case, words_case
from mibias.audit.estimates import standardised
from mibias.audit.probes import KNN_NEIGHBOURS, log_loss_gain, probe_classifier

REPEATS = 3


def grid_search_in_every_fold() -> CalibratedClassifierCV:
    """The probe before: GridSearchCV over the number of voters, inside the calibration."""
    vote = KNeighborsClassifier(metric="cosine")
    chosen = GridSearchCV(vote, {"n_neighbors": KNN_NEIGHBOURS}, cv=3)
    return CalibratedClassifierCV(chosen, ensemble=False)


PROBES: dict[str, Callable[[], Any]] = {
    "grid search in every fold (before)": grid_search_in_every_fold,
    "NeighbourVote (the probe now)": lambda: probe_classifier("knn"),
}


def compare(name: str, z: np.ndarray, c: np.ndarray) -> list[dict[str, Any]]:
    """Each probe's median seconds and held-out readings on one case."""
    train, test = train_test_split(np.arange(len(z)), test_size=0.3, random_state=0)
    z_train, z_test = (part.numpy() for part in standardised(z[train], z[test]))
    rows = []
    for probe, make in PROBES.items():
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            model = make().fit(z_train, c[train])
            times.append(time.perf_counter() - started)
        predicted = model.predict(z_test)
        rows.append({
            "case": name, "rows, features": f"{len(train)}, {z.shape[1]}", "probe": probe,
            "seconds": statistics.median(times),
            "accuracy": float(np.mean(predicted == c[test])),
            "nats": log_loss_gain(model, z_test, c[test]),
        })  # fmt: skip
        print(rows[-1], flush=True)
    before = rows[0]["seconds"]
    for row in rows:
        row["ratio_to_before"] = row["seconds"] / before
    return rows


def main() -> None:
    rows = [
        row
        for name, case in (("words", words_case), ("adult", adult_case))
        for row in compare(name, *case())
    ]
    notes = (
        f"seconds: the median of {REPEATS} fits in one process, the BLAS at its default "
        "thread count; ratio_to_before: seconds over the grid search's on the same case. "
        "accuracy and nats: held out, as mibias.audit reads them."
    )
    write_results("knn_probe", command_line("knn_probe"), rows, notes)


if __name__ == "__main__":
    main()
