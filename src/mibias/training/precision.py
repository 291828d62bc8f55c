"""Where and in what precision the networks run: the device, bfloat16 autocast and the
channels-last memory layout."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from mibias.io import InputError
from mibias.user_warnings import warn

Batch = Sequence[torch.Tensor]


class Precision:
    """Moves batches and modules to the device and runs forward passes under autocast.

    Parameters
    ----------
    device : torch.device
        Where the networks and batches live.
    bf16 : bool
        Run forward passes under bfloat16 autocast; their outputs come back as float32. An
        error on a GPU without native bfloat16 (compute capability below 8.0), asked of the
        GPU ``device`` names. On an x86 CPU without bfloat16 instructions
        (:func:`cpu_bfloat16_kernels`) the run uses float32 instead, with a warning: torch
        emulates bfloat16 there, which ran the digit network's step 11.5 times slower than
        float32 on an AVX2 host, 12.9 times in channels-last layout
        (benchmarks/results/digits_speed_layouts.md).
    channels_last : bool
        Keep 4-D inputs (and the module given to :meth:`place` with ``layout=True``) in
        channels-last layout.

    Attributes
    ----------
    bf16 : bool
        Whether forward passes do run under bfloat16 autocast.
    """

    def __init__(self, device: torch.device, bf16: bool, channels_last: bool) -> None:
        if bf16 and device.type == "cuda" and torch.cuda.get_device_capability(device) < (8, 0):
            raise InputError(
                f"bf16: {torch.cuda.get_device_name(device)} has no bfloat16; "
                "turn it off (--no-bf16)"
            )
        if bf16 and device.type == "cpu" and not cpu_bfloat16_kernels():
            warn(
                f"bf16: this CPU has no bfloat16 instructions ({' or '.join(BF16_INSTRUCTIONS)}; "
                f"torch finds {torch.backends.cpu.get_cpu_capability()}), where torch emulates "
                "bfloat16 several times slower than float32: the run uses float32",
                RuntimeWarning,
            )
            bf16 = False
        self.device = device
        self.bf16 = bf16
        self.channels_last = channels_last

    def place(self, module: nn.Module, *, layout: bool = False) -> nn.Module:
        """``module`` on the device, in channels-last layout too where asked and configured."""
        module = module.to(self.device)
        if layout and self.channels_last:
            module = module.to(memory_format=torch.channels_last)
        return module

    def autocast(self) -> torch.autocast:
        """The autocast context of the forward passes (off unless ``bf16``)."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16)

    def run(self, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """``module(x)`` under autocast, in float32 whatever precision computed it."""
        with self.autocast():
            return module(x).float()

    def batch(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(x, y, c)`` on the device, ``x`` in the configured layout.

        Raises
        ------
        InputError
            Unless the batch is three tensors of as many rows: ``y`` integer class labels and
            ``c`` a float matrix (the attribute's codes).
        """
        if len(batch) != 3:
            raise InputError(
                f"each training batch must be (x, y, c); got a batch of {len(batch)} items"
            )
        problem = batch_error(*batch)
        if problem:
            raise InputError(f"a training batch {problem}")
        x, y, c = (t.to(self.device, non_blocking=True) for t in batch)
        if self.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x, y, c


def batch_error(x: Any, y: Any, c: Any) -> str | None:
    """What is wrong with a batch ``(x, y, c)``, or None: three tensors of as many rows, ``y``
    integer class labels (one per row) and ``c`` a float matrix, one row of codes per row (for
    labels, :class:`~mibias.estimators.AttributeEncoder` makes one-hot codes)."""
    if not all(isinstance(t, torch.Tensor) for t in (x, y, c)):
        return "must hold three tensors (x, y, c)"
    if y.ndim != 1 or y.dtype.is_floating_point or y.dtype == torch.bool:
        return (
            f"has y of shape {tuple(y.shape)} and dtype {y.dtype}: y must hold one integer "
            "class label per row"
        )
    if c.ndim != 2 or not c.dtype.is_floating_point:
        return (
            f"has c of shape {tuple(c.shape)} and dtype {c.dtype}: c must be a float matrix, "
            "one row of codes per row (AttributeEncoder().fit_transform(labels) makes one-hot "
            "codes)"
        )
    if not len(x) == len(y) == len(c):
        return f"has {len(x)} rows of x, {len(y)} of y and {len(c)} of c"
    return None


# the x86 instructions that compute bfloat16 (as torch.cpu.get_capabilities names them); they
# change bf16 arithmetic, and with it both speed and results (docs/colored-mnist.md)
BF16_INSTRUCTIONS = ("avx512_bf16", "amx_bf16")


def bf16_instructions() -> tuple[str, ...]:
    """Those of :data:`BF16_INSTRUCTIONS` this CPU has (as torch finds them)."""
    capabilities = torch.cpu.get_capabilities()
    return tuple(name for name in BF16_INSTRUCTIONS if capabilities.get(name))


def cpu_bfloat16_kernels() -> bool:
    """Whether this CPU computes bfloat16 with instructions made for it: on x86, one of
    :data:`BF16_INSTRUCTIONS` (with them the digit network's step in channels-last bf16 took
    half the time of channels-last float32, benchmarks/results/digits_speed.md; without
    them torch emulates bfloat16: on an AVX2 host 11.5 times slower than float32,
    benchmarks/results/digits_speed_layouts.md, and on AVX-512 alone it converts through
    float32 too, not measured here); other architectures are taken to."""
    if torch.cpu.get_capabilities().get("architecture") != "x86_64":
        return True
    return bool(bf16_instructions())
