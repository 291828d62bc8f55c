"""Helpers shared by the benchmarks: where results go and how tables are written."""

from __future__ import annotations

import json
import platform
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

import mibias
from mibias.audit import AuditResult
from mibias.experiments.digits import load_network, run_digits
from mibias.experiments.digits_recipe import DigitsRun
from mibias.models.digits import DigitEncoder, digit_classifier
from mibias.settings import flat_settings, from_settings
from mibias.training.precision import bf16_instructions
from mibias.training.run_log import source_state

RESULTS = Path(__file__).parent / "results"
# the code a benchmark runs, read when it starts: a commit made while it runs is not what it ran
SOURCE = source_state()
# targets per data set for the MI methods, on the mean of the runs: (accuracy at least, EO
# at most, MLP probe accuracy of the attribute from z at most or None). Table 3's (the
# fairness issue, the paper's row) and the leakage issue's:
TABLE3_TARGETS = {"adult": (0.85, 0.03, None), "german": (0.74, 0.06, None)}
FAIRNESS_TARGETS = {"adult": (0.845, 0.03, 0.72), "german": (0.74, 0.06, None)}
Targets = dict[str, tuple[float, float, float | None]]


def meets_fairness_targets(dataset: str, means: Any, targets: Targets = FAIRNESS_TARGETS) -> bool:
    """Whether the mean metrics of a method's runs (``accuracy``, ``eo``, ``probe_mlp``) meet
    ``dataset``'s ``targets`` (default: the leakage issue's, :data:`FAIRNESS_TARGETS`)."""
    accuracy, eo, probe = targets[dataset]
    ok = means["accuracy"] >= accuracy and means["eo"] <= eo
    return bool(ok and (probe is None or means["probe_mlp"] <= probe))


# ERM as a Colored MNIST run with no estimator at all (by default ERM trains one to log its MI)
ERM_WITHOUT_ESTIMATOR = {"method": "erm", "track_mi": False}
# the estimator steps per model step of the digits defaults (the conv term's K)
DIGITS_K = flat_settings(DigitsRun)["k"].default
# a Colored MNIST run's last-epoch columns (its metrics key -> the tables' heading)
DIGITS_TEST_COLUMNS = {
    "test_accuracy": "test accuracy, palette",
    "test_uniform_accuracy": "test accuracy, uniform",
    **AuditResult.column_names("colour class"),
}


def over_seeds(runs: Sequence[Mapping[str, float]], keys: Sequence[str]) -> dict[str, str]:
    """Each of ``keys`` over the seeds' ``runs`` as ``mean +- std``, and the MLP probe per
    seed (``probe_mlp per seed``)."""
    row = {}
    for key in keys:
        values = [run[key] for run in runs]
        row[key] = f"{np.mean(values):.3f} +- {np.std(values):.3f}"
    row["probe_mlp per seed"] = " / ".join(f"{run['probe_mlp']:.3f}" for run in runs)
    return row


def tagged(name: str, tag: str | None) -> str:
    """A benchmark's results name with its ``--tag``: ``NAME`` or ``NAME_TAG``."""
    return f"{name}_{tag}" if tag else name


def command_line(module: str) -> str:
    """How this benchmark was called: ``python -m benchmarks.MODULE`` and its arguments."""
    return " ".join([f"python -m benchmarks.{module}", *sys.argv[1:]])


def machine_description() -> str:
    """The machine as a results file records it: architecture, torch's CPU capability, the
    bf16 instructions present (as training.precision finds them), torch's threads and
    the GPU where there is one."""
    bf16 = ", ".join(bf16_instructions()) or "no bf16 flags"
    gpu = f", GPU {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    return (
        f"{platform.machine()} ({torch.backends.cpu.get_cpu_capability()}, {bf16}), "
        f"{torch.get_num_threads()} torch threads{gpu}"
    )


def write_results(
    name: str,
    command: str,
    rows: list[dict[str, Any]],
    notes: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    """Write ``results/NAME.json`` (``rows`` and any ``extra`` entries) and ``results/NAME.md``
    (a table of ``rows``), each naming the command, the commit and the machine."""
    RESULTS.mkdir(exist_ok=True)
    meta = {
        "command": command,
        "mibias_version": mibias.__version__,
        "torch_version": torch.__version__,
        **SOURCE,
        "machine": machine_description(),
    }
    (RESULTS / f"{name}.json").write_text(
        json.dumps({**meta, "rows": rows, **(extra or {})}, indent=2) + "\n"
    )
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(col)) for col in columns) + " |")
    header = [f"# {name}", "", f"Command: `{command}`", "", f"Run {provenance(meta)}.", ""]
    text = "\n".join([*header, *lines, "", notes]).strip()
    (RESULTS / f"{name}.md").write_text(text + "\n")
    print(text)


def provenance(meta: dict[str, Any]) -> str:
    """Where a results file's numbers were made, as its Markdown says: "at COMMIT" (with "and
    uncommitted changes to the code" where there were some), "on MACHINE"."""
    commit = meta["git_commit"]
    where = f"at {commit[:7]}" if commit else "outside a git checkout"
    if meta["uncommitted_changes"]:
        where += " and uncommitted changes to the code"
    return f"{where}, on {meta['machine']}"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def trained_digit_encoder(settings: dict[str, Any], data: Any) -> torch.nn.Module:
    """The encoder g of a digit network that :func:`mibias.experiments.digits.run_digits`
    trained under ``settings`` (``DigitsRun`` fields) on ``data`` in a throwaway folder, in
    eval mode."""
    run = from_settings(DigitsRun, settings)
    with tempfile.TemporaryDirectory() as folder:
        run_digits(run, folder, data=data)
        encoder = DigitEncoder(z_layer=run.z_layer)
        load_network(encoder, digit_classifier(z_layer=run.z_layer), folder)
    return encoder.eval()


def digit_features(encoder: torch.nn.Module, images: np.ndarray) -> np.ndarray:
    """z = g(x) of colour images (N, 28, 28, 3, uint8), 1,000 at a time."""
    x = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
    with torch.no_grad():
        return np.concatenate([encoder(part).numpy() for part in x.split(1000)])
