"""What a training run saves after every epoch and restores on ``resume``: the state of
each network and optimiser, the estimator's feed, every random generator and the history."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import torch

from mibias.io import InputError
from mibias.run_folder import RESUMABLE_CHANGES, describe_changes
from mibias.training.checkpoint import capture_rng_state, restore_rng_state, save_atomic
from mibias.training.config import TrainerConfig

# how an optimiser computes its updates: a process's choice, not part of what it learned
UPDATE_IMPLEMENTATION = ("fused", "foreach")


class Stateful(Protocol):
    """Anything with PyTorch's ``state_dict`` / ``load_state_dict`` pair."""

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> Any: ...


def check_resumable(saved: Mapping[str, Any], current: TrainerConfig) -> None:
    """Refuse to resume under settings that change results.

    Raises
    ------
    InputError
        Naming every setting (outside :data:`RESUMABLE_CHANGES`) whose value differs from
        the checkpoint's; settings added after the checkpoint was written count as their
        defaults.
    """
    saved = {**TrainerConfig().to_dict(), **saved}
    now = current.to_dict()
    changed = sorted(
        key for key in now if key not in RESUMABLE_CHANGES and saved.get(key) != now[key]
    )
    if changed:
        raise InputError(
            "cannot resume: the checkpoint was written with other settings ("
            + describe_changes({key: (saved.get(key), now[key]) for key in changed})
            + "); give the run's own settings, or start it in another folder"
        )


class RunState:
    """The parts of a run a checkpoint holds.

    Parameters
    ----------
    parts : mapping of name to Stateful
        Networks and optimisers, each saved under its name.
    flat : Stateful or None
        A part whose state entries sit at the checkpoint's top level (the estimator feed,
        whose pool is absent before its first step).
    generator : torch.Generator
        The run's own generator, saved with the global ones.
    """

    def __init__(
        self, parts: Mapping[str, Stateful], flat: Stateful | None, generator: torch.Generator
    ) -> None:
        self.parts = dict(parts)
        self.flat = flat
        self.generator = generator

    def save(
        self, path: Path, epoch: int, config: TrainerConfig, history: list[dict[str, float]]
    ) -> None:
        """Write the state after ``epoch`` to ``path`` (atomically, keeping the previous)."""
        state: dict[str, Any] = {
            "epoch": epoch,
            "config": config.to_dict(),
            **{name: part.state_dict() for name, part in self.parts.items()},
            "rng": capture_rng_state(self.generator),
            "history": history,
        }
        if self.flat is not None:
            state.update(self.flat.state_dict())
        save_atomic(state, path)

    def restore(
        self, state: dict[str, Any], config: TrainerConfig
    ) -> tuple[int, list[dict[str, float]]]:
        """Load a saved state into the parts; returns its epoch and history.

        Raises
        ------
        InputError
            When the checkpoint was written under settings that change results, or has
            done more epochs than ``config`` asks for (its results would pass for a shorter
            run's).
        """
        check_resumable(state["config"], config)
        done = int(state["epoch"])
        if done > config.epochs:
            raise InputError(
                f"cannot resume: the checkpoint has {done} epochs done, more than the "
                f"{config.epochs} asked for; ask for at least {done}, or start the run in "
                "another folder"
            )
        for name, part in self.parts.items():
            load_part(part, state[name])
        if self.flat is not None:
            self.flat.load_state_dict(state)
        restore_rng_state(state["rng"], self.generator)
        return done, [dict(row) for row in state["history"]]


def load_part(part: Stateful, state: dict[str, Any]) -> None:
    """Load ``state`` into ``part``; an optimiser keeps the update implementation it was built
    with (:data:`UPDATE_IMPLEMENTATION`), as torch would otherwise take the checkpoint's: the
    estimator's optimiser, fused since 2026-11-30, would run its updates unfused after resuming
    from an older checkpoint."""
    if isinstance(part, torch.optim.Optimizer):
        groups = [
            {**saved, **{key: built[key] for key in UPDATE_IMPLEMENTATION if key in built}}
            for saved, built in zip(state["param_groups"], part.param_groups, strict=True)
        ]
        state = {**state, "param_groups": groups}
    part.load_state_dict(state)
