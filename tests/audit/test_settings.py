import dataclasses
import inspect

from mibias.audit import audit_leakage
from mibias.audit.settings import AUDIT, PROBE_KINDS, PROBES
from mibias.cli.entry import build_parser


def test_every_declared_default_is_the_audits_own():
    """The defaults ``mibias audit --help`` shows, read without torch, are the ones
    ``audit_leakage`` runs with: each field names a parameter and is its default."""
    parameters = inspect.signature(audit_leakage).parameters
    for field in dataclasses.fields(AUDIT):
        assert parameters[field.name].default == getattr(AUDIT, field.name), field.name
    assert parameters["probes"].default == PROBES


def test_the_command_line_takes_its_defaults_from_the_declaration():
    args = build_parser().parse_args(["audit", "z.npy", "c.npy"])
    for name in ("estimator", "restarts", "steps", "batch_size", "lr", "max_dims", "test_size"):
        assert getattr(args, name) == getattr(AUDIT, name), name
    assert args.patience == AUDIT.patience
    assert args.probes == ",".join(PROBES)


def test_the_default_probes_are_among_the_kinds_offered():
    assert set(PROBES) < set(PROBE_KINDS)
