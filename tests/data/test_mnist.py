import numpy as np

from mibias.data import mnist


def test_content_hash_depends_on_every_array():
    arrays = {key: np.zeros(4, np.uint8) for key in mnist.ARRAYS}
    base = mnist.content_sha256(arrays)
    arrays["test_labels"] = np.array([0, 0, 0, 1], np.uint8)
    assert mnist.content_sha256(arrays) != base


def test_verify_reports_a_tampered_cache(tmp_path):
    np.savez(tmp_path / mnist.CACHE_NAME, **{key: np.zeros(3, np.uint8) for key in mnist.ARRAYS})
    (tmp_path / "mnist.pkl.gz").write_bytes(b"not the pickle")
    problems = mnist.verify_mnist(tmp_path)
    assert any("mnist.pkl.gz" in p and "size" in p for p in problems)
    assert any(mnist.CACHE_NAME in p for p in problems)


def test_verify_passes_an_empty_cache(tmp_path):
    assert mnist.verify_mnist(tmp_path) == []
