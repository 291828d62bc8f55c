import argparse
import warnings

from mibias.cli.running import run_command


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
