import argparse
import warnings

from mibias.cli import EXIT_NO_RUN_FINISHED
from mibias.cli.running import run_command
from mibias.run_folder import NoRunFinished


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
