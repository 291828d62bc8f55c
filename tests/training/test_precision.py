"""Where and in what precision the networks run."""

import re
import warnings

import pytest
import torch

from mibias.io import InputError
from mibias.training.precision import Precision


def test_bf16_on_a_gpu_without_bfloat16_is_refused_by_name(monkeypatch):
    # cuda:0 is a Volta (7.0), cuda:1 an Ampere (8.0): the check asks the GPU the run names
    capability = {0: (7, 0), 1: (8, 0)}
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda d: capability[d.index])
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: f"GPU {d.index}")
    with pytest.raises(InputError, match="bf16: GPU 0 has no bfloat16; turn it off"):
        Precision(torch.device("cuda:0"), bf16=True, channels_last=False)
    Precision(torch.device("cuda:0"), bf16=False, channels_last=False)  # float32 needs nothing
    Precision(torch.device("cuda:1"), bf16=True, channels_last=False)


@pytest.mark.parametrize(
    "flags, warns",
    [
        ({"avx512_bf16": False, "amx_bf16": False}, True),
        ({"avx512_bf16": True, "amx_bf16": False}, False),
        ({"avx512_bf16": False, "amx_bf16": True}, False),
    ],
)
def test_bf16_on_an_x86_cpu_without_bfloat16_instructions_warns(monkeypatch, flags, warns):
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"architecture": "x86_64", **flags})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Precision(torch.device("cpu"), bf16=True, channels_last=False)
        Precision(torch.device("cpu"), bf16=False, channels_last=False)  # float32: never
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == warns
    assert all("no bfloat16 instructions" in m and "--no-bf16" in m for m in messages)


def test_bf16_autocast_returns_float32_on_the_cpu():
    precision = Precision(torch.device("cpu"), bf16=True, channels_last=True)
    out = precision.run(torch.nn.Linear(4, 2), torch.ones(3, 4))
    assert out.dtype == torch.float32 and out.shape == (3, 2)


@pytest.mark.parametrize(
    ("y", "c", "said"),
    [
        (torch.zeros(4), torch.zeros(4, 2), "y of shape (4,) and dtype torch.float32"),
        (torch.zeros(4, 1, dtype=torch.long), torch.zeros(4, 2), "y of shape (4, 1)"),
        (torch.zeros(4, dtype=torch.long), torch.zeros(4, dtype=torch.long), "c of shape (4,)"),
        (torch.zeros(4, dtype=torch.long), torch.zeros(3, 2), "4 rows of x, 4 of y and 3 of c"),
    ],
)
def test_a_batch_that_is_not_labels_and_attribute_codes_is_refused_by_name(y, c, said):
    precision = Precision(torch.device("cpu"), bf16=False, channels_last=False)
    x, y_ok, c_ok = torch.zeros(4, 3), torch.zeros(4, dtype=torch.long), torch.zeros(4, 2)
    assert [t.shape for t in precision.batch((x, y_ok, c_ok))] == [x.shape, (4,), (4, 2)]
    with pytest.raises(InputError, match=f"a training batch has {re.escape(said)}"):
        precision.batch((x, y, c))
