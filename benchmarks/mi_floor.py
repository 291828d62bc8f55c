"""How far the MI term can go: I(y; c) on the training set against the runs' MI estimates.

    python -m benchmarks.mi_floor        (seconds; reads the runs of benchmarks.digits_accuracy)

Once a representation z fits the training labels, I(z; c) = I(y; c) + I(z; c | y): the colour
information the digit itself carries, I(y; c), is a floor the MI term cannot push z below
without the network forgetting the labels. This benchmark computes that floor on each sigma's
training set (c as the estimator sees it: the three 8-bin channel maxima; plug-in estimate,
scikit-learn's ``mutual_info_score``) and sets beside it the final MI estimate of the MI and
ERM runs that ``benchmarks.digits_accuracy`` left in runs/t1-cos12 (mean over seeds), and of
the MI runs on the convolutional features (``--z-layer conv``, runs/t1-cos12-zconv) where
those exist.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.metrics import mutual_info_score

from benchmarks.common import command_line, write_results
from benchmarks.digits_accuracy import CONV_OUT, OUT, grid_weight, run_dir, run_logs
from mibias.data.colored_mnist import colour_bins, make_colored_mnist


def label_colour_information(sigma: float) -> float:
    """Plug-in I(y; c) in nats on the training set of ``sigma`` (data seed 0)."""
    data = make_colored_mnist(sigma)
    bins = colour_bins(data.train_images).astype(np.int64)
    colour = (bins[:, 0] * 8 + bins[:, 1]) * 8 + bins[:, 2]
    return float(mutual_info_score(data.train_labels, colour))


def final_estimates(out: Path, method: str, sigma: float, seeds: int) -> str:
    """Mean +- std over seeds of the last epoch's MI estimate of ``method``'s runs in ``out``
    (the FC term's grid, or the conv term's at the digits defaults)."""
    logs = run_logs(out, method, grid_weight(out, method), sigma, seeds)
    estimates = np.array([log[-1]["mi"] for log in logs])
    return f"{estimates.mean():.3f} +- {estimates.std():.3f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sigmas", default="0.02,0.035,0.05")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for sigma in (float(s) for s in args.sigmas.split(",")):
        row = {
            "sigma": sigma,
            "I(y; c), training set": label_colour_information(sigma),
            "MI run's final estimate": final_estimates(OUT, "mi", sigma, args.seeds),
            "ERM run's final estimate": final_estimates(OUT, "erm", sigma, args.seeds),
        }
        if run_dir(CONV_OUT, "mi", grid_weight(CONV_OUT, "mi"), sigma, 0).exists():
            row["MI run on the conv features"] = final_estimates(CONV_OUT, "mi", sigma, args.seeds)
        rows.append(row)
    write_results(
        "mi_floor",
        command_line("mi_floor"),
        rows,
        "Nats. The estimates are lower bounds (Donsker-Varadhan, the estimator trained along the "
        "run). An MI run whose estimate sits at I(y; c) has removed, as far as its estimator can "
        "see, all the colour information z carries beyond the digit.",
    )


if __name__ == "__main__":
    main()
