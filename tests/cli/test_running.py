import argparse
import warnings
from pathlib import Path

import pytest

from mibias.cli import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_NO_RUN_FINISHED
from mibias.cli.entry import build_parser
from mibias.cli.running import GRID_COMMANDS, run_command
from mibias.run_folder import SUMMARY, NoRunFinished, write_json_atomic


def warns(args):
    warnings.warn("z still carries c", UserWarning, stacklevel=1)
    return 0


def test_a_warning_is_one_line_naming_the_command_and_showwarning_is_restored(capsys):
    before = warnings.showwarning
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert run_command(argparse.Namespace(command="erase", handler=warns)) == 0
    assert capsys.readouterr().err == "mibias erase: UserWarning: z still carries c\n"
    assert warnings.showwarning is before


def no_run_finishes(args):
    raise NoRunFinished("no run finished (2 failed; the first, j0: ValueError: x)")


def test_a_grid_of_which_no_run_finished_ends_in_one_line_and_its_own_status(capsys):
    status = run_command(argparse.Namespace(command="table3", handler=no_run_finishes))
    assert status == EXIT_NO_RUN_FINISHED == 6
    err = capsys.readouterr().err
    assert err == "mibias table3: error: no run finished (2 failed; the first, j0: ValueError: x)\n"


def interrupted(args):
    raise KeyboardInterrupt


def test_an_interrupted_run_says_how_far_it_got_and_how_to_continue(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    args = argparse.Namespace(command="digits", handler=interrupted, out=str(out), resume=False)
    assert run_command(args) == EXIT_INTERRUPTED
    assert capsys.readouterr().err == "mibias digits: interrupted\n"  # no run.json yet
    write_json_atomic({"status": "running", "config": {"epochs": 3}, "epochs": [{}]}, out / SUMMARY)
    run_command(args)
    assert capsys.readouterr().err == (
        f"mibias digits: interrupted; {out} holds the run (unfinished: 1 of 3 epochs done): "
        "the same command with --resume continues it from its last checkpoint\n"
    )


def test_an_interrupted_grid_says_its_finished_runs_are_reused(tmp_path, capsys):
    args = argparse.Namespace(command="table3", handler=interrupted, out=str(tmp_path))
    assert run_command(args) == EXIT_INTERRUPTED
    assert "the same command again reuses them" in capsys.readouterr().err
    run_command(argparse.Namespace(command="audit", handler=interrupted))
    assert capsys.readouterr().err == "mibias audit: interrupted\n"


def test_the_grid_commands_are_commands():
    commands = build_parser()._subparsers._group_actions[0].choices
    assert GRID_COMMANDS <= set(commands)


@pytest.mark.parametrize("below", ["", "runs"])
def test_a_file_where_a_folder_is_needed_is_named_in_one_line(tmp_path, capsys, below):
    """Was: FileExistsError or NotADirectoryError from deep inside."""
    blocker = tmp_path / "out"
    blocker.write_text("")

    def makes_its_folder(args):
        Path(args.out, below).mkdir(parents=True, exist_ok=True)

    args = argparse.Namespace(command="demo", handler=makes_its_folder, out=str(blocker))
    assert run_command(args) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == (
        f"mibias demo: error: {blocker} is a file where a folder is needed (the --out, "
        "--data-home or $MIBIAS_DATA given?)\n"
    )
