"""IMDB-WIKI faces: the metadata, the EB1 / EB2 / test splits and the face images.

The IMDB-WIKI release (``imdb_crop/``) holds ``imdb.mat``, a MATLAB struct ``imdb`` with one
entry per image (``dob`` as a MATLAB serial date, ``photo_taken`` year, ``full_path``,
``gender`` 1 male / 0 female / NaN, ``face_score`` with -inf where no face was found,
``second_face_score`` NaN unless a second face was found), and the cropped faces in folders
``00`` ... ``99``. The task is gender, the bias attribute age in the authors' 12 bins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from mibias.io import InputError

AGE_EDGES = (0, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 120)
MAX_AGE = 100
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
PUBLISHED_SIZES = {"eb1": 36_003, "eb2": 16_799, "test": 22_468}
SPLITS = ("eb1", "eb2", "test")
FIELDS = ("dob", "photo_taken", "full_path", "gender", "face_score", "second_face_score")


@dataclass
class FaceTable:
    """The usable rows of ``imdb.mat`` and what was dropped.

    Attributes
    ----------
    rows : DataFrame
        ``path`` (relative to ``folder``), ``age``, ``gender`` (1 male, 0 female) and
        ``face_score``, one row per usable image.
    folder : Path
        The folder holding ``imdb.mat`` and the images.
    dropped : dict
        Rows dropped per reason, in the order the rules apply.
    """

    rows: pd.DataFrame
    folder: Path
    dropped: dict[str, int] = field(default_factory=dict)


def find_metadata(folder: str | Path) -> Path:
    """``imdb.mat`` in ``folder`` or in its ``imdb_crop`` sub-folder."""
    folder = Path(folder)
    for candidate in (folder / "imdb.mat", folder / "imdb_crop" / "imdb.mat"):
        if candidate.is_file():
            return candidate
    raise InputError(
        f"{folder}: no imdb.mat here or in imdb_crop/; download imdb_crop.tar from the "
        "IMDB-WIKI project page, unpack it and pass its folder as --data"
    )


def read_metadata(folder: str | Path, min_face_score: float | None = None) -> FaceTable:
    """Read ``imdb.mat``, compute each age and drop the unusable rows, counting them.

    The rules, in order: no face (``face_score`` -inf, or below ``min_face_score``), a second
    face, a missing gender, an impossible age (outside 0..100, or an unreadable date of birth).
    Age is the year the photo was taken minus the year of birth.
    """
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    path = find_metadata(folder)
    try:
        struct = loadmat(path)["imdb"][0, 0]
        columns = {name: np.ravel(struct[name]) for name in FIELDS}
    except (KeyError, ValueError, IndexError, TypeError, OSError, MatReadError) as error:
        raise InputError(
            f"{path}: not an IMDB-WIKI metadata file (a struct 'imdb' with fields "
            f"{', '.join(FIELDS)}): {error}"
        ) from error
    table = pd.DataFrame(
        {
            "path": [_text(item) for item in columns["full_path"]],
            "birth_year": [_year(float(d)) for d in columns["dob"]],
            "photo_taken": columns["photo_taken"].astype(float),
            "gender": columns["gender"].astype(float),
            "face_score": columns["face_score"].astype(float),
            "second_face_score": columns["second_face_score"].astype(float),
        }
    )
    table["age"] = table["photo_taken"] - table["birth_year"]
    no_face = ~np.isfinite(table["face_score"])
    if min_face_score is not None:
        no_face |= table["face_score"] < min_face_score
    rules = {
        "no face": no_face,
        "second face": table["second_face_score"].notna(),
        "missing gender": table["gender"].isna(),
        "impossible age": ~table["age"].between(0, MAX_AGE),
    }
    keep = np.ones(len(table), bool)
    dropped = {}
    for reason, bad in rules.items():
        dropped[reason] = int((keep & bad.to_numpy()).sum())
        keep &= ~bad.to_numpy()
    rows = table.loc[keep, ["path", "age", "gender", "face_score"]].reset_index(drop=True)
    rows["age"] = rows["age"].astype(int)
    rows["gender"] = rows["gender"].astype(int)
    return FaceTable(rows, path.parent, dropped)


def _text(item: object) -> str:
    """A MATLAB cell's string, however scipy nested it."""
    while isinstance(item, np.ndarray):
        item = item.reshape(-1)[0] if item.size else ""
    return str(item)


def _year(datenum: float) -> float:
    """The year of a MATLAB serial date number; NaN where it is not a valid date."""
    if not np.isfinite(datenum) or datenum < 367:
        return float("nan")
    try:
        day = date.fromordinal(int(datenum)) - timedelta(days=366)
    except (ValueError, OverflowError):
        return float("nan")
    return float(day.year)


def age_bins(ages: np.ndarray) -> np.ndarray:
    """One-hot of each age in the authors' 12 bins (edges 0, 20, 25, ..., 70, 120)."""
    ages = np.asarray(ages, dtype=float)
    index = np.clip(np.digitize(ages, AGE_EDGES[1:-1]), 0, len(AGE_EDGES) - 2)
    return np.eye(len(AGE_EDGES) - 1, dtype=np.float32)[index]


def build_splits(
    table: FaceTable,
    *,
    seed: int = 0,
    test_size: float = 0.3,
    young_max: int = 30,
    old_min: int = 40,
) -> dict[str, pd.DataFrame]:
    """EB1 (women aged ``<= young_max``, men over ``old_min``), EB2 (men young, women old) and
    an unbiased test split (a random ``test_size`` of the usable rows, drawn from ``seed``,
    with no age or gender restriction); the biased splits come from the other rows."""
    if not 0 < test_size < 1:
        raise InputError(f"test_size must be between 0 and 1, got {test_size}")
    rows = table.rows
    rng = np.random.default_rng(seed)
    is_test = np.zeros(len(rows), bool)
    is_test[rng.permutation(len(rows))[: round(test_size * len(rows))]] = True
    rest = rows[~is_test]
    young, old = rest["age"] <= young_max, rest["age"] > old_min
    woman, man = rest["gender"] == 0, rest["gender"] == 1
    return {
        "eb1": rest[(woman & young) | (man & old)].reset_index(drop=True),
        "eb2": rest[(man & young) | (woman & old)].reset_index(drop=True),
        "test": rows[is_test].reset_index(drop=True),
    }


def read_split_lists(table: FaceTable, folder: str | Path) -> dict[str, pd.DataFrame]:
    """Splits from externally supplied lists: ``eb1.txt``, ``eb2.txt`` and ``test.txt`` in
    ``folder``, one image path per line (relative to the data folder, as in ``full_path``)."""
    folder = Path(folder)
    by_path = table.rows.set_index("path")
    splits = {}
    for name in SPLITS:
        path = folder / f"{name}.txt"
        if not path.is_file():
            raise InputError(f"{path}: missing; a split folder needs eb1.txt, eb2.txt, test.txt")
        listed = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        unknown = [p for p in listed if p not in by_path.index]
        if unknown:
            raise InputError(
                f"{path}: {len(unknown)} of {len(listed)} paths are not usable rows of "
                f"imdb.mat (first: {unknown[0]})"
            )
        splits[name] = by_path.loc[listed].reset_index()
    return splits


def subsample(frame: pd.DataFrame, size: int | None, seed: int) -> pd.DataFrame:
    """``size`` random rows of ``frame`` (all of them when ``size`` is None or larger)."""
    if size is None or size >= len(frame):
        return frame
    return frame.sample(n=size, random_state=seed).reset_index(drop=True)


def split_report(splits: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each split's size beside the published one, and its gender and age make-up."""
    return pd.DataFrame(
        [
            {
                "split": name,
                "images": len(frame),
                "published": PUBLISHED_SIZES[name],
                "men": int((frame["gender"] == 1).sum()),
                "women": int((frame["gender"] == 0).sum()),
                "median age": float(frame["age"].median()) if len(frame) else float("nan"),
            }
            for name, frame in splits.items()
        ]
    )


class FaceImages(Dataset):
    """Face crops as ``(x, gender, age one-hot)``: x is ``3 x size x size``, ImageNet-normalised.

    Parameters
    ----------
    folder : path
        The data folder that ``frame["path"]`` is relative to.
    frame : DataFrame
        Rows with ``path``, ``gender`` and ``age``.
    size : int
        Side of the square input (224 for ResNet-50).
    flip : bool
        Flip each image horizontally with probability 1/2 (training augmentation).
    """

    def __init__(
        self, folder: str | Path, frame: pd.DataFrame, size: int = 224, flip: bool = False
    ) -> None:
        self.folder = Path(folder)
        self.paths = list(frame["path"])
        self.labels = torch.tensor(frame["gender"].to_numpy(), dtype=torch.long)
        self.attributes = torch.from_numpy(age_bins(frame["age"].to_numpy()))
        self.size, self.flip = size, flip
        self.mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD).view(3, 1, 1)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        from PIL import Image

        path = self.folder / self.paths[index]
        try:
            with Image.open(path) as image:
                pixels = np.asarray(image.convert("RGB").resize((self.size, self.size)))
        except OSError as error:
            raise InputError(f"{path}: cannot read the image ({error})") from error
        x = torch.from_numpy(pixels.copy()).permute(2, 0, 1).float().div_(255)
        if self.flip and torch.rand(()) < 0.5:
            x = x.flip(-1)
        return (x - self.mean) / self.std, self.labels[index], self.attributes[index]


def check_splits(splits: dict[str, pd.DataFrame], names: Sequence[str] = SPLITS) -> None:
    """Refuse an empty split, naming it."""
    empty = [name for name in names if len(splits[name]) == 0]
    if empty:
        raise InputError(f"empty split(s): {', '.join(empty)}; the data hold too few usable rows")
