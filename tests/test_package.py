"""The package root: its public names, imported on first use."""

import pytest

import mibias
from tests.processes import imported_by


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
    assert imported_by("import mibias\nassert mibias.__version__") == []
