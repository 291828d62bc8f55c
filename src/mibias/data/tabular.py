"""Train/test splits of a tabular fairness dataset, encoded with training statistics only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from mibias.data.uci import FairnessData

Holdout = Literal["test", "validation"]
# the share of the training rows a validation split holds out
VALIDATION_SHARE = 0.2


@dataclass
class TabularSplit:
    """Encoded inputs, labels and protected attribute of one train/test split.

    ``test_rows`` are the test rows' positions in the dataset (the row ids of prediction
    files); ``feature_names`` name the encoded columns. In a validation split the "test" rows
    are validation rows, held out of the training rows.
    """

    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    s_train: np.ndarray
    s_test: np.ndarray
    test_rows: np.ndarray
    feature_names: list[str]


def make_split(
    data: FairnessData,
    seed: int = 0,
    test_size: float = 0.3,
    keep_sensitive: bool = True,
    holdout: Holdout = "test",
) -> TabularSplit:
    """Split, one-hot the categorical columns and standardise the numeric ones.

    Parameters
    ----------
    data : FairnessData
        The dataset; its official split is used where it has one (Adult), otherwise a random
        split stratified by label, drawn from ``seed``.
    seed : int
        Seed of the random split (ignored with an official split).
    test_size : float
        Fraction of rows held out where there is no official split.
    keep_sensitive : bool
        Keep the columns the protected attribute comes from among the inputs (as FERM and
        fairlearn's examples do) or drop them (as Mary et al. and LAFTR do).
    holdout : {"test", "validation"}
        The rows evaluated on: the test rows, or :data:`VALIDATION_SHARE` of the training rows
        (stratified by label, drawn from ``seed``), which the model then does not train on;
        the test rows take no part in a validation split. Settings are chosen on validation.
    """
    # imported here, not above: the Holdout choices are read without sklearn (the command line)
    from sklearn.compose import ColumnTransformer
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rows = np.arange(len(data.features))
    if data.official_test is not None:
        train_rows, test_rows = rows[~data.official_test], rows[data.official_test]
    else:
        if not 0 < test_size < 1:
            raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
        train_rows, test_rows = train_test_split(
            rows, test_size=test_size, random_state=seed, stratify=data.label.to_numpy()
        )
    if holdout == "validation":
        labels = data.label.to_numpy()[train_rows]
        train_rows, test_rows = train_test_split(
            train_rows, test_size=VALIDATION_SHARE, random_state=seed, stratify=labels
        )
    elif holdout not in get_args(Holdout):
        raise ValueError(f"holdout must be {' or '.join(get_args(Holdout))}, got {holdout!r}")
    features = data.features
    if not keep_sensitive:
        features = features.drop(columns=list(data.sensitive_columns))
    categorical = [name for name in features if not pd.api.types.is_numeric_dtype(features[name])]
    numeric = [name for name in features if name not in categorical]
    encoder = ColumnTransformer(
        [
            (
                "categorical",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                categorical,
            ),
            ("numeric", StandardScaler(), numeric),
        ],
        verbose_feature_names_out=False,
    )
    x_train = encoder.fit_transform(features.iloc[train_rows]).astype(np.float32)
    x_test = encoder.transform(features.iloc[test_rows]).astype(np.float32)
    y, s = data.label.to_numpy(), data.sensitive.to_numpy()
    return TabularSplit(
        x_train,
        x_test,
        y[train_rows],
        y[test_rows],
        s[train_rows],
        s[test_rows],
        np.asarray(test_rows),
        list(encoder.get_feature_names_out()),
    )
