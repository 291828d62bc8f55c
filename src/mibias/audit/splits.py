"""How the audit and the probes split rows: the sizes of a held-out split and what it can be
stratified by."""

from __future__ import annotations

import math

import numpy as np


def split_sizes(rows: int, share: float) -> tuple[int, int]:
    """The rows a split of ``rows`` keeps to fit on and holds out for a held-out ``share`` in
    (0, 1), counted as scikit-learn's ``train_test_split`` counts them."""
    held_out = math.ceil(share * rows)
    return rows - held_out, held_out


def stratification(labels: np.ndarray, share: float) -> np.ndarray | None:
    """What to stratify a split holding out ``share`` of the rows by: ``labels`` where each of
    their groups has two rows to share out and each side of the split has a row for each
    group, else None (a plain split; scikit-learn refuses to stratify otherwise, as for a
    continuous attribute of more distinct values than a side has rows)."""
    counts = np.unique(labels, return_counts=True)[1]
    sides = split_sizes(len(labels), share)
    return labels if counts.min() >= 2 and len(counts) <= min(sides) else None
