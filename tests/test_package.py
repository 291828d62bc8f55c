"""The package root: its public names, imported on first use."""

import subprocess
import sys

import pytest

import mibias


def test_every_public_name_resolves_to_its_definition():
    from mibias.fairness.classifier import MIFairClassifier

    assert mibias.MIFairClassifier is MIFairClassifier
    for name in mibias.__all__:
        assert getattr(mibias, name) is not None, name
        assert name in dir(mibias)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'MIClassifier'"):
        mibias.MIClassifier  # noqa: B018


def test_importing_the_package_imports_no_torch():
    check = "import sys, mibias; print('torch' in sys.modules, mibias.__version__)"
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"
