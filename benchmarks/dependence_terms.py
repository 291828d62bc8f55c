"""MI backprop (MINE at the digits defaults' lambda and K) against a dependence term with no
inner loop (normalised HSIC) and ERM, at the main job's recipe on Colored MNIST (sigma 0.020):
accuracy, colour left in z and seconds per epoch, on the same harness.

    python -m benchmarks.dependence_terms --split validation --methods hsic \
        --lambdas 1,3,10,30 --seeds 0
    python -m benchmarks.dependence_terms --split test --seeds 0,1,2
    python -m benchmarks.dependence_terms --split validation --recipe table1 --tag full

Each run is `mibias digits` with the main job's settings
(:data:`mibias.experiments.digits_recipe.MAIN_JOB`: 20,000 training digits, 5 epochs of the digits
defaults: the conv term, bf16 and channels-last), or with ``--recipe table1`` the digits
defaults at Table 1's full length (all 50,000 training digits, 12 epochs), one after the
other in this process. Without ``--lambdas`` MI backprop takes the recipe's lambda and every
other method its own default. ``--split validation`` reports the unbiased validation
digits only (held-out training digits coloured by the test rule); the rule for HSIC's lambda,
fixed before the grid ran: the highest mean validation accuracy (palette rule) over the last
two epochs. ``--split test`` adds each run's unbiased test accuracy under both colour rules,
read once after its last epoch, and the colour class left in z on the test digits (MLP and
linear probes beside the majority rate, a fresh estimator's I(z; colour class)).
"""

from __future__ import annotations

import argparse
import statistics

from benchmarks.common import (
    DIGITS_TEST_COLUMNS,
    ERM_WITHOUT_ESTIMATOR,
    command_line,
    tagged,
    write_results,
)
from mibias.data.colored_mnist import make_colored_mnist
from mibias.experiments.digits import run_digits
from mibias.experiments.digits_recipe import MAIN_JOB, DigitsRun, run_weight
from mibias.report import mean_std
from mibias.settings import flat_settings, from_settings

RECIPES: dict[str, dict] = {"main_job": MAIN_JOB, "table1": {}}


def train(recipe: str, method: str, lam: float | None, seed: int, data) -> list[dict[str, float]]:
    """One run of ``recipe``; its per-epoch metrics."""
    erm = ERM_WITHOUT_ESTIMATOR if method == "erm" else {}
    settings = {**RECIPES[recipe], "method": method, "lam": lam, "seed": seed,
                "progress": False, **erm}  # fmt: skip
    return run_digits(from_settings(DigitsRun, settings), None, data)


def summary(history: list[dict[str, float]], split: str) -> dict[str, object]:
    """The columns of one run."""
    curve = [row["validation_accuracy"] for row in history]
    row: dict[str, object] = {
        "validation accuracy per epoch": " ".join(f"{v:.3f}" for v in curve),
        "validation, mean of the last two epochs": statistics.mean(curve[-2:]),
        "validation, uniform rule, last epoch": history[-1]["validation_uniform_accuracy"],
        "seconds per epoch (median, epochs 2 on)": statistics.median(
            row["epoch_seconds"] for row in history[1:]
        ),
    }
    if split == "test":
        row.update({name: history[-1][key] for key, name in DIGITS_TEST_COLUMNS.items()})
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("validation", "test"), required=True)
    parser.add_argument("--methods", default="erm,mi,hsic")
    parser.add_argument("--lambdas", help="comma-separated; default: each method's")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--recipe", choices=tuple(RECIPES), default="main_job")
    parser.add_argument("--tag", help="results go to dependence_terms_SPLIT_TAG")
    args = parser.parse_args()
    data = make_colored_mnist(0.02)
    lambdas = [float(v) for v in args.lambdas.split(",")] if args.lambdas else [None]
    rows = []
    for method in args.methods.split(","):
        weights = sorted({run_weight(method, lam) for lam in lambdas})
        for lam in weights:
            for seed in (int(s) for s in args.seeds.split(",")):
                history = train(args.recipe, method, lam, seed, data)
                rows.append(
                    {"method": method, "lambda": lam, "seed": seed, **summary(history, args.split)}
                )
    if args.split == "test":
        rows += means(rows)
    write_results(
        tagged(f"dependence_terms_{args.split}", args.tag),
        command_line("dependence_terms"),
        rows,
        recipe_note(args.recipe),
    )


def recipe_note(name: str) -> str:
    """What the results file says of recipe ``name``'s runs: its digits and epochs (the
    digits defaults' where the recipe keeps them)."""
    recipe = RECIPES[name]
    defaults = flat_settings(DigitsRun)
    digits = recipe.get("limit") or defaults["limit"].default or 50_000
    epochs = recipe.get("epochs", defaults["epochs"].default)
    return (
        f"Recipe {name} ({digits:,} training digits, {epochs} epochs, conv features), sigma "
        "0.020, one run after another on this machine. Validation: unbiased held-out training "
        "digits under the palette rule unless named."
    )


def means(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """One mean +- std row per (method, lambda) over its seeds."""
    groups: dict[tuple, list[dict[str, object]]] = {}
    for row in rows:
        groups.setdefault((row["method"], row["lambda"]), []).append(row)
    numeric = [key for key, value in rows[0].items() if isinstance(value, float)]
    return [
        {
            "method": method,
            "lambda": lam,
            "seed": "mean +- std",
            **{key: mean_std([float(r[key]) for r in group]) for key in numeric if key != "lambda"},
        }
        for (method, lam), group in groups.items()
    ]


if __name__ == "__main__":
    main()
