import os
import pickle

import numpy as np
import pytest

from mibias.data.safe_pickle import load_arrays


def test_numpy_arrays_in_containers_load():
    value = ((np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2])), [np.zeros(2)])
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        loaded = load_arrays(pickle.dumps(value, protocol=protocol))
        assert np.array_equal(loaded[0][0], value[0][0]) and loaded[0][0].dtype == np.float32
        assert np.array_equal(loaded[1][0], value[1][0])


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo owned",))


def test_code_execution_is_refused():
    with pytest.raises(pickle.UnpicklingError, match="only numpy arrays"):
        load_arrays(pickle.dumps(Exploit()))


def test_other_classes_are_refused():
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        load_arrays(pickle.dumps(np.ma.masked_array([1, 2], mask=[0, 1])))
