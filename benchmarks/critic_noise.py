"""What MIEraser's critic reads at each smoothing noise, from the real attribute and from the
attribute shuffled among the same rows.

    python -m benchmarks.critic_noise                    (about 15 minutes on 2 cores)
    python -m benchmarks.critic_noise --cases generated,adult

The critic's smoothing noise (``MIEraser(noise=...)``) decides what it can fit: too little and
it fits the rows' chance pattern, so that it reads an attribute shuffled among them (nothing to
erase) and the map moves the vectors after that reading; too much and it no longer reads the
real attribute. Per case (the fitting rows of ``benchmarks.erase``'s validation split, seed 0,
and a generated table of 5,000 standard normal rows x 50 columns with an attribute drawn apart
from them), each noise fits ``MIEraser(lam=HELD_LAM, noise=N, steps=AUTO_NOISE_STEPS)`` twice
(1e-6 and 1,000, :mod:`mibias.erasure.settings`), with the real attribute and with it shuffled:
that lambda leaves the map where it starts, so the critic alone learns, as ``noise="auto"``
reads it. The table gives the trainer's own MI estimate (nats, the mean over the last fifth of
the epochs) in both fits. Where the shuffled reading is high, the term chases chance; the real
reading is what is left for it to remove.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from benchmarks.common import command_line, write_results
from benchmarks.erase import CASES
from mibias import MIEraser
from mibias.erasure.eraser import critic_reading
from mibias.erasure.settings import AUTO_NOISE_STEPS, AUTO_NOISES, HELD_LAM


def generated_rows() -> tuple[np.ndarray, np.ndarray, None]:
    """5,000 standard normal rows x 50 columns and a binary attribute drawn apart from them."""
    rng = np.random.default_rng(0)
    return rng.normal(size=(5000, 50)).astype(np.float32), rng.integers(0, 2, 5000), None


def fitting_rows(case: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """A case's fitting rows, attribute and task (None without one)."""
    if case == "generated":
        return generated_rows()
    data = CASES[case](0, "validation")
    return data.x_fit, data.c_fit, data.y_fit


def held_reading(x: np.ndarray, c: np.ndarray, y: np.ndarray | None, noise: float) -> float:
    """What the critic reads at ``noise`` with the map held, as ``noise="auto"`` reads it."""
    eraser = MIEraser(
        lam=HELD_LAM, noise=noise, steps=AUTO_NOISE_STEPS, random_state=0, check_leakage=False
    )
    return critic_reading(eraser.fit(x, y, sensitive_features=c).history_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="generated,adult,words,digits")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    for case in args.cases.split(","):
        if case != "generated" and case not in CASES:
            parser.error(f"--cases: unknown case {case!r}")
        x, c, y = fitting_rows(case)
        shuffled = np.random.default_rng(0).permutation(c)
        for noise in AUTO_NOISES:
            real, chance = (held_reading(x, labels, y, noise) for labels in (c, shuffled))
            rows.append({"case": case, "rows": len(x), "columns": x.shape[1], "noise": noise,
                         "real_nats": real, "shuffled_nats": chance})  # fmt: skip
            print(rows[-1], flush=True)
    notes = (
        "real_nats / shuffled_nats: the critic's own estimate with the real attribute and with "
        "it shuffled among the same rows (lambda 1e-6: the map held; 1,000 steps; seed 0)."
    )
    write_results("critic_noise", command_line("critic_noise"), rows, notes)


if __name__ == "__main__":
    main()
