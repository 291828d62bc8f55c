from dataclasses import replace

import numpy as np
import pytest

from mibias.data.fetch import FetchError, fetch
from mibias.data.tabular import VALIDATION_SHARE, make_split
from mibias.data.uci import ADULT_DATA, GERMAN_DATA, read_adult, read_german
from tests.data.uci_fixtures import write_adult, write_german


def test_adult_loader_drops_missing_rows_and_keeps_the_official_split(tmp_path):
    data = read_adult(*write_adult(tmp_path))
    assert data.dropped_rows == 12 + 6
    assert len(data.features) == 108 + 54
    assert data.official_test.sum() == 54
    assert "income" not in data.features and data.features.shape[1] == 14
    assert set(data.label) <= {0, 1} and data.sensitive.name == "female"
    assert np.array_equal(data.sensitive, (data.features["sex"] == "Female").astype(int))


def test_german_loader_derives_young_and_female(tmp_path):
    path = write_german(tmp_path)
    young = read_german(path, young_age=30)
    assert young.sensitive.name == "age<=30"
    assert np.array_equal(young.sensitive, (young.features["age"] <= 30).astype(int))
    female = read_german(path, attribute="sex")
    codes = female.features["personal-status"]
    assert np.array_equal(female.sensitive, codes.isin(["A92", "A95"]).astype(int))
    with pytest.raises(ValueError, match="attribute must be age or sex"):
        read_german(path, attribute="race")


def test_split_standardises_with_training_rows_and_can_drop_the_attribute(tmp_path):
    data = read_german(write_german(tmp_path))
    split = make_split(data, seed=3)
    assert len(split.x_train) == 140 and len(split.x_test) == 60
    age = split.feature_names.index("age")
    assert split.x_train[:, age].mean() == pytest.approx(0, abs=1e-5)
    assert split.x_train[:, age].std() == pytest.approx(1, abs=1e-3)
    again = make_split(data, seed=3)
    assert np.array_equal(split.test_rows, again.test_rows)
    assert not np.array_equal(split.test_rows, make_split(data, seed=4).test_rows)
    dropped = make_split(data, seed=3, keep_sensitive=False)
    assert "age" not in dropped.feature_names
    adult = make_split(read_adult(*write_adult(tmp_path)), keep_sensitive=False)
    assert not any(name.startswith("sex") for name in adult.feature_names)
    assert len(adult.x_test) == 54


@pytest.mark.parametrize("entry", [ADULT_DATA, GERMAN_DATA])
def test_a_cached_file_with_the_wrong_hash_is_deleted_and_reported(tmp_path, entry):
    cached = tmp_path / entry.name
    cached.write_text("tampered\n")
    offline = replace(entry, urls=(), wheel=None)
    with pytest.raises(FetchError, match=r"deleted, (size|sha256)"):
        fetch(offline, tmp_path, progress=False)
    assert not cached.exists()


def test_a_validation_split_holds_out_training_rows_and_leaves_the_test_rows_alone(tmp_path):
    for data in (read_german(write_german(tmp_path)), read_adult(*write_adult(tmp_path))):
        test = make_split(data, seed=3)
        validation = make_split(data, seed=3, holdout="validation")
        assert not set(validation.test_rows) & set(test.test_rows)
        assert len(validation.x_train) + len(validation.x_test) == len(test.x_train)
        assert abs(len(validation.x_test) - VALIDATION_SHARE * len(test.x_train)) <= 1
    with pytest.raises(ValueError, match="holdout must be test or validation"):
        make_split(data, holdout="train")
