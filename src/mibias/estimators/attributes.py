"""Consistent encoding of the attribute c fed to the mutual-information estimators."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch

AttributeKind = Literal["auto", "categorical", "continuous"]

# the most distinct numbers an attribute may have and still be read as categorical (groups)
MAX_CATEGORIES = 64


class AttributeEncoder:
    """Turn raw attribute values into the float matrix the estimators read.

    Categorical attributes become concatenated one-hot blocks, one block per column of codes
    (``groups_`` holds the block sizes); continuous attributes are standardised with the
    statistics seen by :meth:`fit`. Fit once (on training data) and reuse the encoder so that
    every split is encoded the same way.

    Parameters
    ----------
    kind : {"auto", "categorical", "continuous"}
        ``auto`` treats columns of strings, booleans or integers with at most
        ``max_categories`` distinct values as categorical (a block a column), rows that are
        exactly one-hot as one categorical block, and anything else as continuous.
    max_categories : int
        Largest number of distinct values ``auto`` still calls categorical.

    Attributes
    ----------
    groups_ : tuple of int or None
        Sizes of the one-hot blocks for a categorical attribute, ``None`` if continuous.
    categories_ : list of ndarray
        The values of each categorical column, in code order.
    dim_ : int
        Width of the encoded matrix.
    """

    def __init__(self, kind: AttributeKind = "auto", max_categories: int = MAX_CATEGORIES) -> None:
        self.kind = kind
        self.max_categories = max_categories

    def fit(self, c: np.ndarray | torch.Tensor | Sequence) -> AttributeEncoder:
        """Learn the encoding from the attribute values ``c`` (shape ``(N,)`` or ``(N, d)``)."""
        arr = _as_2d(c)
        kind = self.kind
        if kind not in ("auto", "categorical", "continuous"):
            raise ValueError(f"kind must be auto, categorical or continuous, got {kind!r}")
        if kind == "auto":
            kind = self._infer_kind(arr)
        if kind == "categorical":
            one_hot = _is_one_hot(arr)
            if one_hot:
                arr = arr.argmax(axis=1)[:, None]
            try:
                self.categories_ = [np.unique(arr[:, j]) for j in range(arr.shape[1])]
            except TypeError as error:  # as 1 among "a": numpy cannot sort them into groups
                raise ValueError(
                    f"the attribute mixes text and other values ({error}): give its labels as "
                    "one type"
                ) from error
            for j, cats in enumerate(self.categories_):
                if len(cats) < 2:
                    raise ValueError(f"the attribute is constant (column {j} has one value)")
            self.groups_: tuple[int, ...] | None = tuple(len(cats) for cats in self.categories_)
            self.dim_ = sum(self.groups_)
            self._one_hot_input = one_hot
        else:
            values = _numeric(arr)
            scale = values.std(axis=0)
            if np.any(scale == 0):
                raise ValueError(
                    f"the attribute is constant (column {int(np.argmin(scale))} has one value)"
                )
            self.mean_, self.scale_ = values.mean(axis=0), scale
            self.groups_ = None
            self.categories_ = []
            self.dim_ = values.shape[1]
            self._one_hot_input = False
        return self

    def transform(self, c: np.ndarray | torch.Tensor | Sequence) -> torch.Tensor:
        """Encode ``c`` as a float32 tensor of shape ``(N, dim_)``."""
        if not hasattr(self, "dim_"):
            raise RuntimeError("AttributeEncoder.transform called before fit")
        arr = _as_2d(c)
        if self.groups_ is None:
            values = _numeric(arr)
            if values.shape[1] != self.dim_:
                raise ValueError(f"expected {self.dim_} attribute columns, got {values.shape[1]}")
            return torch.as_tensor((values - self.mean_) / self.scale_, dtype=torch.float32)
        if self._one_hot_input:
            if arr.shape[1] != self.groups_[0]:
                raise ValueError(f"expected {self.groups_[0]} one-hot columns, got {arr.shape[1]}")
            arr = arr.argmax(axis=1)[:, None]
        if arr.shape[1] != len(self.groups_):
            raise ValueError(f"expected {len(self.groups_)} attribute columns, got {arr.shape[1]}")
        blocks = []
        for j, cats in enumerate(self.categories_):
            codes = np.searchsorted(cats, arr[:, j])
            codes = np.clip(codes, 0, len(cats) - 1)
            unknown = cats[codes] != arr[:, j]
            if np.any(unknown):
                raise ValueError(
                    f"attribute value {arr[np.argmax(unknown), j]!r} was not seen when fitting"
                )
            blocks.append(np.eye(len(cats), dtype=np.float32)[codes])
        return torch.as_tensor(np.concatenate(blocks, axis=1))

    def fit_transform(self, c: np.ndarray | torch.Tensor | Sequence) -> torch.Tensor:
        """Fit on ``c`` and return its encoding."""
        return self.fit(c).transform(c)

    def _infer_kind(self, arr: np.ndarray) -> AttributeKind:
        if _is_one_hot(arr) or all(self._labels_groups(column) for column in arr.T):
            return "categorical"
        return "continuous"

    def _labels_groups(self, column: np.ndarray) -> bool:
        """Whether ``auto`` reads ``column`` as the labels of groups: strings or booleans, or
        whole numbers of at most ``max_categories`` distinct values."""
        if column.dtype.kind in "OUSb":
            return True
        whole = column.dtype.kind in "iu" or np.all(np.mod(column.astype(np.float64), 1) == 0)
        return bool(whole and len(np.unique(column)) <= self.max_categories)


def kind_of(groups: object) -> AttributeKind:
    """The kind of attribute a fitted encoder's (or eraser's) ``groups_`` describes: None for a
    continuous one, its groups for a categorical one."""
    return "continuous" if groups is None else "categorical"


def _as_2d(c: np.ndarray | torch.Tensor | Sequence) -> np.ndarray:
    arr = c.detach().cpu().numpy() if isinstance(c, torch.Tensor) else np.asarray(c)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"the attribute must have 1 or 2 dimensions, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError("the attribute is empty")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError("the attribute contains NaN or inf")
    return arr


def _numeric(arr: np.ndarray) -> np.ndarray:
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"a continuous attribute must be numeric, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _is_one_hot(arr: np.ndarray) -> bool:
    if arr.shape[1] < 2 or arr.dtype.kind not in "biuf":
        return False
    return bool(np.all((arr == 0) | (arr == 1)) and np.all(arr.sum(axis=1) == 1))
