"""The estimator's side of Algorithm 1: what it trains on (a pool of recent features, or fresh
batches) and its steps (one compiled gradient and one fused optimiser update each)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import torch
from torch.func import functional_call, grad

from mibias.estimators import MIEstimator, marginal_permutation, stratified_permutations
from mibias.io import InputError
from mibias.training.config import TrainerConfig
from mibias.training.distributed import broadcast_module
from mibias.user_warnings import warn


class FeaturePool:
    """Ring buffer of the most recent detached ``(z, c)`` rows, with optional strata.

    The estimator steps sample their mini-batches here instead of running the encoder again.
    Rows added with integer ``strata`` get marginal permutations within their stratum.

    Parameters
    ----------
    capacity : int
        Rows kept; the oldest rows are overwritten first.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("the feature pool needs a capacity of at least one row")
        self.capacity = capacity
        self.z: torch.Tensor | None = None
        self.c: torch.Tensor | None = None
        self.strata: torch.Tensor | None = None
        self.size = 0
        self.cursor = 0

    def add(self, z: torch.Tensor, c: torch.Tensor, strata: torch.Tensor | None = None) -> None:
        """Append a batch (detached); keeps at most ``capacity`` rows.

        Give ``strata`` with every batch or with none.
        """
        if self.size > 0 and (strata is None) != (self.strata is None):
            raise ValueError("give strata with every batch added to the pool, or with none")
        columns = {"z": z.detach(), "c": c.detach()}
        if strata is not None:
            columns["strata"] = strata.detach().reshape(-1, 1)
        n = min(len(z), self.capacity)
        first = min(n, self.capacity - self.cursor)
        for name, values in columns.items():
            if getattr(self, name) is None:
                setattr(self, name, values.new_empty((self.capacity, values.shape[1])))
            store: torch.Tensor = getattr(self, name)
            values = values[-n:]
            store[self.cursor : self.cursor + first] = values[:first]
            store[: n - first] = values[first:]
        self.cursor = (self.cursor + n) % self.capacity
        self.size = min(self.size + n, self.capacity)

    def sample(
        self, steps: int, rows: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Draw ``steps`` mini-batches of ``rows`` rows each, plus marginal permutations.

        Returns tensors of shape ``(steps, rows, z_dim)``, ``(steps, rows, c_dim)`` and
        ``(steps, rows)``. The rows of a mini-batch are distinct while the pool holds at least
        ``rows``; before it does (the first steps of a run whose estimator batch is larger
        than a training batch) they are drawn with replacement, so that every step has the
        same shape and a compiled step is compiled once. With strata, each permutation only
        exchanges rows of the same stratum.
        """
        if self.z is None or self.c is None or self.size == 0:
            raise RuntimeError("the feature pool is empty")
        device = self.z.device
        if self.size < rows:
            order = torch.randint(self.size, (steps, rows), generator=generator)
        else:
            # one permutation per step (the same distribution as sorting a random matrix as
            # wide as the pool, which took most of this method's time)
            order = torch.stack(
                [torch.randperm(self.size, generator=generator)[:rows] for _ in range(steps)]
            )
        if self.strata is None:
            perms = torch.rand(steps, rows, generator=generator).argsort(dim=1)
        else:
            perms = stratified_permutations(self.strata[:, 0].cpu()[order], generator)
        order, perms = order.to(device), perms.to(device)
        return _gather(self.z, order), _gather(self.c, order), perms

    def state_dict(self) -> dict[str, Any]:
        """Contents and cursor, for checkpoints."""
        return {
            "z": self.z,
            "c": self.c,
            "strata": self.strata,
            "size": self.size,
            "cursor": self.cursor,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.z, self.c, self.strata = state["z"], state["c"], state.get("strata")
        self.size, self.cursor = int(state["size"]), int(state["cursor"])


class EstimatorUpdater:
    """Runs optimisation steps of an estimator on detached features.

    With ``compile=True`` the objective's forward pass and its gradient (through
    :func:`torch.func.grad`) run as one function compiled by :func:`torch.compile`: the
    estimator is tiny, so an eager step is dominated by per-operation dispatch. The optimiser
    update runs after it, outside the compiled function (give an optimiser built with
    ``fused=True``, one kernel for every parameter). The compiled function reads the estimator
    but no optimiser object, so every updater of the process shares one compiled graph: with
    the update compiled in, torch guarded on each optimiser object, compiled again for every
    new updater and, after eight, ran the rest of the process's steps eagerly, about three times
    slower. Compilation failures fall back to eager steps with a warning.

    Parameters
    ----------
    estimator : MIEstimator
        The estimator whose parameters are trained.
    optimizer : torch.optim.Optimizer
        Optimiser over the estimator's parameters.
    compile : bool
        Compile the forward pass and its gradient with ``torch.compile``.
    """

    def __init__(
        self, estimator: MIEstimator, optimizer: torch.optim.Optimizer, compile: bool = False
    ) -> None:
        self.estimator = estimator
        self.optimizer = optimizer
        # fallback_random: the smoothing noise is drawn by torch's own kernel; inductor's
        # generated one made a step on 128 x 1024 rows four times slower than without noise
        self._compiled = (
            torch.compile(self._gradients, dynamic=False, options={"fallback_random": True})
            if compile
            else None
        )

    def restart(self) -> None:
        """Re-initialise the estimator and clear the optimiser's state in place (the compiled
        step keeps its tensors), as if both were newly built; under torchrun every rank takes
        rank 0's draw."""
        with torch.no_grad():
            self.estimator.reset()
            for state in self.optimizer.state.values():
                for value in state.values():
                    if isinstance(value, torch.Tensor):
                        value.zero_()
        broadcast_module(self.estimator)

    def step(self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor) -> None:
        """One update from mini-batches stacked on a leading accumulation axis.

        ``z``, ``c`` and ``perm`` have shapes ``(A, m, z_dim)``, ``(A, m, c_dim)`` and
        ``(A, m)``; the gradients of the ``A`` mini-batches are averaged.
        """
        self.estimator.prepare(z[0])
        if self._compiled is not None:
            try:
                gradients = self._compiled(z, c, perm)
            except Exception as error:
                warn(
                    f"torch.compile of the estimator step failed ({type(error).__name__}: "
                    f"{str(error)[:200]}); using eager estimator steps",
                    RuntimeWarning,
                )
                self._compiled = None
            else:
                for name, p in self.estimator.named_parameters():
                    p.grad = gradients[name]
                self.optimizer.step()
                return
        self.optimizer.zero_grad(set_to_none=True)
        for a in range(len(z)):
            loss, updates = self.estimator(z[a], c[a], perm[a], part="objective")
            (loss / len(z)).backward()
            self.estimator.apply_buffer_updates(updates)
        self.optimizer.step()

    def _gradients(
        self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """The objective's gradient by parameter name, averaged over the ``A`` mini-batches
        (the buffers' updates applied on the way)."""
        named = dict(self.estimator.named_parameters())
        params = {name: p.detach() for name, p in named.items()}
        buffers = dict(self.estimator.named_buffers())

        def objective(
            p: dict[str, torch.Tensor], a: int
        ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            return functional_call(
                self.estimator, {**p, **buffers}, (z[a], c[a], perm[a]), {"part": "objective"}
            )

        total: dict[str, torch.Tensor] = {}
        for a in range(len(z)):
            grads, updates = grad(objective, has_aux=True)(params, a)
            self.estimator.apply_buffer_updates(updates)
            total = {name: total.get(name, 0) + g for name, g in grads.items()}
        return {name: g / len(z) for name, g in total.items()}


RowsOf = Callable[[Sequence[torch.Tensor]], tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]]


class EstimatorFeed:
    """What the estimator trains on, and its steps: the K updates before each model step.

    ``pool`` (the default): each model step's detached rows join a :class:`FeaturePool` of the
    last ``feature_pool`` batches, and the K steps draw their mini-batches there. ``fresh``
    (Algorithm 1 read literally): every step draws a new training batch and runs the encoder
    on it, through ``rows_of``.

    Parameters
    ----------
    updater : EstimatorUpdater
        Runs one update from stacked mini-batches.
    config : TrainerConfig
        Reads ``feature_pool``, ``estimator_batch``, ``accumulation``, ``warmup_batches``.
    generator : torch.Generator
        Draws the pool's mini-batches and the marginal permutations.
    rows_of : callable
        ``batch -> (target, c, strata)``: the estimator's rows of a training batch, computed
        without gradients.
    """

    def __init__(
        self,
        updater: EstimatorUpdater,
        config: TrainerConfig,
        generator: torch.Generator,
        rows_of: RowsOf,
    ) -> None:
        self.updater = updater
        self.config = config
        self.generator = generator
        self.rows_of = rows_of
        self.pool: FeaturePool | None = None
        self.rows = 0  # rows per estimator step, fixed at the first batch
        self.refits = 0  # re-fits so far in the run
        self._fresh_batches: Iterator[Sequence[torch.Tensor]] | None = None

    def read_fresh_batches(self, loader: Iterable[Sequence[torch.Tensor]]) -> None:
        """``estimator_features="fresh"``: draw the estimator's batches from ``loader``."""
        self._fresh_batches = _endless(loader)

    def warm_up(self, loader: Iterable[Sequence[torch.Tensor]]) -> None:
        """Estimator-only steps, one per batch (``warmup_batches`` of them, -1: all)."""
        limit = self.config.warmup_batches
        for index, batch in enumerate(loader):
            if 0 <= limit <= index:
                break
            target, c, strata = self.rows_of(batch)
            if len(target) >= 2:
                self.steps(target, c, strata, steps=1)

    def steps(
        self, z: torch.Tensor, c: torch.Tensor, strata: torch.Tensor | None, steps: int
    ) -> None:
        """Add the batch to the feature pool, then run ``steps`` estimator updates from it."""
        if self._fresh_batches is None:
            if self.pool is None:
                capacity = self.config.feature_pool * len(z)
                rows = self.config.estimator_batch or len(z)
                if rows > capacity:
                    raise InputError(
                        f"estimator_batch {rows} is larger than the feature pool, which holds "
                        f"{capacity} rows (feature_pool {self.config.feature_pool} x batches of "
                        f"{len(z)}): lower estimator_batch or raise feature_pool"
                    )
                self.pool, self.rows = FeaturePool(capacity), rows
            self.pool.add(z, c, strata)
        self.train(steps)

    def refit(self) -> None:
        """Start the estimator afresh and train it for ``refit_steps`` steps on the features it
        has (the pool, or fresh batches): what the trainer does when the estimator has lost
        track of the encoder (also from code that runs without gradients)."""
        with torch.enable_grad():
            self.updater.restart()
            self.train(self.config.refit_steps)
        self.refits += 1

    def train(self, steps: int) -> None:
        """Run ``steps`` estimator updates on the pool's rows (or on fresh batches)."""
        if self._fresh_batches is not None:
            self._fresh_steps(steps)
            return
        if self.pool is None:
            raise RuntimeError("the estimator has no features to train on yet")
        # a fixed row count keeps the compiled step's shapes fixed when batches vary in size
        accumulation = self.config.accumulation
        zs, cs, perms = self.pool.sample(steps * accumulation, self.rows, self.generator)
        shape = (steps, accumulation)
        zs = zs.view(*shape, *zs.shape[1:])
        cs = cs.view(*shape, *cs.shape[1:])
        perms = perms.view(*shape, perms.shape[-1])
        for i in range(steps):
            self.updater.step(zs[i], cs[i], perms[i])

    def _fresh_steps(self, steps: int) -> None:
        """Algorithm 1 read literally: each step on a new batch run through the encoder."""
        assert self._fresh_batches is not None
        for _ in range(steps):
            parts = []
            while len(parts) < self.config.accumulation:
                z, c, strata = self.rows_of(next(self._fresh_batches))
                if len(z) >= 2:
                    parts.append((z, c, strata))
            rows = min(len(z) for z, _, _ in parts)
            perms = [
                marginal_permutation(rows, self.generator, None if s is None else s[:rows])
                for _, _, s in parts
            ]
            zs = torch.stack([z[:rows] for z, _, _ in parts])
            cs = torch.stack([c[:rows] for _, c, _ in parts])
            self.updater.step(zs, cs, torch.stack(perms).to(zs.device))

    def state_dict(self) -> dict[str, Any]:
        """The pool, the step's row count and the re-fits so far, for checkpoints."""
        if self.pool is None:
            return {"estimator_refits": self.refits}
        return {
            "pool": self.pool.state_dict(),
            "estimator_rows": self.rows,
            "estimator_refits": self.refits,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.refits = int(state.get("estimator_refits", 0))
        if "pool" not in state:
            return
        self.pool = FeaturePool(len(state["pool"]["z"]))
        self.pool.load_state_dict(state["pool"])
        self.rows = int(
            state.get("estimator_rows")
            or self.config.estimator_batch
            or self.pool.capacity // self.config.feature_pool
        )


def _gather(store: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """``store[order]`` for a 2-d ``store``: one ``index_select`` over the flattened order,
    several times faster than advanced indexing with a 2-d index on the CPU."""
    return store.index_select(0, order.reshape(-1)).view(*order.shape, store.shape[1])


def _endless(loader: Iterable[Sequence[torch.Tensor]]) -> Iterator[Sequence[torch.Tensor]]:
    """The loader's batches, epoch after epoch."""
    while True:
        yield from loader
