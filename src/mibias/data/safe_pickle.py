"""Reading pickled numpy arrays without executing arbitrary code."""

from __future__ import annotations

import codecs
import io
import pickle
from typing import Any

import numpy as np


def _reconstruct(subtype: type, shape: tuple, dtype: Any) -> np.ndarray:
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError("refusing to build an array subclass")
    return np.ndarray.__new__(subtype, shape, dtype)


def _frombuffer(buffer: bytes, dtype: Any, shape: tuple, order: str) -> np.ndarray:
    return np.frombuffer(buffer, dtype=dtype).reshape(shape, order=order)  # type: ignore[call-overload]


# the only globals a pickle of plain numpy arrays needs (old and new module paths)
_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    # protocol-2 pickles written by Python 3 spell raw bytes as _codecs.encode(text, "latin1")
    ("_codecs", "encode"): codecs.encode,
}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: only numpy arrays are allowed in this file"
            )
        return _ALLOWED[(module, name)]


def load_arrays(data: bytes) -> Any:
    """Unpickle ``data`` (Python 2 or 3 protocol) admitting nothing but numpy arrays.

    Containers built by the pickle machinery itself (tuples, lists, dicts) are allowed; any
    other class or function reference raises :class:`pickle.UnpicklingError`.
    """
    return _ArrayUnpickler(io.BytesIO(data), encoding="latin1").load()
