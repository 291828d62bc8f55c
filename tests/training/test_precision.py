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


def cpu(monkeypatch, architecture, capability, *flags):
    found = {"architecture": architecture, **dict.fromkeys(flags, True)}
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: found)
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)


@pytest.mark.parametrize(
    "architecture, capability, flags, runs_bf16",
    [
        ("x86_64", "AVX2", (), False),
        ("x86_64", "NO AVX", (), False),
        ("x86_64", "AVX512", (), False),  # AVX-512 alone: bfloat16 emulated
        ("x86_64", "AVX512", ("avx512_bf16",), True),
        ("x86_64", "AVX512", ("avx512_bf16", "amx_bf16"), True),
        ("x86_64", "AVX512", ("amx_bf16",), True),
        ("aarch64", "DEFAULT", (), True),
    ],
)
def test_bf16_on_an_x86_cpu_without_bf16_instructions_runs_float32_and_says_so(
    monkeypatch, architecture, capability, flags, runs_bf16
):
    cpu(monkeypatch, architecture, capability, *flags)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asked = Precision(torch.device("cpu"), bf16=True, channels_last=False)
        never = Precision(torch.device("cpu"), bf16=False, channels_last=False)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert asked.bf16 is runs_bf16 and never.bf16 is False
    assert len(messages) == (not runs_bf16)
    said = f"no bfloat16 instructions (avx512_bf16 or amx_bf16; torch finds {capability})"
    assert all(said in m and "uses float32" in m for m in messages)
    with asked.autocast():
        assert torch.is_autocast_enabled("cpu") is runs_bf16


def test_bf16_autocast_returns_float32_on_the_cpu(monkeypatch):
    cpu(monkeypatch, "x86_64", "AVX512", "amx_bf16")  # autocast on, whatever this machine's CPU
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
