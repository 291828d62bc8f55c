"""Every benchmark under benchmarks/ imports: a rename in the package that a benchmark still
reads fails here, not when someone next runs that benchmark."""

import importlib
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
MODULES = sorted(path.stem for path in BENCHMARKS.glob("*.py") if path.stem != "__init__")


def test_the_benchmarks_folder_is_found():
    assert {"audit_accuracy", "digits_speed", "erase"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_the_benchmark_imports(name):
    module = importlib.import_module(f"benchmarks.{name}")
    assert callable(getattr(module, "main", None)) or name == "common"
