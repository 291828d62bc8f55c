import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from mibias.data.imdb import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    FaceImages,
    age_bins,
    build_splits,
    read_metadata,
    read_split_lists,
    split_report,
)
from mibias.io import InputError
from tests.data.imdb_fixtures import UNUSABLE, write_imdb


@pytest.fixture(scope="module")
def crop(tmp_path_factory):
    return write_imdb(tmp_path_factory.mktemp("imdb"), rows=200)


def test_metadata_ages_genders_and_dropped_rows(crop):
    folder, ages, gender = crop
    table = read_metadata(folder.parent)  # the imdb_crop sub-folder is found too
    assert table.dropped == UNUSABLE
    np.testing.assert_array_equal(table.rows["age"], ages)
    np.testing.assert_array_equal(table.rows["gender"], gender)
    assert (folder / table.rows["path"][0]).is_file()
    stricter = read_metadata(folder, min_face_score=3.0)
    assert stricter.dropped["no face"] > UNUSABLE["no face"]


def test_age_bins_follow_the_authors_edges():
    bins = age_bins(np.array([0, 19, 20, 24, 25, 69, 70, 100, 119]))
    assert bins.shape == (9, 12) and (bins.sum(1) == 1).all()
    assert list(bins.argmax(1)) == [0, 0, 1, 1, 2, 10, 11, 11, 11]


def test_eb_splits_are_biased_disjoint_and_seeded(crop):
    table = read_metadata(crop[0])
    splits = build_splits(table, seed=3)
    eb1, eb2, test = splits["eb1"], splits["eb2"], splits["test"]
    assert ((eb1.gender == 0) & (eb1.age <= 30) | (eb1.gender == 1) & (eb1.age > 40)).all()
    assert ((eb2.gender == 1) & (eb2.age <= 30) | (eb2.gender == 0) & (eb2.age > 40)).all()
    assert not set(test.path) & (set(eb1.path) | set(eb2.path))
    assert len(test) == round(0.3 * len(table.rows))
    assert test.age.min() < 30 and test.age.max() > 40  # the test split is not restricted
    pd.testing.assert_frame_equal(build_splits(table, seed=3)["eb1"], eb1)
    assert set(build_splits(table, seed=4)["test"].path) != set(test.path)
    report = split_report(splits).set_index("split")
    assert report.loc["eb1", "images"] == len(eb1) and report.loc["eb1", "published"] == 36_003


def test_split_lists_are_read_and_checked(crop, tmp_path):
    table = read_metadata(crop[0])
    splits = build_splits(table, seed=0)
    for name, frame in splits.items():
        (tmp_path / f"{name}.txt").write_text("\n".join(frame.path) + "\n")
    read = read_split_lists(table, tmp_path)
    for name in splits:
        assert list(read[name].path) == list(splits[name].path)
    (tmp_path / "test.txt").write_text("00/not-there.jpg\n")
    with pytest.raises(InputError, match="1 of 1 paths are not usable rows"):
        read_split_lists(table, tmp_path)
    (tmp_path / "eb2.txt").unlink()
    with pytest.raises(InputError, match=r"eb2\.txt: missing"):
        read_split_lists(table, tmp_path)


def test_face_images_are_normalised_tensors(crop):
    folder = crop[0]
    table = read_metadata(folder)
    faces = FaceImages(folder, table.rows.head(4), size=24)
    x, y, c = faces[0]
    assert x.shape == (3, 24, 24) and x.dtype == torch.float32
    assert y.item() == table.rows.gender[0] and c.shape == (12,) and c.sum() == 1
    with Image.open(folder / table.rows.path[0]) as image:
        pixels = np.asarray(image.convert("RGB").resize((24, 24)), dtype=np.float32) / 255
    expected = (pixels - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    np.testing.assert_allclose(x.permute(1, 2, 0).numpy(), expected, atol=1e-5)


def test_unreadable_inputs_are_named(tmp_path):
    with pytest.raises(InputError, match=r"no imdb\.mat"):
        read_metadata(tmp_path)
    (tmp_path / "imdb.mat").write_bytes(b"not a mat file")
    with pytest.raises(InputError, match="not an IMDB-WIKI metadata file"):
        read_metadata(tmp_path)
    faces = FaceImages(tmp_path, pd.DataFrame({"path": ["gone.jpg"], "gender": [0], "age": [30]}))
    with pytest.raises(InputError, match=r"gone\.jpg: cannot read the image"):
        faces[0]
