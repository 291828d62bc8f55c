"""Data-parallel training under torchrun: the process group, the global batch, rank 0's duties.

Every recipe runs data parallel when torchrun's environment says so (``WORLD_SIZE`` above 1):
:func:`init_from_environment` joins the process group (NCCL on CUDA, gloo on the CPU), the
training loader gives each rank its share of every global batch (:func:`training_loader`), and
:class:`~mibias.training.MITrainer` wraps the networks in DistributedDataParallel and gathers z
and c from all ranks (:func:`gather_rows`) so the MI estimator sees the global batch.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Sequence

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    DistributedSampler,
    RandomSampler,
    Sampler,
    TensorDataset,
)


def world_size() -> int:
    """Number of processes training together (1 outside torchrun)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    """This process's rank (0 outside torchrun)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_main_process() -> bool:
    """Whether this process logs, checkpoints and writes results (rank 0)."""
    return rank() == 0


def launched_by_torchrun() -> bool:
    """Whether torchrun's environment asks for more than one process (``WORLD_SIZE`` > 1)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_from_environment() -> None:
    """Join the process group torchrun describes in the environment, if it describes one and
    this process has not joined it yet.

    The backend is NCCL when CUDA is available (each process on GPU ``LOCAL_RANK``), else gloo.
    """
    if not launched_by_torchrun() or world_size() > 1:
        return
    if not dist.is_available():
        raise RuntimeError("this PyTorch build has no torch.distributed; run without torchrun")
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(local_rank())
    dist.init_process_group("nccl" if cuda else "gloo")


def shutdown(finished: bool = True) -> None:
    """Leave the process group, if this process joined one.

    Parameters
    ----------
    finished
        Whether this rank ended normally. Then objects still holding the group (the reducer of
        DistributedDataParallel) are collected and the rank waits for its peers before the
        group is torn down: tearing it down while a peer still talks to it lets gloo's threads
        abort the process at exit. A rank that failed leaves at once, since its peers may never
        reach the barrier.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    if finished:
        gc.collect()
        dist.barrier()
    dist.destroy_process_group()


def local_rank() -> int:
    """This process's index on its node (``LOCAL_RANK``; 0 outside torchrun)."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def gather_rows(tensor: torch.Tensor) -> torch.Tensor:
    """Concatenate every rank's rows along dim 0, in rank order; ranks may hold different counts.

    Only this rank's own block keeps its autograd graph: the gradient of a loss computed on the
    gathered rows flows back to this rank's inputs alone. Every rank computes the same global
    loss, so after DistributedDataParallel averages the gradients over ranks, each rank's share
    is ``1 / world_size`` of the single-process gradient; :func:`scale_gradient` restores it.
    """
    size = world_size()
    if size == 1:
        return tensor
    count = torch.tensor([len(tensor)], device=tensor.device)
    gathered = [torch.zeros_like(count) for _ in range(size)]
    dist.all_gather(gathered, count)
    counts = [int(c.item()) for c in gathered]
    padded = tensor.detach().new_zeros((max(counts), *tensor.shape[1:]))
    padded[: len(tensor)] = tensor.detach()
    blocks = [torch.empty_like(padded) for _ in range(size)]
    dist.all_gather(blocks, padded.contiguous())
    parts = [block[:n] for block, n in zip(blocks, counts, strict=True)]
    parts[rank()] = tensor
    return torch.cat(parts)


def scale_gradient(term: torch.Tensor) -> torch.Tensor:
    """``term`` with its value unchanged and its gradient multiplied by the world size.

    For a global term computed on :func:`gather_rows` output, whose gradient reaches each rank's
    own rows only and which DistributedDataParallel then averages over ranks.
    """
    size = world_size()
    if size == 1:
        return term
    return term + (size - 1) * (term - term.detach())


def all_reduce_sum(values: Sequence[float], device: torch.device) -> list[float]:
    """The sums of ``values`` over all ranks (``values`` itself outside torchrun)."""
    if world_size() == 1:
        return list(values)
    tensor = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()


def average_gradients(grads: Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """Gradients averaged over ranks in one all-reduce (for gradients DistributedDataParallel
    does not see: those taken with :func:`torch.autograd.grad`)."""
    if world_size() == 1:
        return tuple(grads)
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world_size()
    return tuple(
        part.view_as(g)
        for part, g in zip(flat.split([g.numel() for g in grads]), grads, strict=True)
    )


def has_trainable_parameters(module: nn.Module | None) -> bool:
    """Whether ``module`` (None: no module) has a parameter that takes gradients: an
    estimator without any is a closed form, with no steps to take."""
    return module is not None and any(p.requires_grad for p in module.parameters())


def wrap(module: nn.Module, device: torch.device) -> nn.Module:
    """``module`` in DistributedDataParallel under torchrun (itself alone, or without
    trainable parameters)."""
    if world_size() == 1 or not has_trainable_parameters(module):
        return module
    devices = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(module, device_ids=devices)


def no_sync(modules: Sequence[nn.Module], when: bool) -> contextlib.AbstractContextManager[None]:
    """Suspend DistributedDataParallel's gradient averaging of ``modules`` while ``when``
    (where the gradients are averaged explicitly, after clipping)."""
    stack = contextlib.ExitStack()
    if when:
        for module in modules:
            if isinstance(module, nn.parallel.DistributedDataParallel):
                stack.enter_context(module.no_sync())
    return stack


def broadcast_module(module: nn.Module) -> None:
    """Copy rank 0's parameters and buffers to every rank."""
    if world_size() == 1:
        return
    for tensor in [*module.parameters(), *module.buffers()]:
        dist.broadcast(tensor.data, src=0)


def training_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    generator: torch.Generator | None = None,
    seed: int = 0,
    num_workers: int = 0,
) -> DataLoader:
    """A shuffling loader of ``batch_size`` rows per step, over all ranks together.

    Outside torchrun the rows follow ``DataLoader(shuffle=True)``'s order. Under torchrun each
    rank reads ``batch_size / world_size`` rows of a :class:`DistributedSampler` shuffle seeded
    by ``seed`` (the trainer reshuffles it every epoch), so a global batch holds as many rows as
    one process would read; the sampler repeats a few rows when the dataset does not split
    evenly. ``num_workers`` loading processes (per rank) read the batches.

    A :class:`~torch.utils.data.TensorDataset` is read a whole batch at a time (one indexing
    of each tensor by the batch's row numbers) instead of row by row and stacked: the same
    batches, without a Python call per row, which took about half of a plain fit of a small
    tabular network (docs/estimator-steps.md).
    """
    size = world_size()
    if size > 1 and batch_size % size:
        raise ValueError(
            f"the batch size {batch_size} does not split over {size} processes; "
            f"choose a multiple of {size}"
        )
    sampler: Sampler[int] = (
        RandomSampler(dataset, generator=generator)  # type: ignore[arg-type]
        if size == 1
        else DistributedSampler(dataset, num_replicas=size, rank=rank(), seed=seed)
    )
    # the loader draws its workers' base seed from ``generator`` too, before the sampler's
    # first permutation: as DataLoader(shuffle=True, generator=generator) does
    loading = {
        "num_workers": num_workers,
        "persistent_workers": num_workers > 0,
        "generator": generator,
    }
    rows = batch_size // size
    if isinstance(dataset, TensorDataset):
        batches = BatchSampler(sampler, rows, drop_last=False)
        return DataLoader(dataset, sampler=batches, batch_size=None, **loading)
    return DataLoader(dataset, batch_size=rows, sampler=sampler, **loading)


def epoch_sampler(loader: object) -> object:
    """The sampler that orders ``loader``'s rows (inside the batch sampler of a loader that
    reads whole batches), or None: what the trainer reshuffles each epoch."""
    sampler = getattr(loader, "sampler", None)
    return sampler.sampler if isinstance(sampler, BatchSampler) else sampler
