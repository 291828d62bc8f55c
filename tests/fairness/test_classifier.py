import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mibias.fairness import MIFairClassifier
from mibias.metrics import probe_accuracy


def biased_table(n=1200, seed=0):
    """y depends on x0; the attribute s leaks through x1 and is correlated with y."""
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 2, n)
    signal = rng.normal(size=n)
    y = (signal + 0.8 * s + 0.3 * rng.normal(size=n) > 0.4).astype(int)
    X = np.column_stack([signal, s + 0.1 * rng.normal(size=n), rng.normal(size=(n, 3))])
    return X.astype(np.float32), y, s


def quick(**params):
    return MIFairClassifier(epochs=15, batch_size=128, k=2, random_state=0, **params)


def test_the_mi_term_removes_a_nuisance_attribute_from_the_representation():
    """s is in the inputs but useless for y: ERM keeps it in z, the MI term takes it out."""
    rng = np.random.default_rng(0)
    n = 2000
    s = rng.integers(0, 2, n)
    signal = rng.normal(size=n)
    X = np.column_stack([signal, s + 0.1 * rng.normal(size=n), rng.normal(size=(n, 3))])
    X, y, half = X.astype(np.float32), (signal > 0).astype(int), n // 2
    leak = {}
    for lam in (0.0, 1.0):
        clf = MIFairClassifier(lam=lam, epochs=20, batch_size=100, lr=1e-2, k=5, random_state=0)
        clf.fit(X[:half], y[:half], sensitive_features=s[:half])
        z_train, z_test = clf.transform(X[:half]), clf.transform(X[half:])
        leak[lam] = probe_accuracy(z_train, s[:half], z_test, s[half:], kind="mlp")
        assert clf.score(X[half:], y[half:]) > 0.95
    assert leak[0.0] > 0.95
    assert leak[1.0] < leak[0.0] - 0.2


def test_same_random_state_gives_the_same_model_and_pickles():
    X, y, s = biased_table(300)
    first = quick().fit(X, y, sensitive_features=s)
    second = quick().fit(X, y, sensitive_features=s)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    restored = pickle.loads(pickle.dumps(first))
    np.testing.assert_array_equal(restored.predict_proba(X), first.predict_proba(X))
    assert restored.transform(X).shape == (300, 64)


def test_pipeline_routes_sensitive_features_to_fit():
    X, y, s = biased_table(300)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = quick().set_fit_request(sensitive_features=True)
        pipe = make_pipeline(StandardScaler(), clf).fit(X, y, sensitive_features=s)
        assert pipe.score(X, y) > 0.7
        assert pipe[-1].attribute_encoder_.groups_ == (2,)


def test_dataframes_and_string_attributes_are_accepted():
    X, y, s = biased_table(300)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    groups = pd.Series(np.where(s == 1, "female", "male"))
    clf = quick(criterion="equalized_odds").fit(
        frame, np.where(y == 1, "yes", "no"), sensitive_features=groups
    )
    assert list(clf.feature_names_in_) == list(frame.columns)
    assert set(clf.predict(frame)) <= {"yes", "no"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda X, y, s: (X, y, s[:-1]), "sensitive_features has 299 rows but X has 300"),
        (lambda X, y, s: (X, y, np.where(s == 1, np.nan, 0.0)), "missing values"),
        (lambda X, y, s: (X, y, np.zeros_like(s)), "single value"),
        (lambda X, y, s: (np.where(X > 2, np.nan, X), y, s), "NaN"),
        (lambda X, y, s: (X, y % 2 + (X[:, 0] > 1), s), "needs binary labels"),
        (
            lambda X, y, s: (pd.DataFrame({"a": X[:, 0], "city": ["x"] * len(X)}), y, s),
            "non-numeric columns",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(change, message):
    X, y, s = biased_table(300)
    X, y, s = change(X, y, s)
    with pytest.raises(ValueError, match=message):
        quick(criterion="equal_opportunity").fit(X, y, sensitive_features=s)


def test_without_an_attribute_it_warns_and_trains_a_plain_network():
    X, y, _ = biased_table(300)
    with pytest.warns(UserWarning, match="no sensitive_features"):
        clf = quick().fit(X, y)
    assert clf.attribute_encoder_ is None
    with pytest.raises(ValueError, match="criterion must be one of"):
        quick(criterion="parity").fit(X, y)
