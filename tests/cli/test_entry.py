import argparse
import contextlib
import io
import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from mibias.cli import EXIT_DAMAGED, main
from mibias.cli.entry import COMMANDS, LazyCommands, build_parser
from tests.processes import imported_by


def run_cli(*args):
    """``mibias args`` run in this process (so torch is imported once for the whole suite, not
    once a call): its exit status and what it printed, as a finished process gives them.
    ``test_the_command_itself_reports_bad_input_in_one_line`` runs the real command."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(map(str, args)))
        except SystemExit as stop:  # the argument parser's usage errors
            status = stop.code
    return subprocess.CompletedProcess(args, status, out.getvalue(), err.getvalue())


def test_the_command_itself_reports_bad_input_in_one_line(tmp_path):
    """``python -m mibias`` exits with the status ``main`` returns and prints the error alone:
    no traceback, no warning of a library."""
    np.save(tmp_path / "c.npy", np.arange(40) % 2)
    missing = tmp_path / "nope.npy"
    command = [sys.executable, "-m", "mibias", "audit", str(missing), str(tmp_path / "c.npy")]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"mibias audit: error: {missing}: no such file"]


@pytest.fixture
def leaky_files(tmp_path):
    rng = np.random.default_rng(0)
    c = rng.integers(0, 2, size=600)
    z = np.stack([c + 0.1 * rng.normal(size=600), rng.normal(size=600)], axis=1)
    np.save(tmp_path / "z.npy", z)
    np.savetxt(tmp_path / "c.csv", c, fmt="%d")
    return tmp_path / "z.npy", tmp_path / "c.csv"


def test_audit_json(leaky_files):
    result = run_cli("audit", *leaky_files, "--json", "--steps", "300", "--restarts", "2")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mi_nats"] > 0.4 and report["mi_bits"] > report["mi_nats"]
    assert report["probes"]["mlp"]["accuracy"] > 0.95 and report["n_test"] == 180
    assert report["probes"]["logistic"]["balanced_accuracy"] > 0.95
    assert set(report["reading_probes"]) == set(report["probes"])
    assert report["probe_margin"] > 0.05  # three standard errors on 180 rows


def test_audit_text(leaky_files, capsys):
    assert main(["audit", *map(str, leaky_files), "--steps", "200", "--probes", "logistic"]) == 0
    out = capsys.readouterr().out
    assert "nats" in out and "bits" in out and "probe (logistic)" in out and "majority" in out
    assert "probe (mlp)" not in out
    assert out.splitlines()[-1].startswith("Z still carries C: probes read it (logistic ")


def test_audit_text_of_a_continuous_attribute_names_the_bins_its_probes_read(tmp_path, capsys):
    rng = np.random.default_rng(0)
    age = rng.uniform(18, 80, size=600)
    np.save(
        tmp_path / "z.npy", np.stack([age / 10 + rng.normal(size=600), rng.normal(size=600)], 1)
    )
    np.savetxt(tmp_path / "age.csv", age.round(1), fmt="%.1f")
    files = [str(tmp_path / "z.npy"), str(tmp_path / "age.csv")]
    assert main(["audit", *files, "--steps", "100", "--restarts", "1", "--probes", "logistic"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "attribute: continuous"
    assert lines[2].startswith("probe (logistic) held-out accuracy of C's quantile bin (of 5): ")
    assert lines[-1].startswith("Z still carries C: probes read its quantile bin (of 5) (logistic")


def test_audit_reads_c_as_the_kind_it_is_told(tmp_path, capsys):
    """60 ages in whole years read as 60 groups by default, as continuous when told so."""
    rng = np.random.default_rng(0)
    np.save(tmp_path / "z.npy", rng.normal(size=(60, 2)))
    np.savetxt(tmp_path / "age.csv", np.arange(18, 78), fmt="%d")
    files = [str(tmp_path / "z.npy"), str(tmp_path / "age.csv")]
    light = ["--steps", "10", "--restarts", "1", "--probes", "logistic"]
    for kind, attribute in (("auto", "categorical (60,)"), ("continuous", "continuous")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # groups of one row, in auto
            assert main(["audit", *files, *light, "--attribute", kind]) == 0
        assert capsys.readouterr().out.splitlines()[0] == f"attribute: {attribute}"


def test_audit_takes_probes_by_name_and_refuses_an_unknown_one(leaky_files, capsys):
    args = [*map(str, leaky_files), "--steps", "100", "--probes", "logistic,whitened_mlp"]
    assert main(["audit", *args]) == 0
    out = capsys.readouterr().out
    assert "probe (whitened_mlp)" in out and "probe (logistic)" in out
    assert "probe (mlp)" not in out
    bad = run_cli("audit", *leaky_files, "--probes", "mlp,svmx")
    assert bad.returncode == 2 and "unknown probes: svmx" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_audit_takes_a_patience_or_none_and_refuses_a_bad_share_in_one_line(leaky_files):
    full = run_cli("audit", *leaky_files, "--json", "--steps", "200", "--patience", "none")
    early = run_cli("audit", *leaky_files, "--json", "--steps", "200", "--patience", "0.5")
    assert full.returncode == early.returncode == 0, full.stderr + early.stderr
    assert json.loads(full.stdout)["mi_nats"] > 0.4 and json.loads(early.stdout)["mi_nats"] > 0.4
    bad = run_cli("audit", *leaky_files, "--patience", "2")
    assert bad.returncode == 2 and "patience must be a share" in bad.stderr
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: (d / "nope.npy", d / "c.npy"), "no such file"),
        (
            lambda d: (_save(d, "z.npy", np.zeros((40, 2))), _save(d, "c.npy", np.ones(40))),
            "C is constant",
        ),
        (
            lambda d: (_save(d, "z.npy", np.zeros((40, 2))), _save(d, "c.npy", np.arange(39) % 2)),
            "Z has 40 rows but C has 39",
        ),
        (
            lambda d: (
                _save(d, "z.npy", np.full((40, 2), np.inf)),
                _save(d, "c.npy", np.arange(40) % 2),
            ),
            "NaN or inf",
        ),
        (lambda d: (_touch(d / "z.csv"), _save(d, "c.npy", np.arange(40) % 2)), "empty"),
        (
            lambda d: (
                _save(d, "z.npy", np.zeros((40, 2, 3))),
                _save(d, "c.npy", np.arange(40) % 2),
            ),
            "must be a matrix",
        ),
    ],
)
def test_audit_bad_input_is_one_line_and_status_2(tmp_path, make, message):
    z, c = make(tmp_path)
    result = run_cli("audit", z, c)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _save(folder, name, values):
    np.save(folder / name, values)
    return folder / name


def _touch(path):
    path.write_text("")
    return path


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "audit" in capsys.readouterr().out


def every_parser(parser, name="mibias"):
    """Each command's parser (its options added) by its full name, the nested ones too."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices:
                loaded = action.load(child) if isinstance(action, LazyCommands) else None
                yield from every_parser(loaded or action.choices[child], f"{name} {child}")


def test_every_command_prints_its_help():
    """A help text with a bare ``%`` (argparse formats it) breaks only ``--help``: render all."""
    seen = dict(every_parser(build_parser()))
    assert "mibias erase" in seen and "mibias data fetch" in seen
    for name, parser in seen.items():
        assert parser.format_help().startswith("usage:"), name


def test_every_listed_command_is_registered_by_its_family():
    parsers = dict(every_parser(build_parser()))
    assert {f"mibias {name}" for name in COMMANDS} < set(parsers)
    for name, parser in parsers.items():
        if not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
            assert parser.get_default("handler") is not None, name


def test_the_command_list_imports_no_command_family_nor_torch():
    """``mibias --help`` lists every command at once, importing no family module (each is
    imported when its command is chosen)."""
    code = "from mibias.cli import main\nmain(['--help'])"
    watched = ("torch", "sklearn", "mibias.cli.tools", "mibias.cli.running")
    assert imported_by(code, watched) == []


def test_a_commands_help_imports_neither_torch_nor_sklearn():
    """``mibias COMMAND --help`` and a mistyped option answer at once: the recipes' settings,
    the audit's and the eraser's defaults and the registries the options come from are read
    without torch."""
    commands = list(COMMANDS)
    code = (
        "from mibias.cli import main\n"
        f"for command in {commands!r}:\n"
        "    try:\n        main([command, '--help'])\n"
        "    except SystemExit:\n        pass\n"
    )
    assert imported_by(code, ("torch", "sklearn", "mibias.cli.running")) == []


def test_a_chosen_command_gets_its_options_and_its_description():
    args = build_parser().parse_args(["select", "runs/a", "--window", "5"])
    assert args.window == 5 and args.runs == ["runs/a"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["select", "--no-such-option", "runs/a"])
    assert "validation-free" in dict(every_parser(build_parser()))["mibias select"].description


def test_every_parser_takes_options_by_their_full_names_only():
    for name, parser in every_parser(build_parser()):
        assert parser.allow_abbrev is False, name


@pytest.mark.parametrize(
    ("argv", "command", "unknown", "hint"),
    [
        # argparse's abbreviations would read this as --seeds 5: five seeds, not seed 5
        (["table1", "--seed", "5"], "table1", "--seed 5", "--seeds"),
        (["data", "fetch", "mnist", "--home", "x"], "data fetch", "--home x", "--data-home"),
        (["digits", "--out", "o", "--bogus=1"], "digits", "--bogus=1", None),
    ],
)
def test_an_unknown_option_is_refused_by_its_command_with_the_closest_one_named(
    argv, command, unknown, hint, capsys
):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith(f"mibias {command}: error: unrecognized arguments: {unknown}")
    assert (f"did you mean {hint}?" in last) if hint else ("did you mean" not in last)


def test_data_verify_names_a_tampered_file(tmp_path, capsys):
    assert main(["data", "verify", "all", "--data-home", str(tmp_path)]) == 0
    (tmp_path / "mnist.pkl.gz").write_bytes(b"tampered")
    assert main(["data", "verify", "mnist", "--data-home", str(tmp_path)]) == EXIT_DAMAGED
    assert "mnist.pkl.gz" in capsys.readouterr().err


def test_data_verify_checks_the_uci_files_by_name(tmp_path, capsys):
    (tmp_path / "german.data").write_bytes(b"tampered")
    assert main(["data", "verify", "adult", "--data-home", str(tmp_path)]) == 0
    assert main(["data", "verify", "german", "--data-home", str(tmp_path)]) == EXIT_DAMAGED
    assert "german.data" in capsys.readouterr().err
    assert main(["data", "verify", "all", "--data-home", str(tmp_path)]) == EXIT_DAMAGED


def test_data_fetch_words_fetches_each_registered_file_without_reading_it(tmp_path, monkeypatch):
    from mibias.data import word_embeddings

    fetched = []
    monkeypatch.setattr(
        word_embeddings, "fetch", lambda entry, home: fetched.append(entry) or tmp_path
    )
    assert main(["data", "fetch", "words", "--data-home", str(tmp_path)]) == 0
    assert fetched == list(word_embeddings.FILES)
