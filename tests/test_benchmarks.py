"""Every benchmark under benchmarks/ imports, and those with options answer ``--help``: a
rename in the package that a benchmark still reads fails here, not when someone next runs that
benchmark."""

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
MODULES = sorted(path.stem for path in BENCHMARKS.glob("*.py") if path.stem != "__init__")
# the benchmarks that parse options (the others run as soon as main() is called)
WITH_OPTIONS = [name for name in MODULES if "argparse" in (BENCHMARKS / f"{name}.py").read_text()]


def test_the_benchmarks_folder_is_found():
    assert {"audit_accuracy", "digits_speed", "erase"} <= set(MODULES)
    assert {"digits_speed", "erase"} <= set(WITH_OPTIONS)


@pytest.mark.parametrize("name", MODULES)
def test_the_benchmark_imports(name):
    module = importlib.import_module(f"benchmarks.{name}")
    assert callable(getattr(module, "main", None)) or name == "common"


@pytest.mark.parametrize("name", WITH_OPTIONS)
def test_the_benchmark_answers_help(name, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [name, "--help"])
    with pytest.raises(SystemExit) as ended:
        importlib.import_module(f"benchmarks.{name}").main()
    assert ended.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_the_erase_test_table_fits_on_the_fitting_and_validation_rows_and_never_on_the_test_rows():
    from benchmarks.erase import fitting_rows, three_way

    labels = np.repeat([0, 1], 50)
    rows = three_way(len(labels), seed=0, labels=labels)
    chosen = fitting_rows(rows, "validation")
    assert set(chosen) == set(rows["fit"])
    assert not set(chosen) & set(rows["validation"])
    final = fitting_rows(rows, "test")
    assert set(final) == set(rows["fit"]) | set(rows["validation"])
    assert len(final) == len(set(final)) == 75
    assert not set(final) & set(rows["test"])


def test_the_shuffled_attribute_keeps_each_split_s_rows_and_counts_and_breaks_the_tie_to_x():
    from benchmarks.erase import Case, shuffled_attribute

    x = np.arange(200, dtype=float)[:, None]
    c = (x[:, 0] >= 100).astype(int)  # c read off x exactly
    case = Case(x[::2], c[::2], None, x[1::2], c[1::2], lambda eraser: {}, {})
    null = shuffled_attribute(case, seed=0)
    assert null.x_fit is case.x_fit and null.x_eval is case.x_eval
    for before, after in ((case.c_fit, null.c_fit), (case.c_eval, null.c_eval)):
        assert sorted(after) == sorted(before) and not np.array_equal(after, before)
    for rows, labels in ((null.x_fit, null.c_fit), (null.x_eval, null.c_eval)):
        assert abs(np.corrcoef(rows[:, 0], labels)[0, 1]) < 0.3


def test_the_erase_probes_read_a_continuous_attribute_through_its_quantile_bin():
    """An age-like attribute reaches the benchmark's probes as one of five bins: the majority
    rate is about a fifth, and a z that holds the age lets the logistic probe read its bin."""
    from benchmarks.erase import PROBES, attribute_probes

    rng = np.random.default_rng(0)
    age = rng.uniform(18, 90, 600)
    z = np.column_stack([age / 10 + 0.3 * rng.normal(size=600), rng.normal(size=600)])
    scores = attribute_probes(z, age, seed=0)
    assert 0.15 < scores["majority"] < 0.3
    assert scores["probe_logistic"] > 0.6 and len(scores) == 2 * len(PROBES) + 1


def test_the_adult_age_case_runs_only_the_erasers_that_take_a_continuous_attribute(monkeypatch):
    from benchmarks import erase

    rng = np.random.default_rng(0)
    age = rng.uniform(18, 90, 300)
    x = np.column_stack([age / 10 + rng.normal(size=300), rng.normal(size=300)])
    case = erase.Case(x[:200], age[:200], None, x[200:], age[200:], lambda eraser: {}, {})
    monkeypatch.setitem(erase.CASES, "adult-age", lambda seed, split: case)
    monkeypatch.setattr(erase, "attribute_leakage", lambda z, c, seed: {})
    rows = erase.run_case("adult-age", 0, "validation", ["leace", "project", "inlp"], {})
    assert [row["method"] for row in rows] == ["original", "leace"]


def test_a_results_file_names_the_cpu_features_that_change_bf16_results(tmp_path, monkeypatch):
    from benchmarks import common

    monkeypatch.setattr(common, "RESULTS", tmp_path)
    common.write_results("probe", "python -m benchmarks.probe", [{"a": 1.0}])
    machine = json.loads((tmp_path / "probe.json").read_text())["machine"]
    assert torch.backends.cpu.get_cpu_capability() in machine
    assert f"{torch.get_num_threads()} torch threads" in machine
    assert "bf16" in machine  # the flags found, or that none was
    # the flags as the trainer's precision rule finds them
    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"amx_bf16": True})
    assert (
        "(" + torch.backends.cpu.get_cpu_capability() + ", amx_bf16)"
        in common.machine_description()
    )


def test_a_results_file_names_the_commit_and_whether_the_code_differed_from_it(
    tmp_path, monkeypatch
):
    from benchmarks import common

    monkeypatch.setattr(common, "RESULTS", tmp_path)
    state = {"git_commit": "0123456789abcdef", "uncommitted_changes": True}
    monkeypatch.setattr(common, "SOURCE", state)
    common.write_results("probe", "python -m benchmarks.probe", [{"a": 1.0}])
    written = json.loads((tmp_path / "probe.json").read_text())
    assert written["git_commit"] == "0123456789abcdef"
    assert written["uncommitted_changes"] is True
    markdown = (tmp_path / "probe.md").read_text()
    assert "Run at 0123456 and uncommitted changes to the code, on " in markdown
    state.update(uncommitted_changes=False)
    common.write_results("probe", "python -m benchmarks.probe", [{"a": 1.0}])
    assert "Run at 0123456, on " in (tmp_path / "probe.md").read_text()


def test_the_speed_benchmark_refuses_a_gpu_this_machine_lacks_in_one_line(monkeypatch, capsys):
    from benchmarks import digits_speed

    monkeypatch.setattr(sys, "argv", ["digits_speed", "--device", "cuda:99"])
    with pytest.raises(SystemExit) as ended:
        digits_speed.main()
    assert ended.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "cuda:99" in error and "Traceback" not in error


def test_a_grid_slice_times_every_table1_method_and_scales_to_the_grid():
    from benchmarks.digits_speed import TABLE1_METHODS, grid_slice

    rows = grid_slice("cpu", 2, limit=256, epochs=1, leakage_steps=10)
    runs, whole = rows[:-1], rows[-1]
    assert [row["scheme"].split(": ")[1].split(",")[0] for row in runs] == list(TABLE1_METHODS)
    assert all(row["training_seconds"] > 0 for row in runs)
    estimate = next(value for key, value in whole.items() if key.startswith("full grid"))
    assert estimate == pytest.approx(21 * whole["wall_seconds"])


def test_a_results_file_names_the_gpu_where_there_is_one(monkeypatch):
    from benchmarks import common

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *_: "NVIDIA H100 80GB HBM3")
    assert common.machine_description().endswith("GPU NVIDIA H100 80GB HBM3")


@pytest.mark.parametrize(("recipe", "described"), [("main_job", "20,000"), ("table1", "50,000")])
def test_the_dependence_terms_note_describes_each_recipe(recipe, described):
    from benchmarks.dependence_terms import recipe_note

    # the table1 recipe keeps the digits defaults' length; its note once failed after every run
    note = recipe_note(recipe)
    assert f"Recipe {recipe} ({described} training digits" in note
    assert " epochs," in note
