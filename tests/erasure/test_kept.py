"""What an erasure kept: the geometry of x and a task."""

import warnings

import numpy as np
import pytest

from mibias.erasure.kept import kept_geometry, kept_task


def test_kept_measures_read_one_for_an_untouched_copy():
    x = np.random.default_rng(0).normal(size=(400, 6))
    assert kept_geometry(x, x)["similarity_spearman"] == pytest.approx(1.0)
    assert kept_geometry(x, x)["cosine_to_input"] == pytest.approx(1.0)
    y = (x[:, 0] > 0).astype(int)
    scores = kept_task(x, x.copy(), y)
    assert scores["task_accuracy_input"] == scores["task_accuracy_erased"] > 0.9


def test_a_class_of_one_row_is_scored_without_a_stratified_split():
    x = np.random.default_rng(4).normal(size=(400, 6))
    y = (x[:, 0] > 0).astype(int)
    y[0] = 2  # a class of one row: a stratified split cannot share it out
    scores = kept_task(x, x.copy(), y)
    assert scores["task_accuracy_input"] == scores["task_accuracy_erased"] > 0.9


def test_kept_measures_fall_for_vectors_unrelated_to_the_input():
    rng = np.random.default_rng(1)
    x, z = rng.normal(size=(400, 6)), rng.normal(size=(400, 6))
    # seeds 0-7 measured: similarity -0.003 to 0.004, accuracy 0.458 to 0.592
    assert abs(kept_geometry(x, z)["similarity_spearman"]) < 0.1
    y = (x[:, 0] > 0).astype(int)
    assert kept_task(x, z, y)["task_accuracy_erased"] < 0.65


def test_a_narrower_z_keeps_a_similarity_but_has_no_cosine_to_its_input():
    x = np.random.default_rng(2).normal(size=(400, 6))
    x[:, :2] *= 5.0  # most of the geometry lies in the first two columns, which z keeps
    kept = kept_geometry(x, x[:, :2])
    # measured on seeds 0-4: 0.95 to 0.97
    assert set(kept) == {"similarity_spearman"} and kept["similarity_spearman"] > 0.8


def test_rows_erased_to_one_vector_keep_no_similarity_to_rank():
    x = np.random.default_rng(3).normal(size=(200, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the NaN is the answer, not a warning's matter
        kept = kept_geometry(x, np.ones_like(x))
    assert np.isnan(kept["similarity_spearman"])


def test_columns_far_from_zero_do_not_make_unrelated_rows_look_kept():
    rng = np.random.default_rng(5)
    x = 1e4 + rng.normal(size=(400, 6))
    z = x[rng.permutation(len(x))]  # the same values, each row now another row's
    kept = kept_geometry(x, z)
    # uncentred, the cosine to input read 0.99999999: every row points along (1, ..., 1);
    # centred, seeds 0-7 measured: similarity -0.005 to 0.011, cosine -0.018 to 0.042
    assert abs(kept["similarity_spearman"]) < 0.1
    assert abs(kept["cosine_to_input"]) < 0.1
    assert kept_geometry(x, x - 1e4)["cosine_to_input"] == pytest.approx(1.0)
