import pytest

from mibias.cli import main
from mibias.experiments.digits_recipe import DigitsRun
from mibias.experiments.fairness_recipe import FairnessRun
from mibias.experiments.imdb_recipe import ImdbRun
from mibias.io import InputError
from mibias.methods import METHODS, check_settings_apply, find_method, methods_of, own_estimate
from mibias.settings import flat_settings


def test_every_experiment_finds_its_methods_and_their_weights():
    assert methods_of("colored_mnist") == ["erm", "mi", "alvi", "kim", "moyer", "hsic"]
    assert methods_of("imdb") == ["erm", "mi", "alvi", "kim"]
    assert "mi-eo" in methods_of("fairness") and "erm" not in methods_of("fairness")
    mi = find_method("mi", "colored_mnist")
    assert mi.weight("colored_mnist", None) == 1.0 and mi.weight("imdb", None) == 0.5
    assert mi.weight("colored_mnist", 0.3) == 0.3
    assert METHODS["erm"].weight("colored_mnist", 1.0) == 0.0  # plain training has no term
    assert METHODS["ferm"].weight("fairness", None) is None
    with pytest.raises(InputError, match="unknown method 'moyer' for imdb; choose erm, mi"):
        find_method("moyer", "imdb")


def test_a_setting_no_method_of_the_run_reads_is_refused():
    with pytest.raises(InputError, match="--k does not apply to alvi or kim"):
        check_settings_apply("colored_mnist", ["alvi", "kim"], {"k": 5, "epochs": 2}, DigitsRun)
    with pytest.raises(InputError, match="--head-lr does not apply to mi"):
        check_settings_apply("colored_mnist", ["mi"], {"head_lr": 0.1}, DigitsRun)
    with pytest.raises(InputError, match="--k does not apply to erm"):
        check_settings_apply("imdb", ["erm"], {"k": 5}, ImdbRun)  # ERM trains no estimator there
    # a grid may give a setting that only some of its methods read
    check_settings_apply("colored_mnist", ["mi", "alvi"], {"k": 5, "head_lr": 0.1}, DigitsRun)
    check_settings_apply("colored_mnist", ["erm"], {"k": 5}, DigitsRun)  # its MI estimate is logged
    # a term without parameters trains on nothing, and a bias head has its own optimiser
    with pytest.raises(InputError, match="--feature-pool does not apply to hsic"):
        check_settings_apply("colored_mnist", ["hsic"], {"feature_pool": 2}, DigitsRun)
    with pytest.raises(InputError, match="--estimator-optimizer does not apply to kim"):
        check_settings_apply("colored_mnist", ["kim"], {"estimator_optimizer": "sgd"}, DigitsRun)


def test_every_setting_a_method_ignores_is_a_setting_of_a_recipe():
    # the sets are shared between experiments, so a name may belong to one recipe only
    names = set().union(*(flat_settings(recipe) for recipe in (DigitsRun, ImdbRun, FairnessRun)))
    for method in METHODS.values():
        for experiment in method.lambdas:
            assert method.ignored(experiment) <= names, (method.name, experiment)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["digits", "--method", "kim", "--k", "3"], "--k does not apply to kim"),
        (["digits", "--method", "erm", "--lambda", "1"], "--lambda does not apply to erm"),
        (["table1", "--methods", "alvi", "--estimator-lr", "0.1"], "--estimator-lr does not"),
        (["digits", "--method", "mine"], "invalid choice: 'mine'"),
        (["fairness", "--method", "ferm", "--no-whiten"], "--whiten does not apply to ferm"),
    ],
)
def test_the_command_line_refuses_what_a_method_ignores(command, message, tmp_path, capsys):
    with pytest.raises(SystemExit) if "invalid choice" in message else _no_exit():
        assert main([*command, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


class _no_exit:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_make_term_builds_estimators_and_baselines_and_names_both_when_unknown():
    from mibias.baselines import ReversalAdversary
    from mibias.estimators import MINE
    from mibias.methods import make_term

    assert isinstance(make_term("mine", 4, 2), MINE)
    assert make_term("mine", 4, 2, noise=0.5, whiten=True).whiten
    assert isinstance(make_term("reversal", 4, 2, reversal=0.5), ReversalAdversary)
    with pytest.raises(ValueError, match=r"mine.*pairwise-kl, hsic"):
        make_term("kernel", 4, 2)


@pytest.mark.parametrize(
    ("method", "conditional", "expected"),
    [("mi", False, 0.4), ("erm", False, 0.4), ("mi", True, None), ("kim", False, None)],
    ids=["mi", "erm-tracks-it", "conditioned-on-the-label", "a-bias-head-loss"],
)
def test_a_runs_own_estimate_is_its_mi_column_only_where_that_estimates_i_z_c(
    method, conditional, expected
):
    assert own_estimate(method, {"mi": 0.4}, conditional) == expected
