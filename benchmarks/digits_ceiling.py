"""The digit network's ceiling under the digits recipe: ERM trained without a colour bias.

    python -m benchmarks.digits_ceiling --sigmas 0.02,0.035,0.05 --seeds 0

Each run trains the network as ``mibias digits --method erm`` does (the digits defaults: 12
epochs, Adam with cosine decay, bf16 and channels-last), but on training digits coloured by the
palette test rule (a random class's colour plus the sigma's jitter), so colour says nothing
about the digit there. Its unbiased validation accuracy is what this network and schedule
reach on digits whose colour carries no bias: the most a debiasing method can win back. The
table reads the validation digits only (each run's final checks read the test digits, as every
run does; they are not reported).
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import ERM_WITHOUT_ESTIMATOR, command_line, write_results
from mibias.data.colored_mnist import KIM_PALETTE, ColoredMNIST, colourise, make_colored_mnist
from mibias.data.mnist import load_mnist
from mibias.experiments.digits import run_digits
from mibias.experiments.digits_recipe import DigitsRun
from mibias.settings import from_settings

# seed of the unbiased training colours, apart from the data seed's streams
COLOUR_SEED = 1234


def without_bias(data: ColoredMNIST, sigma: float) -> ColoredMNIST:
    """``data`` with its training digits recoloured by the palette test rule."""
    gray = load_mnist()["train_images"][: len(data.train_labels)]
    rng = np.random.default_rng(COLOUR_SEED)
    data.train_images = colourise(
        gray, data.train_labels, sigma=sigma, palette=KIM_PALETTE, rng=rng, random_class=True
    )
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sigmas", default="0.02,0.035,0.05")
    parser.add_argument("--seeds", default="0")
    args = parser.parse_args()
    rows = []
    for sigma in (float(s) for s in args.sigmas.split(",")):
        data = without_bias(make_colored_mnist(sigma), sigma)
        for seed in (int(s) for s in args.seeds.split(",")):
            settings = {**ERM_WITHOUT_ESTIMATOR, "sigma": sigma, "seed": seed,
                        "leakage_steps": 50, "progress": False}  # fmt: skip
            history = run_digits(from_settings(DigitsRun, settings), None, data)
            rows.append(
                {
                    "sigma": sigma,
                    "seed": seed,
                    "validation accuracy, palette, last epoch": history[-1]["validation_accuracy"],
                    "validation accuracy, uniform, last epoch": history[-1][
                        "validation_uniform_accuracy"
                    ],
                    "validation accuracy per epoch": " ".join(
                        f"{row['validation_accuracy']:.3f}" for row in history
                    ),
                }
            )
            print(rows[-1], flush=True)
    write_results(
        "digits_ceiling",
        command_line("digits_ceiling"),
        rows,
        "ERM (no estimator) under the digits defaults, trained on the training digits coloured "
        "by the palette test rule (no colour bias); unbiased validation accuracy. The same "
        "network's MI runs train on the biased digits.",
    )


if __name__ == "__main__":
    main()
