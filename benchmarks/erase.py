"""Erasers side by side on three cases, each with probes of three kinds and a kept-utility score.

    python -m benchmarks.erase --case words --split validation   # choose settings here
    python -m benchmarks.erase --case all --split test           # the final table, read once

Cases (issue 18):

- ``words``: GoogleNews word2vec vectors, the 2,500 words at each end of ``he - she``
  (:func:`mibias.data.word_embeddings.gendered_words`); attribute = which end. Utility: the mean
  Spearman correlation of cosine similarity with human ratings on wordsim353, SimLex-999 and
  MEN (the whole erased vocabulary), and the correlation of the professions' projection on the
  erased ``he - she`` with their stereotype scores (lower: less stereotype).
- ``adult``: sex erased from the standardised inputs (MI keeps income through its task head).
  Utility: income accuracy of a fresh logistic regression and MLP fitted on the erased fitting
  rows.
- ``adult-age``: the same with age, a continuous attribute, erased from the other inputs (its
  own standardised column taken out of them); the probes read its quantile bin, one of
  five (:func:`mibias.audit.quantile_bins`), as the audit does. Only the erasers that take a
  continuous attribute run on it (mi, leace).
- ``digits``: colour erased from the frozen 64-d features of an ERM network trained on
  Colored MNIST (sigma 0.02). Utility: unbiased accuracy of a linear head fitted on the erased
  training features.

Protocol, per seed: the eraser is fitted on the fitting rows (:func:`fitting_rows`: for the
test table of the words and Adult, the fitting and validation rows together, as a model is
refitted on all its training rows once its settings are chosen; the digits' validation digits
are coloured by the test rule, not drawn as the training digits are, and stay out); the
attribute probes (logistic,
MLP, RBF SVM, a nearest-neighbour vote) are fitted on 70 % of the evaluation rows' erased
vectors and scored on the other 30 %; on all of them,
the independent leakage audit (:func:`mibias.audit.audit_leakage` at its defaults, its own
70/30 split) reads I(z; c) in nats with fresh estimators (``leak_mi_nats``, with the spread
over its restarts). Every probe's held-out log-loss gives a lower bound on I(z; c) too
(``probe_*_nats``); ``leak_bound_nats`` is the largest of all. The evaluation rows are the
validation rows (``--split validation``, where MI's settings are chosen) or the test rows
(``--split test``), disjoint from the fitting rows and from each other. The
``fit_rows_probe_*`` columns are the same probes on the erased fitting rows: where they read
less than on the evaluation rows, the erasure did not carry over to rows the eraser never saw.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from benchmarks.common import (
    command_line,
    digit_features,
    tagged,
    trained_digit_encoder,
    write_results,
)
from mibias.audit import audit_leakage, probe_scores
from mibias.audit.leakage import quantile_bins
from mibias.audit.settings import CONTINUOUS_BINS
from mibias.cli.erase import add_eraser_options, given_settings
from mibias.erasure.eraser import make_eraser
from mibias.erasure.settings import ERASERS
from mibias.estimators.attributes import MAX_CATEGORIES
from mibias.inputs import continuous_attribute

PROBES = ("logistic", "mlp", "svm", "knn", "trees")
PROBE_KEYS = tuple(f"probe_{kind}" for kind in PROBES)


@dataclass
class Case:
    """One case's data for one seed: fitting rows, evaluation rows and a utility score."""

    x_fit: np.ndarray
    c_fit: np.ndarray
    y_fit: np.ndarray | None
    x_eval: np.ndarray
    c_eval: np.ndarray
    utility: Callable[[Any], dict[str, float]]
    # settings of the linear projection (the attribute's direction, where the case has one)
    project: dict[str, Any]


def three_way(n: int, seed: int, labels: np.ndarray) -> dict[str, np.ndarray]:
    """Fitting (50 %), validation (25 %) and test (25 %) rows, stratified by ``labels``."""
    rows = np.arange(n)
    fit, rest = train_test_split(rows, test_size=0.5, random_state=seed, stratify=labels)
    validation, test = train_test_split(
        rest, test_size=0.5, random_state=seed, stratify=labels[rest]
    )
    return {"fit": fit, "validation": validation, "test": test}


def fitting_rows(rows: dict[str, np.ndarray], split: str) -> np.ndarray:
    """The rows an eraser is fitted on: the fitting rows while its settings are chosen on the
    validation rows, and once they are chosen, for the test table, the fitting and validation
    rows together (on 2,500 word vectors against 1,667, the validation words' linear probe
    read 0.537 against 0.575 after MIEraser: docs/erasure-measured.md)."""
    if split == "validation":
        return rows["fit"]
    return np.concatenate([rows["fit"], rows["validation"]])


def words_case(seed: int, split: str) -> Case:
    from mibias.data import word_embeddings as we

    vectors = we.load_word_vectors(progress=False)
    lists = we.gender_word_lists()
    words, c = we.gendered_words(vectors, lists)
    index = vectors.index()
    x = vectors.vectors[[index[w] for w in words]]
    rows = three_way(len(x), seed, c)
    sets = {name: we.similarity_pairs(name) for name in we.SIMILARITY_SETS}
    professions = [(w, score) for w, _, score in lists["professions"] if w in index]

    def utility(eraser: Any) -> dict[str, float]:
        erased = eraser.transform(vectors.vectors) if eraser is not None else vectors.vectors
        unit = erased / np.maximum(np.linalg.norm(erased, axis=1, keepdims=True), 1e-12)
        scores = {}
        for name, pairs in sets.items():
            kept = [(a, b, s) for a, b, s in pairs if a in index and b in index]
            a = unit[[index[p[0]] for p in kept]]
            b = unit[[index[p[1]] for p in kept]]
            scores[f"spearman_{name}"] = float(
                spearmanr((a * b).sum(1), [p[2] for p in kept]).statistic
            )
        scores["spearman_mean"] = float(np.mean(list(scores.values())))
        direction = unit[index["he"]] - unit[index["she"]]
        projection = unit[[index[w] for w, _ in professions]] @ direction
        scores["profession_stereotype"] = float(
            spearmanr(projection, [s for _, s in professions]).statistic
        )
        return scores

    he_she = vectors.vectors[index["he"]] - vectors.vectors[index["she"]]
    fit = fitting_rows(rows, split)
    return Case(
        x[fit], c[fit], None, x[rows[split]], c[rows[split]], utility,
        {"directions": he_she},
    )  # fmt: skip


def adult_case(seed: int, split: str, *, attribute: str = "sex") -> Case:
    """Adult's standardised inputs; the attribute sex, or ``age``: its standardised column,
    taken out of the inputs."""
    from mibias.data.tabular import make_split
    from mibias.data.uci import load_fairness_data

    data = make_split(load_fairness_data("adult", progress=False), seed=seed)
    if attribute == "age":
        column = data.feature_names.index("age")
        data = replace(
            data,
            s_train=data.x_train[:, column].astype(np.float64),
            s_test=data.x_test[:, column].astype(np.float64),
            x_train=np.delete(data.x_train, column, axis=1),
            x_test=np.delete(data.x_test, column, axis=1),
        )
    # validation rows come out of the training part; the test rows are the split's own
    fit, validation = train_test_split(
        np.arange(len(data.x_train)),
        test_size=0.25,
        random_state=seed,
        stratify=data.s_train if attribute == "sex" else data.y_train,
    )
    if split == "validation":
        x_eval, c_eval, y_eval = (
            data.x_train[validation],
            data.s_train[validation],
            data.y_train[validation],
        )
    else:
        x_eval, c_eval, y_eval = data.x_test, data.s_test, data.y_test
    fit = fitting_rows({"fit": fit, "validation": validation}, split)
    x_fit, y_fit = data.x_train[fit].astype(np.float32), data.y_train[fit]

    def utility(eraser: Any) -> dict[str, float]:
        def view(x: np.ndarray) -> np.ndarray:
            return eraser.transform(x) if eraser is not None else x

        train, held = view(x_fit), view(x_eval.astype(np.float32))
        scores = {}
        for name, model in (
            ("income_logistic", LogisticRegression(max_iter=2000)),
            ("income_mlp", MLPClassifier((64,), early_stopping=True, random_state=seed)),
        ):
            scores[name] = float(model.fit(train, y_fit).score(held, y_eval))
        return scores

    return Case(x_fit, data.s_train[fit], y_fit, x_eval.astype(np.float32), c_eval, utility, {})


def digits_case(seed: int, split: str) -> Case:
    from mibias.data.colored_mnist import colour_class, make_colored_mnist
    from mibias.experiments.digits_recipe import FC_TERM

    data = make_colored_mnist(0.02, seed=0)
    limit = 20000
    # the paper's FC z, float32 at a constant rate: the digits defaults until 2026-11-29
    settings = {**FC_TERM, "method": "erm", "sigma": 0.02, "seed": seed, "epochs": 3,
                "limit": limit, "lr_schedule": "constant", "bf16": False,
                "channels_last": False, "leakage_steps": 200, "progress": False}  # fmt: skip
    encoder = trained_digit_encoder(settings, data)
    train_images = data.train_images[:limit]
    z_train, y_train = digit_features(encoder, train_images), data.train_labels[:limit]
    images = (
        data.validation_images("palette") if split == "validation" else data.test_images("palette")
    )
    labels = data.validation_labels if split == "validation" else data.test_labels
    z_eval, y_eval = digit_features(encoder, images[:limit]), labels[:limit]

    def utility(eraser: Any) -> dict[str, float]:
        def view(z: np.ndarray) -> np.ndarray:
            return eraser.transform(z) if eraser is not None else z

        head = LogisticRegression(max_iter=2000).fit(view(z_train), y_train)
        return {"unbiased_accuracy_linear_head": float(head.score(view(z_eval), y_eval))}

    return Case(
        z_train, colour_class(train_images), y_train, z_eval, colour_class(images[:limit]),
        utility, {},
    )  # fmt: skip


def adult_age_case(seed: int, split: str) -> Case:
    return adult_case(seed, split, attribute="age")


CASES = {
    "words": words_case,
    "adult": adult_case,
    "adult-age": adult_age_case,
    "digits": digits_case,
}


def attribute_leakage(z: np.ndarray, c: np.ndarray, seed: int) -> dict[str, float]:
    """The probes of :func:`attribute_probes`, and on the same rows (which the audit splits
    70/30 itself) the audit's fresh I(z; c) (``leak_mi_nats``, ``leak_mi_std``), its MLP
    probe on the whitened principal components (``probe_whitened_mlp``, with its bound), and
    the largest lower bound on I(z; c) of all of them (``leak_bound_nats``)."""
    audit = audit_leakage(z, c, probes=("whitened_mlp",), seed=seed, progress=False)
    probes = attribute_probes(z, c, seed)
    whitened = audit.probes["whitened_mlp"]
    bounds = [audit.bound_nats, *(probes[f"{key}_nats"] for key in PROBE_KEYS)]
    return {
        **probes,
        "probe_whitened_mlp": whitened["accuracy"],
        "probe_whitened_mlp_nats": whitened["nats"],
        "leak_mi_nats": audit.mi_nats,
        "leak_mi_std": audit.mi_nats_std,
        "leak_bound_nats": max(bounds),
    }


def attribute_probes(z: np.ndarray, c: np.ndarray, seed: int) -> dict[str, float]:
    """Held-out accuracy of each probe kind (``probe_{kind}``), the lower bound on I(z; c) its
    log-loss gives (``probe_{kind}_nats``, :func:`mibias.audit.probes.log_loss_gain`) and the
    majority rate, on all the rows (a probe fitted on fewer rows reads less:
    docs/erasure-measured.md), standardised with the probes' training rows' statistics. A
    continuous ``c`` reaches the probes as its quantile bin (:func:`mibias.audit.quantile_bins`,
    :data:`~mibias.audit.settings.CONTINUOUS_BINS` of them, edges from the probes' training
    rows)."""
    continuous = continuous_attribute(c, MAX_CATEGORIES)
    train, test = train_test_split(
        np.arange(len(z)), test_size=0.3, random_state=seed, stratify=None if continuous else c
    )
    if continuous:
        binned = quantile_bins(c, train, test, CONTINUOUS_BINS)
        assert binned is not None  # a continuous attribute has more than one bin
        c_train, c_test, _ = binned
    else:
        c_train, c_test = c[train], c[test]
    scaler = StandardScaler().fit(z[train])
    z_train, z_test = scaler.transform(z[train]), scaler.transform(z[test])
    scores = {}
    for key, kind in zip(PROBE_KEYS, PROBES, strict=True):
        read = probe_scores(z_train, c_train, z_test, c_test, kind, seed)
        scores[key], scores[f"{key}_nats"] = read["accuracy"], read["nats"]
    scores["majority"] = float(np.bincount(c_test).max() / len(test))
    return scores


def shuffled_attribute(case: Case, seed: int) -> Case:
    """``case`` with its attribute shuffled among the fitting rows and among the evaluation
    rows: a case with nothing to erase, whose utility columns read what an eraser costs there
    (its probes should read the majority rate before and after)."""
    rng = np.random.default_rng(seed)
    return replace(case, c_fit=rng.permutation(case.c_fit), c_eval=rng.permutation(case.c_eval))


def run_case(
    name: str,
    seed: int,
    split: str,
    methods: list[str],
    settings_by_method: dict[str, dict[str, Any]],
    *,
    shuffle: bool = False,
) -> list[dict[str, Any]]:
    case = CASES[name](seed, split)
    if shuffle:
        case = shuffled_attribute(case, seed)
    leakage = attribute_leakage(case.x_eval, case.c_eval, seed)
    rows = [{"case": name, "seed": seed, "method": "original", "fit_seconds": 0.0, **leakage,
             **case.utility(None)}]  # fmt: skip
    continuous = continuous_attribute(case.c_fit, MAX_CATEGORIES)
    for method in methods:
        if continuous and not make_eraser(method).reads_continuous:
            print(f"{method} skipped on {name}: it takes no continuous attribute", flush=True)
            continue
        settings = dict(settings_by_method.get(method, {}))
        if method == "mi":
            settings["check_leakage"] = False
        elif method == "project":
            settings = case.project
        eraser = make_eraser(method, random_state=seed, **settings)
        torch.manual_seed(seed)
        started = time.perf_counter()
        eraser.fit(case.x_fit, case.y_fit, sensitive_features=case.c_fit)
        seconds = time.perf_counter() - started
        z = eraser.transform(case.x_eval)
        # the same probes on the rows the eraser was fitted on: how far its erasure generalises
        on_fit_rows = attribute_probes(eraser.transform(case.x_fit), case.c_fit, seed)
        fit_rows = {f"fit_rows_{key}": on_fit_rows[key] for key in PROBE_KEYS}
        # the critic's noise the fit ran at (MIEraser; what noise="auto" chose)
        noise = {"noise": eraser.noise_} if hasattr(eraser, "noise_") else {}
        rows.append({"case": name, "seed": seed, "method": method, "fit_seconds": seconds,
                     **noise, **attribute_leakage(z, case.c_eval, seed),
                     **case.utility(eraser), **fit_rows})  # fmt: skip
        print(rows[-1], flush=True)
    return rows


def fit_time_on_the_vocabulary(mi_settings: dict[str, Any]) -> dict[str, Any]:
    """Seconds of one MIEraser fit on all 26,423 x 300 word vectors (attribute: the side of
    ``he - she`` each word falls on)."""
    from mibias.data import word_embeddings as we

    vectors = we.load_word_vectors(progress=False)
    index = vectors.index()
    direction = vectors.vectors[index["he"]] - vectors.vectors[index["she"]]
    c = (vectors.vectors @ direction > 0).astype(int)
    eraser = make_eraser("mi", random_state=0, check_leakage=False, **mi_settings)
    started = time.perf_counter()
    eraser.fit(vectors.vectors, sensitive_features=c)
    return {"case": "words-vocabulary-fit", "method": "mi", "rows": len(c),
            "fit_seconds": time.perf_counter() - started}  # fmt: skip


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean and std over seeds, per case and method."""
    out = []
    keys = dict.fromkeys((r["case"], r["method"]) for r in rows if "seed" in r)
    for case, method in keys:
        group = [r for r in rows if r.get("case") == case and r["method"] == method]
        numbers = [k for k in group[0] if k not in ("case", "method", "seed")]
        summary: dict[str, Any] = {"case": case, "method": method, "seeds": len(group)}
        for key in numbers:
            values = np.array([r[key] for r in group], dtype=float)
            summary[key] = float(values.mean())
            if len(group) > 1 and key.startswith(
                (
                    "probe_",
                    "fit_rows_",
                    "leak_mi_nats",
                    "leak_bound_nats",
                    "spearman_mean",
                    "income",
                    "unbiased",
                )
            ):
                summary[f"{key}_std"] = float(values.std())
        out.append(summary)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=(*CASES, "all"), default="all")
    parser.add_argument("--split", choices=("validation", "test"), default="validation")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--methods", default=",".join(ERASERS))
    add_eraser_options(parser)
    parser.add_argument("--fit-time", action="store_true", help="time a fit on the vocabulary")
    parser.add_argument(
        "--shuffle-attribute",
        action="store_true",
        help="shuffle the attribute among the rows: nothing to erase; what erasing costs there",
    )
    parser.add_argument("--tag", help="suffix of the results name")
    args = parser.parse_args()
    settings = given_settings(args)
    mi_settings = settings.get("mi", {})
    cases = list(CASES) if args.case == "all" else [args.case]
    methods = args.methods.split(",")
    rows: list[dict[str, Any]] = []
    for case in cases:
        for seed in (int(s) for s in args.seeds.split(",")):
            rows += run_case(
                case, seed, args.split, methods, settings, shuffle=args.shuffle_attribute
            )
    table = summarise(rows)
    if args.fit_time:
        table.append(fit_time_on_the_vocabulary(mi_settings))
    notes = (
        (
            "The attribute shuffled among the rows: nothing to erase. "
            if args.shuffle_attribute
            else ""
        )
        + f"Evaluation rows: {args.split}. Mean over seeds {args.seeds} (std beside the probes "
        "and utilities); per-seed rows in the JSON file's `per_seed`. MI settings: "
        f"{mi_settings or 'the defaults'}."
        + (f" LEACE settings: {settings['leace']}." if "leace" in settings else "")
    )
    name = tagged(f"erase_{args.split}", args.tag)
    write_results(name, command_line("erase"), table, notes, {"per_seed": rows})


if __name__ == "__main__":
    main()
