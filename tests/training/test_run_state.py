import pytest
import torch
from torch import nn

from mibias.io import InputError
from mibias.training.config import TrainerConfig
from mibias.training.run_state import RunState, check_resumable


def test_a_setting_that_changes_results_refuses_resumption():
    with pytest.raises(InputError, match=r"other settings \(lam 1.0 -> 0.5\)"):
        check_resumable(TrainerConfig(lam=1.0).to_dict(), TrainerConfig(lam=0.5))


def test_more_epochs_and_settings_added_later_resume():
    saved = TrainerConfig(epochs=2).to_dict()
    del saved["clip"]  # a checkpoint from before the setting existed
    check_resumable(saved, TrainerConfig(epochs=5))


class _Counter:
    def __init__(self):
        self.value = 0

    def state_dict(self):
        return {"count": self.value} if self.value else {}

    def load_state_dict(self, state):
        self.value = state.get("count", 0)


def test_state_round_trips_parts_flat_entries_and_generator(tmp_path):
    path = tmp_path / "checkpoint.pt"
    network, counter = nn.Linear(3, 2), _Counter()
    counter.value = 7
    generator = torch.Generator().manual_seed(3)
    RunState({"network": network}, counter, generator).save(
        path, 4, TrainerConfig(), [{"epoch": 4.0}]
    )
    expected_draw = torch.rand(2, generator=generator)

    fresh, fresh_counter = nn.Linear(3, 2), _Counter()
    fresh_generator = torch.Generator().manual_seed(99)
    state = torch.load(path, weights_only=True)
    epoch, history = RunState({"network": fresh}, fresh_counter, fresh_generator).restore(
        state, TrainerConfig()
    )
    assert (epoch, history, fresh_counter.value) == (4, [{"epoch": 4.0}], 7)
    assert torch.equal(fresh.weight, network.weight)
    assert torch.equal(torch.rand(2, generator=fresh_generator), expected_draw)


def test_an_optimiser_keeps_its_update_implementation_when_it_resumes_an_older_state(tmp_path):
    def adam(fused):
        parameter = nn.Parameter(torch.ones(3))
        return parameter, torch.optim.Adam([parameter], lr=0.1, fused=fused)

    old_parameter, old = adam(None)  # as checkpoints written before the update was fused
    old_parameter.grad = torch.ones(3)
    old.step()
    path = tmp_path / "checkpoint.pt"
    RunState({"optimiser": old}, None, torch.Generator()).save(path, 1, TrainerConfig(), [])
    parameter, fused = adam(True)
    with torch.no_grad():
        parameter.copy_(old_parameter)
    RunState({"optimiser": fused}, None, torch.Generator()).restore(
        torch.load(path, weights_only=True), TrainerConfig()
    )
    assert fused.param_groups[0]["fused"] is True
    for optimiser, weights in ((old, old_parameter), (fused, parameter)):
        weights.grad = torch.full((3,), 0.5)
        optimiser.step()
    assert torch.allclose(parameter, old_parameter)
