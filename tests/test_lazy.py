"""Packages whose public names are imported on first use (mibias.lazy)."""

import importlib

import pytest

from tests.processes import imported_by

# the package root's own: tests/test_package.py
LAZY_PACKAGES = (
    "mibias.audit",
    "mibias.baselines",
    "mibias.estimators",
    "mibias.fairness",
    "mibias.training",
)


@pytest.mark.parametrize("name", LAZY_PACKAGES)
def test_every_public_name_of_a_lazy_package_resolves(name):
    package = importlib.import_module(name)
    for public in package.__all__:
        assert getattr(package, public) is not None, f"{name}.{public}"
        assert public in dir(package)


def test_a_lazy_name_is_the_definition_and_is_kept_in_the_package():
    import mibias.training
    from mibias.training.trainer import MITrainer

    assert mibias.training.MITrainer is MITrainer
    assert vars(mibias.training)["MITrainer"] is MITrainer


def test_an_unknown_name_is_an_attribute_error_and_submodules_still_import():
    import mibias.estimators

    with pytest.raises(AttributeError, match=r"'mibias\.estimators' has no attribute 'MYNE'"):
        mibias.estimators.MYNE  # noqa: B018
    from mibias.estimators import names

    assert "mine" in names.ESTIMATORS


def test_the_settings_modules_import_neither_torch_nor_sklearn():
    """The recipes' settings, the method registry and the lazy packages are read by the
    command line's parser, which must not pay for torch."""
    code = (
        "import mibias.experiments.digits_recipe, mibias.experiments.fairness_recipe\n"
        "import mibias.experiments.imdb_recipe, mibias.methods, mibias.sweep\n"
        "import mibias.audit.settings, mibias.erasure.settings\n"
        f"import {', '.join(LAZY_PACKAGES)}\n"
    )
    assert imported_by(code) == []
