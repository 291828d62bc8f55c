import json

import numpy as np
import pandas as pd
import pytest

from tests.cli.test_entry import run_cli


@pytest.fixture
def vectors(tmp_path):
    rng = np.random.default_rng(0)
    c = rng.integers(0, 2, 500)
    x = rng.normal(size=(500, 4)).astype(np.float32)
    x[:, 0] += 3 * c
    np.save(tmp_path / "x.npy", x)
    np.savetxt(tmp_path / "c.csv", c, fmt="%d")
    np.save(tmp_path / "y.npy", (x[:, 1] > 0).astype(int))
    return tmp_path


def test_erase_writes_every_row_and_reports_before_and_after_on_unseen_rows(vectors):
    out = vectors / "z.npy"
    result = run_cli("erase", vectors / "x.npy", vectors / "c.csv", "--out", out,
                     "--method", "leace", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert np.load(out).shape == (500, 4)
    assert (report["fit_rows"], report["report_rows"]) == (350, 150)
    before, after = report["before"]["probes"], report["after"]["probes"]
    assert set(before) == set(after) == {"mlp", "logistic", "whitened_mlp", "knn"}
    assert before["logistic"]["accuracy"] > 0.9 and after["logistic"]["accuracy"] < 0.65
    assert "logistic" in report["before"]["reading_probes"]
    assert "logistic" not in report["after"]["reading_probes"]
    assert report["kept"]["similarity_spearman"] > 0.5


def test_erase_reports_the_probes_asked_for_and_the_largest_bound(vectors):
    """``--probes`` takes the SVM the audit leaves out by default; the report gives every
    probe's log-loss bound and the largest held-out reading of I(Z; C)."""
    result = run_cli("erase", vectors / "x.npy", vectors / "c.csv", "--out", vectors / "z.npy",
                     "--method", "project", "--probes", "logistic,svm")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("probe (svm)") == 2 and "probe (mlp)" not in result.stdout
    assert result.stdout.count("I(Z; C) is at least") == 2
    report = json.loads(
        run_cli("erase", vectors / "x.npy", vectors / "c.csv", "--out", vectors / "z.npy",
                "--method", "project", "--probes", "svm", "--json").stdout
    )  # fmt: skip
    before = report["before"]
    assert before["bound_nats"] == max(before["mi_nats"], before["probes"]["svm"]["nats"])
    assert before["probes"]["svm"]["nats"] > 0.3  # c shifts x's first column by 3 sd


def test_a_csv_out_keeps_the_column_names_of_a_csv_x(vectors):
    """X's names where z is as wide; the eraser's where it is narrower; none where X had none
    (the .npy X of the fixture)."""
    columns = ["age", "hours, weekly", "score", "x4"]  # a comma in a name: quoted
    pd.DataFrame(np.load(vectors / "x.npy"), columns=columns).to_csv(vectors / "x.csv", index=False)
    for extra, names in (([], columns), (["--n-components", "2"], ["mieraser0", "mieraser1"])):
        out = vectors / "z.csv"
        result = run_cli("erase", vectors / "x.csv", vectors / "c.csv", "--out", out,
                         "--steps", "20", *extra)  # fmt: skip
        assert result.returncode == 0, result.stderr
        erased = pd.read_csv(out)
        assert list(erased.columns) == names and erased.shape == (500, len(names))
    result = run_cli("erase", vectors / "x.npy", vectors / "c.csv", "--out", out,
                     "--method", "project")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert pd.read_csv(out, header=None).shape == (500, 4)


def test_erase_text_report_keeps_the_task_when_given_y(vectors):
    out = vectors / "z.csv"
    result = run_cli("erase", vectors / "x.npy", vectors / "c.csv", "--out", out,
                     "--y", vectors / "y.npy", "--steps", "40")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "before:" in result.stdout and "after:" in result.stdout
    assert "kept: task accuracy input" in result.stdout
    # the fit's progress reaches a log file too: one plain line an epoch off a terminal
    assert "epoch 1/" in result.stderr and "MI " in result.stderr
    assert np.loadtxt(out, delimiter=",").shape == (500, 4)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--out", "z.txt"], "use a .npy or .csv file name"),
        (["--out", "z.npy", "--method", "leace", "--lambda", "2"], "--lambda set the mi eraser"),
        (
            ["--out", "z.npy", "--second-order-directions", "1"],
            "--second-order-directions set the leace eraser, not --method mi's",
        ),
        (
            ["--out", "z.npy", "--method", "leace", "--second-order-directions", "4"],
            "less than X's 4 columns, got 4",
        ),
        (["--out", "z.npy", "--holdout", "1"], "--holdout must be in [0, 1)"),
        # checked before the fit: each side of the split is read by a held-out audit
        (["--out", "z.npy", "--holdout", "0.999"], "as 0 to fit the eraser on and 500 for"),
        (["--out", "z.npy", "--holdout", "0.01"], "as 495 to fit the eraser on and 5 for the"),
        (["--out", "z.npy", "--keep", "all"], "keep must be auto, distance"),
        (["--out", "z.npy", "--keep", "task"], "--keep task keeps the task --y names: give --y"),
        (["--out", "z.npy", "--linear-first", "pca"], "linear_first must be None, leace"),
        (["--out", "z.npy", "--kernel-weight", "-1"], "kernel_weight must be >= 0"),
        (["--out", "z.npy", "--hidden-size", "0"], "hidden_size must be >= 1, got 0"),
        (["--out", "z.npy", "--n-init", "0"], "n_init must be >= 1, got 0"),
        (["--out", "z.npy", "--n-components", "5"], "from 1 to X's width 4, got 5"),
        (["--out", "z.npy", "--n-components", "2", "--keep", "distance"], "needs z as wide"),
        (["--out", "z.npy", "--noise-start", "0.5"], "noise_start must be >= 1, got 0.5"),
        (["--out", "z.npy", "--c-rows"], "X has 500 rows but C has 499"),
        (["--out", "z.npy", "--nan"], "X contains NaN or inf (first at row 3, column 1)"),
        (
            ["--out", "z.npy", "--empty-label"],
            "C contains missing values (NaN or None), first at row 2",
        ),
        (["--out", "z.npy", "--probes", "mlp,svmx"], "unknown probes: svmx"),
        # named as given and counted on every row, not on the fitting rows; the projection
        # compares the groups' means, so a continuous attribute has none to give it
        (
            ["--out", "z.npy", "--method", "project", "--continuous"],
            "C has 500 distinct numbers, more than the 64",
        ),
        (
            ["--out", "z.npy", "--linear-first", "inlp", "--continuous"],
            "linear_first='inlp' reads a categorical attribute, and this one is continuous",
        ),
        (["--out", "x.npy"], "is the input X: the erased vectors would replace it"),
        (["--out", "z.npy", "--out-a-folder"], "z.npy is a folder: give the name of a file"),
        # refused before the fit, for every method: what is kept is scored as an accuracy
        (["--out", "z.npy", "--method", "leace", "--y-continuous"], "--y: expected class labels"),
        # counted on every row of the file, not on the fitting rows
        (
            ["--out", "z.npy", "--y-left-out"],
            "--y contains missing values (NaN or None), first at row 6",
        ),
    ],
)
def test_erase_bad_input_is_one_line_and_status_2(vectors, extra, message):
    c, x = vectors / "c.csv", vectors / "x.npy"
    if "--c-rows" in extra:
        extra.remove("--c-rows")
        np.save(vectors / "short.npy", np.loadtxt(c)[:-1])
        c = vectors / "short.npy"
    if "--continuous" in extra:
        extra.remove("--continuous")
        np.save(vectors / "age.npy", np.linspace(18, 90, 500))
        c = vectors / "age.npy"
    if "--nan" in extra:
        extra.remove("--nan")
        values = np.load(x)
        values[3, 1] = np.nan
        np.save(vectors / "nan.npy", values)
        x = vectors / "nan.npy"
    if "--y-continuous" in extra:
        extra.remove("--y-continuous")
        np.save(vectors / "y.npy", np.linspace(0, 1, 500))
        extra += ["--y", str(vectors / "y.npy")]
    if "--y-left-out" in extra:
        extra.remove("--y-left-out")
        labels = pd.Series(np.where(np.arange(500) % 2, "yes", "no"), dtype=object, name="y")
        labels[6] = None
        labels.to_csv(vectors / "y.csv", index=False)
        extra += ["--y", str(vectors / "y.csv")]
    if "--out-a-folder" in extra:
        extra.remove("--out-a-folder")
        (vectors / "z.npy").mkdir()
    if "--empty-label" in extra:
        extra.remove("--empty-label")
        c = vectors / "sex.csv"
        pd.DataFrame({"sex": ["f", "m", None] + ["f", "m"] * 248 + ["f"]}).to_csv(c, index=False)
    extra = [str(vectors / e) if e.startswith(("z.", "x.")) else e for e in extra]
    result = run_cli("erase", x, c, *extra)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_out_folder_that_cannot_be_made_is_named_before_the_fit(vectors):
    (vectors / "file").write_text("a file where --out's folder would go")
    out = vectors / "file" / "z.npy"
    result = run_cli("erase", vectors / "x.npy", vectors / "c.csv", "--out", out)
    assert result.returncode == 2, result.stderr
    assert f"{vectors / 'file'} is a file where a folder is needed" in result.stderr
    assert "epoch" not in result.stderr  # nothing was fitted
    assert len(result.stderr.strip().splitlines()) == 1


def test_erase_min_variance_cuts_z_to_its_wide_directions_and_says_so(vectors):
    out = vectors / "z.npy"
    # c widens x's first column to about 3.25 times the variance of the others; without the
    # MI term the map stays the identity, so the cut alone shapes z
    args = ("erase", vectors / "x.npy", vectors / "c.csv", "--out", out, "--steps", "20",
            "--lambda", "0", "--min-variance", "0.5", "--probes", "logistic")  # fmt: skip
    report = json.loads(run_cli(*args, "--json").stdout)
    z = np.load(out)
    assert report["directions_kept"] == 1
    assert np.linalg.matrix_rank(z - z.mean(0), tol=1e-3 * np.abs(z).max()) == 1
    assert "z keeps 1 of its 4 principal directions" in run_cli(*args).stdout


def test_erase_n_components_writes_narrower_vectors(vectors):
    out = vectors / "z.npy"
    args = ("erase", vectors / "x.npy", vectors / "c.csv", "--out", out, "--steps", "20",
            "--n-components", "2", "--probes", "logistic", "--json")  # fmt: skip
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert np.load(out).shape == (500, 2)
    assert set(json.loads(result.stdout)["kept"]) == {"similarity_spearman"}


def test_erase_takes_a_continuous_attribute_and_reports_its_quantile_bins(vectors):
    """An age in whole years (100 distinct numbers, growing with x's first column) is erased as
    it is by the mi and leace methods. The report's probes read its quantile bin even where
    the 50 rows held out for it hold fewer distinct ages than groups may have, and the split
    is not stratified by 100 ages that 50 rows cannot all hold."""
    x = np.load(vectors / "x.npy")
    age = np.empty(len(x))
    age[np.argsort(x[:, 0])] = np.sort(np.resize(np.arange(18, 118), len(x)))
    np.save(vectors / "age.npy", age)
    for method in ("mi", "leace"):
        result = run_cli("erase", vectors / "x.npy", vectors / "age.npy", "--out",
                         vectors / "z.npy", "--method", method, "--holdout", "0.1",
                         *(("--steps", "40") if method == "mi" else ()),
                         "--probes", "logistic")  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert result.stdout.count("probe (logistic) held-out accuracy of C's quantile bin") == 2
        assert np.load(vectors / "z.npy").shape == (500, 4)


def test_erase_leace_takes_second_order_directions(vectors):
    """LEACE leaves 3 of x's 4 directions (it removes the one along which the groups' means
    differ); the second-order direction is one more."""
    out = vectors / "z.npy"
    result = run_cli("erase", vectors / "x.npy", vectors / "c.csv", "--out", out, "--method",
                     "leace", "--second-order-directions", "1", "--probes", "logistic",
                     "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    z = np.load(out)
    assert z.shape == (500, 4)
    assert np.linalg.matrix_rank(z - z.mean(0), tol=1e-4 * np.abs(z).max()) == 2


def test_erase_whiten_is_a_switch(vectors):
    result = run_cli(
        "erase", vectors / "x.npy", vectors / "c.csv", "--out", "z.npy", "--whiten", "yes"
    )
    assert result.returncode == 2 and "expected on or off, got 'yes'" in result.stderr
    assert "Traceback" not in result.stderr


def test_erase_shows_its_leakage_checks_on_stderr_and_keeps_it_quiet_with_json(vectors):
    args = ("erase", vectors / "x.npy", vectors / "c.csv", "--out", vectors / "z.npy",
            "--method", "project", "--probes", "logistic")  # fmt: skip
    shown = run_cli(*args).stderr
    assert shown.count("leakage of C before the erasure, on the 150 rows") == 1
    assert shown.count("audit: estimator 2/2 reads") == 2  # before and after, off a terminal
    assert shown.count("audit: probe (logistic)") == 2
    assert run_cli(*args, "--json").stderr == ""


def test_an_interrupted_erase_says_whether_the_vectors_were_written(vectors, monkeypatch):
    from mibias.baselines.erasers import ProjectionEraser

    out = vectors / "z.npy"
    args = ("erase", vectors / "x.npy", vectors / "c.csv", "--out", out, "--method", "project")

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(ProjectionEraser, "fit", interrupt)
    result = run_cli(*args)
    assert result.returncode == 130 and not out.exists()
    assert result.stderr.endswith(f"mibias erase: interrupted; nothing was written to {out}\n")
    monkeypatch.undo()
    monkeypatch.setattr("mibias.audit.audit_leakage", interrupt)
    result = run_cli(*args)
    assert result.returncode == 130 and np.load(out).shape == (500, 4)
    assert result.stderr.endswith(
        f"mibias erase: interrupted; the erased vectors are in {out}, their leakage report was "
        "not finished\n"
    )


def test_erase_says_when_every_row_is_erased_to_one_vector(vectors):
    """LEACE with as many groups as X has columns leaves one vector (and float noise): the
    command says so, and its JSON stays strict (no NaN)."""
    groups = np.arange(500) % 5
    x = 3 * np.eye(5)[groups][:, :4] + np.random.default_rng(0).normal(size=(500, 4))
    np.save(vectors / "x5.npy", x.astype(np.float32))  # each group but one moves a column
    np.savetxt(vectors / "five.csv", groups, fmt="%d")
    result = run_cli("erase", vectors / "x5.npy", vectors / "five.csv", "--out", vectors / "z.npy",
                     "--method", "leace", "--probes", "logistic", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "LeaceEraser maps every row to the same vector" in result.stderr
    assert "DeprecationWarning" not in result.stderr  # concept-erasure's, at its import

    def refuse(constant):
        raise AssertionError(f"{constant} in the JSON report")

    json.loads(result.stdout, parse_constant=refuse)


def test_erase_splits_an_attribute_with_a_group_of_one_row(vectors):
    """A group too rare for a stratified split leaves the split plain, not an error."""
    c = np.loadtxt(vectors / "c.csv")
    c[7] = 2
    np.savetxt(vectors / "rare.csv", c, fmt="%d")
    result = run_cli("erase", vectors / "x.npy", vectors / "rare.csv", "--out", vectors / "z.npy",
                     "--method", "leace", "--probes", "logistic", "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["fit_rows"], report["report_rows"]) == (350, 150)
    assert report["before"]["probes"]["logistic"]["accuracy"] > 0.9


def test_erase_says_when_nothing_read_c_before_the_erasure(vectors):
    rng = np.random.default_rng(1)
    np.savetxt(vectors / "apart.csv", rng.integers(0, 2, 500), fmt="%d")  # drawn apart from x
    said = "note: nothing read C from X before the erasure either"
    for c, expected in (("apart.csv", True), ("c.csv", False)):
        result = run_cli("erase", vectors / "x.npy", vectors / c, "--out", vectors / "z.npy",
                         "--method", "leace")  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert (said in result.stdout) is expected
