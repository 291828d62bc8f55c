"""Where and in what precision the networks run."""

import pytest
import torch

from mibias.io import InputError
from mibias.training.precision import Precision


def test_bf16_on_a_gpu_without_bfloat16_is_refused_by_name(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Old GPU")
    with pytest.raises(InputError, match="bf16: Old GPU has no bfloat16; turn it off"):
        Precision(torch.device("cuda"), bf16=True, channels_last=False)
    Precision(torch.device("cuda"), bf16=False, channels_last=False)  # float32 needs nothing


def test_bf16_autocast_returns_float32_on_the_cpu():
    precision = Precision(torch.device("cpu"), bf16=True, channels_last=True)
    out = precision.run(torch.nn.Linear(4, 2), torch.ones(3, 4))
    assert out.dtype == torch.float32 and out.shape == (3, 2)
