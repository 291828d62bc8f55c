import numpy as np
import pytest

from mibias.inputs import STANDARD_SCALE, checked_sensitive_features, scale_problem


def test_a_standardised_matrix_and_one_hot_columns_have_no_scale_problem():
    rng = np.random.default_rng(0)
    standardised = rng.normal(size=(500, 4))
    one_hot = np.eye(3)[rng.integers(0, 3, 500)]
    assert scale_problem(np.hstack([standardised, one_hot])) is None
    assert scale_problem(one_hot) is None


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_the_scale_problem_starts_at_the_ends_of_the_standard_range(factor):
    """A column whose root mean square is each end of the range: inside it on one side of the
    end, outside on the other."""
    low, high = STANDARD_SCALE
    column = np.array([[1.0], [-1.0]])  # root mean square 1
    inside = factor < 1
    assert (scale_problem(column * high * factor) is None) == inside
    assert (scale_problem(column * low / factor) is None) == inside


def test_the_scale_problem_names_the_largest_column_by_name_or_number():
    X = np.array([[1.0, 300.0, 50.0], [-1.0, 500.0, -50.0]])
    assert scale_problem(X) == "column 1 has a root mean square of 412"
    assert scale_problem(X, ["a", "income", "c"]).startswith("column 'income' has")
    assert scale_problem(X / 1e5).startswith("every column's root mean square is below 0.01")


def test_labels_that_mix_text_and_numbers_are_refused_naming_a_row_of_each():
    """numpy cannot sort 1 among "a" into groups, and as text 1 and "1" would be one group."""
    mixed = np.array([1, "a", 2, "b"], dtype=object)
    with pytest.raises(
        ValueError, match=r"^c mixes text and other values \(row 0: 1, row 1: 'a'\)"
    ):
        checked_sensitive_features(mixed, 4, max_groups=64, name="c")
    for one_type in (np.array(["a", "b"] * 2, dtype=object), np.array([1, 2] * 2, dtype=object)):
        assert len(checked_sensitive_features(one_type, 4, max_groups=64)) == 4
