import pytest

from mibias.io import InputError
from mibias.training import OptimizerConfig, TrainerConfig


def test_a_value_outside_a_settings_choices_is_refused_naming_them():
    with pytest.raises(InputError, match="clip must be param, global, z or none, got 'x'"):
        TrainerConfig(clip="x")
    with pytest.raises(InputError, match="lr_schedule must be constant, cosine or step"):
        TrainerConfig(lr_schedule="linear", k=-1)


def test_a_config_reads_back_from_its_dictionary():
    config = TrainerConfig(lam=0.3, clip="none", estimator_optimizer=OptimizerConfig("sgd", 0.1))
    assert TrainerConfig.from_dict(config.to_dict()) == config
