"""The audit's MLP probe on small samples: Adam with early stopping alone (the probe until
2026-12-03) against the probe now (:func:`mibias.audit.probes.fit_probe`: below
:data:`mibias.audit.probes.SMALL_PROBE_ROWS` training rows, the one of Adam with early stopping and
L-BFGS at two penalties whose log-loss is lowest on a quarter of those rows), seeds 0-4.

    python -m benchmarks.small_probe          (about 3 minutes on 2 cores)

Adam with early stopping holds a tenth of the training rows out to decide when to stop, and
below 200 rows takes one step an epoch, so on a few hundred rows it stops before it has
learnt. Cases, each split 70/30 and stratified (the probe fits on the 70 %, standardised with
its statistics, and is scored on the 30 %):

- ``radial``: whether two of ``width`` Gaussian columns lie outside a circle (no linear probe
  reads it), at several sizes and widths;
- ``ten classes``: the largest of ten random tanh projections of 64 Gaussian columns plus
  noise;
- ``words``: the validation words of the erasure benchmark's words case
  (:func:`benchmarks.erase.words_case`, 1,250 words, the side of he - she), as they are and
  after LEACE fitted on the case's fitting words.
"""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable, Iterator

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from benchmarks.common import command_line, write_results
from benchmarks.erase import words_case
from mibias.audit.probes import fit_probe, probe_classifier
from mibias.erasure.eraser import make_eraser

SEEDS = range(5)
Sample = Callable[[int], tuple[np.ndarray, np.ndarray]]


def radial(rows: int, width: int) -> Sample:
    def draw(seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        z = rng.normal(size=(rows, width))
        return z, (z[:, 0] ** 2 + z[:, 1] ** 2 > 1.4).astype(int)

    return draw


def ten_classes(rows: int, width: int = 64) -> Sample:
    def draw(seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        z = rng.normal(size=(rows, width))
        weights = rng.normal(size=(width, 10)) / np.sqrt(width)
        return z, np.argmax(np.tanh(2 * z @ weights) + 0.5 * rng.normal(size=(rows, 10)), 1)

    return draw


def words(erased: bool) -> Sample:
    def draw(seed: int) -> tuple[np.ndarray, np.ndarray]:
        case = words_case(seed, "validation")
        if not erased:
            return case.x_eval, case.c_eval
        eraser = make_eraser("leace").fit(case.x_fit, sensitive_features=case.c_fit)
        return eraser.transform(case.x_eval), case.c_eval

    return draw


def cases() -> Iterator[tuple[str, int, Sample]]:
    yield "radial, 4 columns", 600, radial(600, 4)
    yield "radial, 5 columns", 180, radial(180, 5)
    yield "radial, 5 columns", 2000, radial(2000, 5)
    yield "radial, 5 columns", 5000, radial(5000, 5)
    yield "radial, 64 columns", 1000, radial(1000, 64)
    yield "radial, 300 columns", 1250, radial(1250, 300)
    yield "ten classes, 64 columns", 1000, ten_classes(1000)
    yield "ten classes, 64 columns", 3000, ten_classes(3000)
    yield "words, 300 columns", 1250, words(erased=False)
    yield "words after LEACE, 300 columns", 1250, words(erased=True)


def read(z: np.ndarray, c: np.ndarray, seed: int, now: bool) -> tuple[float, float]:
    """Held-out accuracy of the MLP probe as the audit fits it ``now``
    (:func:`mibias.audit.probes.fit_probe`) or as it did before (Adam with early stopping, BLAS at
    its default threads), and the seconds its fit took."""
    train, test = train_test_split(np.arange(len(z)), test_size=0.3, random_state=seed, stratify=c)
    scaler = StandardScaler().fit(z[train])
    z_train, z_test = scaler.transform(z[train]), scaler.transform(z[test])
    started = time.perf_counter()
    if now:
        probe = fit_probe("mlp", z_train, c[train], seed)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            probe = probe_classifier("mlp", seed).fit(z_train, c[train])
    seconds = time.perf_counter() - started
    return float(np.mean(probe.predict(z_test) == c[test])), seconds


def main() -> None:
    rows = []
    for name, size, draw in cases():
        before, now, seconds_before, seconds_now, majority = [], [], [], [], []
        for seed in SEEDS:
            z, c = draw(seed)
            accuracy, seconds = read(z, c, seed, now=False)
            before.append(accuracy)
            seconds_before.append(seconds)
            accuracy, seconds = read(z, c, seed, now=True)
            now.append(accuracy)
            seconds_now.append(seconds)
            majority.append(np.bincount(c).max() / len(c))
        rows.append(
            {
                "case": name,
                "rows": size,
                "probe training rows": int(0.7 * size),
                "majority": statistics.median(majority),
                "Adam with early stopping (before): median": statistics.median(before),
                "before: min - max": f"{min(before):.3f} - {max(before):.3f}",
                "the probe now: median": statistics.median(now),
                "now: min - max": f"{min(now):.3f} - {max(now):.3f}",
                "seconds, before / now": f"{statistics.median(seconds_before):.2f} / "
                f"{statistics.median(seconds_now):.2f}",
            }
        )
        print(rows[-1], flush=True)
    write_results(
        "small_probe",
        command_line("small_probe"),
        rows,
        notes="Held-out accuracy of the audit's MLP probe over seeds 0-4 (median, and the "
        "range), each sample split 70/30 and standardised with the probe's training rows. "
        "Before: Adam with early stopping whatever the rows; now (mibias.audit.probes.fit_probe): "
        "below SMALL_PROBE_ROWS training rows, the one of that and L-BFGS at two penalties "
        "with the lowest log-loss on a quarter of the training rows, refitted on all, with "
        "one BLAS thread.",
    )


if __name__ == "__main__":
    main()
