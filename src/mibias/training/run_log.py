"""What a training run writes to its folder as it goes: metrics.csv, TensorBoard events and
run.json (the folder's format: :mod:`mibias.run_folder`)."""

from __future__ import annotations

import csv
import platform
import subprocess
from pathlib import Path
from typing import Any

import torch

from mibias.io import atomic_path
from mibias.run_folder import METRICS, SUMMARY, write_json_atomic
from mibias.version import __version__

# the tree mibias runs from, and what a run's results depend on there: the package and the
# benchmarks' code, not their results files
SOURCE_TREE = Path(__file__).parent
SOURCE_PATHS = (":(top)src", ":(top)benchmarks", ":(top,exclude)benchmarks/results")


def _git(*args: str) -> subprocess.CompletedProcess[str] | None:
    """``git ARGS`` run in the source tree mibias runs from; None where git cannot run."""
    try:
        return subprocess.run(
            ["git", *args],
            cwd=SOURCE_TREE,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def source_state() -> dict[str, Any]:
    """The commit of the source tree mibias runs from (``git_commit``) and whether its code
    (the package and the benchmarks) differs from that commit (``uncommitted_changes``); both
    None where mibias does not run from a git checkout of its own (an installed copy, even one
    inside another project's checkout)."""
    unknown = {"git_commit": None, "uncommitted_changes": None}
    found = _git("rev-parse", "--show-prefix", "HEAD")
    if found is None or found.returncode != 0:
        return unknown
    prefix, _, commit = found.stdout.strip().rpartition("\n")
    if not prefix.startswith("src/mibias") or not commit:
        return unknown
    # changed, staged or new (untracked, not ignored) files
    status = _git("status", "--porcelain", "--", *SOURCE_PATHS)
    changed = None if status is None or status.returncode != 0 else bool(status.stdout.strip())
    return {"git_commit": commit, "uncommitted_changes": changed}


class RunLog:
    """Per-epoch metrics of a run, mirrored to CSV, TensorBoard and ``run.json``.

    Parameters
    ----------
    out_dir : Path
        The run's output folder.
    config : dict
        The run's full configuration, recorded in ``run.json``.
    tensorboard : bool
        Also write TensorBoard event files under ``out_dir/tensorboard``.
    ran_on : dict, optional
        How the run computes where the configuration leaves it open or is overruled (the
        device ``auto`` chose, whether bfloat16 autocast is on), recorded in ``run.json``.
    """

    def __init__(
        self,
        out_dir: Path,
        config: dict[str, Any],
        tensorboard: bool = True,
        ran_on: dict[str, Any] | None = None,
    ) -> None:
        self.out_dir = out_dir
        self.config = config
        self.ran_on = dict(ran_on or {})
        self.rows: list[dict[str, float]] = []
        # the code the run started from (once, not at every epoch's summary: edits or commits
        # made while it trains are not what it runs)
        self.source = source_state()
        self._writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard is a dependency, but keep runs going without it
                SummaryWriter = None
            if SummaryWriter is not None:
                self._writer = SummaryWriter(str(out_dir / "tensorboard"))

    def restore(self, rows: list[dict[str, float]]) -> None:
        """Continue after ``rows`` (from a checkpoint): rewrite the CSV without later lines."""
        self.rows = list(rows)
        self._write_csv()

    def log_epoch(self, row: dict[str, float]) -> None:
        """Record one epoch's metrics."""
        self.rows.append(row)
        self._write_csv()
        if self._writer is not None:
            step = int(row["epoch"])
            for key, value in row.items():
                if key != "epoch":
                    self._writer.add_scalar(key, value, step)
            self._writer.flush()

    def write_summary(self, status: str, extra: dict[str, Any] | None = None) -> None:
        """Write ``run.json``: config, versions, seed, metrics per epoch, final metrics, timings."""
        summary = {
            "status": status,
            "mibias_version": __version__,
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            **self.source,
            "seed": self.config.get("seed"),
            "config": self.config,
            "ran_on": self.ran_on,
            "epochs": self.rows,
            "final": self.rows[-1] if self.rows else {},
            "timings": {
                "epoch_seconds": [row.get("epoch_seconds") for row in self.rows],
                "total_seconds": sum(row.get("epoch_seconds", 0.0) for row in self.rows),
            },
        }
        summary.update(extra or {})
        write_json_atomic(summary, self.out_dir / SUMMARY)

    def close(self) -> None:
        """Flush and close the TensorBoard writer."""
        if self._writer is not None:
            self._writer.close()

    def _write_csv(self) -> None:
        if not self.rows:
            return
        columns = list(dict.fromkeys(key for row in self.rows for key in row))
        with atomic_path(self.out_dir / METRICS) as tmp, tmp.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(self.rows)
