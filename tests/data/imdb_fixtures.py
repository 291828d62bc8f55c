"""A miniature IMDB-WIKI folder: imdb.mat in the release's layout and small face-like images.

Gender is drawn as the face's shape (a wide or a tall ellipse), age as the tint of the
background (older, bluer), so a network can learn either; a few rows of every unusable kind are
mixed in.
"""

from datetime import date

import numpy as np
from PIL import Image, ImageDraw
from scipy.io import savemat

UNUSABLE = {"no face": 4, "second face": 3, "missing gender": 3, "impossible age": 2}


def matlab_datenum(day):
    return day.toordinal() + 366


def write_imdb(folder, rows=300, size=32, seed=0):
    """Write ``folder/imdb_crop`` with ``rows`` usable images plus the unusable ones; returns
    the crop folder and the usable rows' (age, gender) arrays."""
    rng = np.random.default_rng(seed)
    crop = folder / "imdb_crop"
    n = rows + sum(UNUSABLE.values())
    ages = rng.integers(5, 80, n)
    gender = rng.integers(0, 2, n).astype(float)
    taken = rng.integers(2000, 2015, n)
    face_score = rng.uniform(1, 5, n)
    second = np.full(n, np.nan)
    kinds = np.array(["usable"] * rows + [k for k, c in UNUSABLE.items() for _ in range(c)])
    face_score[kinds == "no face"] = -np.inf
    second[kinds == "second face"] = 2.0
    gender[kinds == "missing gender"] = np.nan
    ages[kinds == "impossible age"] = -3
    dob = [matlab_datenum(date(int(t - a), 6, 1)) for t, a in zip(taken, ages, strict=True)]
    paths = []
    for i in range(n):
        relative = f"{i % 3:02d}/nm{i:07d}_rm{i}_{taken[i] - ages[i]}-6-1_{taken[i]}.jpg"
        paths.append(relative)
        image = Image.new("RGB", (size, size), tuple(int(v) for v in (60, 60, 60 + 2 * ages[i])))
        draw = ImageDraw.Draw(image)
        wide = gender[i] == 1
        box = (4, 10, size - 4, size - 10) if wide else (10, 4, size - 10, size - 4)
        draw.ellipse(box, fill=(220, 190, 160))
        (crop / relative).parent.mkdir(parents=True, exist_ok=True)
        image.save(crop / relative)
    full_path = np.empty((1, n), dtype=object)
    full_path[0, :] = [np.array([p]) for p in paths]
    struct = {
        "dob": np.array(dob, float)[None],
        "photo_taken": taken[None].astype(float),
        "full_path": full_path,
        "gender": gender[None],
        "face_score": face_score[None],
        "second_face_score": second[None],
        "name": full_path,
    }
    savemat(crop / "imdb.mat", {"imdb": struct})
    usable = kinds == "usable"
    return crop, ages[usable], gender[usable].astype(int)
