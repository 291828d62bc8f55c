"""How the audit splits rows."""

import numpy as np

from mibias.audit.splits import split_sizes, stratification


def test_a_split_is_stratified_only_where_each_side_can_hold_every_group():
    assert stratification(np.repeat([0, 1], 10), 0.3) is not None
    assert stratification(np.r_[np.repeat([0, 1], 10), 2], 0.3) is None  # a group of one row
    # 20 groups of two rows: 6 held-out rows cannot hold all of them
    assert stratification(np.repeat(np.arange(20), 2), 0.15) is None
    assert stratification(np.repeat(np.arange(20), 2), 0.5) is not None


def test_split_sizes_count_the_held_out_rows_as_scikit_learn_does():
    assert split_sizes(300, 0.3) == (210, 90)
    assert split_sizes(10, 0.25) == (7, 3)  # the held-out share rounded up
