"""Keep the MI gradient from dominating the task gradient."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from mibias.training.config import ClipMode


def clip_mi_gradients(
    task: Sequence[torch.Tensor],
    mi: Sequence[torch.Tensor],
    mode: ClipMode,
    ratio: float = 1.0,
) -> list[torch.Tensor]:
    """Scale the MI gradients ``mi`` against the task gradients ``task`` of the same tensors.

    Parameters
    ----------
    task, mi : sequence of Tensor
        Gradients of the task loss and of the MI term for the same parameters (or tensors).
    mode : {"param", "global", "z", "none"}
        ``param``: each tensor's MI gradient gets norm ``min(ratio |g_task|, |g_MI|)`` (the
        authors' rule, ``ratio = 1``). ``global`` and ``z``: the whole MI gradient gets global
        norm ``min(ratio |g_task|, |g_MI|)``. ``none``: unchanged.
    ratio : float
        How large the MI gradient may get relative to the task gradient.

    Returns
    -------
    list of Tensor
        The clipped MI gradients; directions are never changed.
    """
    if mode == "none":
        return list(mi)
    if mode == "param":
        return [m * _ratio(ratio * t.norm(), m.norm()) for t, m in zip(task, mi, strict=True)]
    task_norm = torch.linalg.vector_norm(torch.stack([t.norm() for t in task]))
    mi_norm = torch.linalg.vector_norm(torch.stack([m.norm() for m in mi]))
    scale = _ratio(ratio * task_norm, mi_norm)
    return [m * scale for m in mi]


def _ratio(task_norm: torch.Tensor, mi_norm: torch.Tensor) -> torch.Tensor:
    """``min(task_norm, mi_norm) / mi_norm``, and 0 where the MI gradient vanishes."""
    return torch.where(
        mi_norm > 0, torch.minimum(task_norm, mi_norm) / mi_norm.clamp_min(1e-30), 0.0
    )
