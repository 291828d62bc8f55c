import subprocess
import sys

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


# another process building the cache in argv[1]: it holds the lock, writes small arrays after
# a while and lets go
BUILDING = """
import sys, time
from pathlib import Path
import numpy as np
from mibias.data import mnist
from mibias.data.fetch import fetch_lock
with fetch_lock(Path(sys.argv[1]), mnist.CACHE_NAME):
    print("building", flush=True)
    time.sleep(1.5)
    small = {key: np.ones(3, np.uint8) for key in mnist.ARRAYS}
    np.savez(Path(sys.argv[1]) / mnist.CACHE_NAME, **small)
"""


def test_a_second_process_waits_for_the_cache_being_built_and_reads_it(tmp_path, monkeypatch):
    small = {key: np.ones(3, np.uint8) for key in mnist.ARRAYS}
    monkeypatch.setattr(mnist, "CONTENT_SHA256", mnist.content_sha256(small))

    def not_again(home, progress):
        raise AssertionError("built MNIST a second time")

    monkeypatch.setattr(mnist, "_from_idx", not_again)
    monkeypatch.setattr(mnist, "_from_pickle", not_again)
    first = subprocess.Popen(
        [sys.executable, "-c", BUILDING, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert first.stdout.readline().strip() == "building"
        arrays = mnist.load_mnist(tmp_path, progress=False)
    finally:
        first.kill()
        first.wait()
    assert all(np.array_equal(arrays[key], small[key]) for key in mnist.ARRAYS)
