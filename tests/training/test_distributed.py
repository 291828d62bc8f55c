"""Data parallel under torchrun on the CPU (gloo, 2 processes) against one process."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from mibias.training.distributed import gather_rows, scale_gradient, training_loader

JOB = Path(__file__).with_name("_distributed_job.py")
ROOT = Path(__file__).parents[2]


def launch(args, processes, cwd, program=(str(JOB),), status=0):
    torchrun = ["-m", "torch.distributed.run", "--nproc_per_node", str(processes)]
    command = [sys.executable, *(torchrun if processes > 1 else []), *program, *map(str, args)]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert (done.returncode == 0) == (status == 0), done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_two_ranks_take_the_same_step_as_one_process_on_the_global_batch(tmp_path):
    launch(["step", tmp_path / "one.json"], 1, tmp_path)
    launch(["step", tmp_path / "two.json"], 2, tmp_path)
    one = json.loads((tmp_path / "one.json").read_text())
    two = json.loads((tmp_path / "two.json").read_text())
    # I(z; c) and I(z; c | y = 1) (uneven row counts per rank) through DDP's backward, and
    # I(z; c) with the authors' clipping through the explicit gradient average
    for condition in ("none, clip none", "positive, clip none", "none, clip param"):
        for key in ("mi", "encoder", "classifier", "estimator"):
            np.testing.assert_allclose(two[condition][key], one[condition][key], atol=1e-6)
        assert one[condition]["encoder"] != pytest.approx(0)
    assert "clip='z'" in two["refused"][0]
    assert "does not split over 2 processes" in two["refused"][1]
    assert one["refused"] == [None, None]  # one process accepts both


def metric_rows(out_dir):
    with open(out_dir / "metrics.csv") as file:
        return [
            {k: v for k, v in row.items() if not k.endswith("seconds")}
            for row in csv.DictReader(file)
        ]


@pytest.mark.slow
def test_a_run_under_torchrun_resumes_to_the_same_metrics(tmp_path):
    launch(["fit", tmp_path / "straight", 3], 2, tmp_path)
    launch(["fit", tmp_path / "resumed", 2], 2, tmp_path)
    launch(["fit", tmp_path / "resumed", 3, "--resume"], 2, tmp_path)
    straight = metric_rows(tmp_path / "straight")
    assert len(straight) == 3  # rank 0 alone writes
    assert metric_rows(tmp_path / "resumed") == straight
    summary = json.loads((tmp_path / "straight" / "run.json").read_text())
    assert summary["status"] == "finished"


def test_one_process_gathers_nothing_and_scales_nothing():
    x = torch.randn(5, 3, requires_grad=True)
    assert gather_rows(x) is x
    term = (x**2).sum()
    assert scale_gradient(term) is term
    loader = training_loader(torch.utils.data.TensorDataset(x.detach()), 2)
    assert len(loader) == 3 and [len(batch[0]) for batch in loader] == [2, 2, 1]


class RowByRow(torch.utils.data.Dataset):
    """A dataset read one row at a time (as image folders are)."""

    def __init__(self, *tensors):
        self.tensors = tensors

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)


@pytest.mark.parametrize("kind", [torch.utils.data.TensorDataset, RowByRow])
def test_the_loader_gives_the_batches_of_a_shuffling_data_loader(kind):
    """Read whole batches at a time or row by row, the rows and their order are those of
    DataLoader(shuffle=True) with the same generator, epoch after epoch."""
    x = torch.arange(23.0)[:, None].repeat(1, 3)
    y = torch.arange(23) % 4
    ours = training_loader(kind(x, y), 5, generator=torch.Generator().manual_seed(7))
    plain = torch.utils.data.DataLoader(
        kind(x, y), batch_size=5, shuffle=True, generator=torch.Generator().manual_seed(7)
    )
    for _ in range(2):
        pairs = list(zip(ours, plain, strict=True))
        assert len(pairs) == 5
        for (x_ours, y_ours), (x_plain, y_plain) in pairs:
            assert torch.equal(x_ours, x_plain) and torch.equal(y_ours, y_plain)


@pytest.mark.slow
def test_torchrun_runs_a_recipe_with_rank_0_alone_printing_and_writing(tmp_path):
    out = tmp_path / "demo"
    args = ["demo", "--epochs", "1", "--seeds", "1", "--out", out]
    done = launch(args, 2, tmp_path, program=("-m", "mibias"))
    assert done.stdout.count("| MI backprop (lambda 1) |") == 1
    assert (out / "demo.md").exists() and len(metric_rows(out / "lam1-seed0")) == 1
    sweep = ["table1", "--quick", "--out", tmp_path / "t"]
    refused = launch(sweep, 2, tmp_path, program=("-m", "mibias"), status=1)
    assert "table1 does not run under torchrun" in refused.stderr
