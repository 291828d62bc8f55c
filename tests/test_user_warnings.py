import warnings

import numpy as np
import pytest

from mibias import MIEraser
from mibias.baselines.erasers import ProjectionEraser
from mibias.user_warnings import warn


def warnings_of(call) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [w for w in caught if issubclass(w.category, UserWarning)]


def test_a_warning_raised_here_names_this_file():
    (caught,) = warnings_of(lambda: warn("a finding"))
    assert caught.filename == __file__ and str(caught.message) == "a finding"


def test_a_warning_from_deep_inside_an_eraser_names_the_callers_line():
    x = np.random.default_rng(0).normal(size=(100, 4))
    # fit_transform calls fit, which warns: two frames inside mibias
    (caught,) = warnings_of(lambda: ProjectionEraser().fit_transform(x))
    assert "got no sensitive_features" in str(caught.message)
    assert caught.filename == __file__


@pytest.mark.parametrize("fit", ["fit", "fit_transform"])
def test_the_end_of_fit_leakage_warning_names_the_callers_line(fit):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 4)).astype(np.float32)
    c = (x[:, 0] > 0).astype(int)  # 20 steps leave it in z: the end-of-fit check warns
    caught = warnings_of(lambda: getattr(MIEraser(steps=20), fit)(x, sensitive_features=c))
    assert caught and all(w.filename == __file__ for w in caught)


def test_a_warning_inside_a_pipeline_names_the_line_that_fits_the_pipeline():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.random.default_rng(0).normal(size=(100, 4))
    pipeline = make_pipeline(StandardScaler(), ProjectionEraser())
    (caught,) = warnings_of(lambda: pipeline.fit_transform(x))
    assert caught.filename == __file__
