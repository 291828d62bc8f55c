"""How much does a representation leak an attribute? Held-out MI estimates and probes
(:mod:`mibias.audit.leakage`), with the defaults and probe names in
:mod:`mibias.audit.settings`, which imports no torch (``mibias audit --help`` reads it).

The names below are imported on first use (:mod:`mibias.lazy`).
"""

from mibias.lazy import lazy_names

_LEAKAGE = (
    "FIT_CHECK",
    "FIT_CHECK_ROWS",
    "GAIN_NATS",
    "LEAKAGE_COLUMNS",
    "REPORT_AUDIT",
    "AuditResult",
    "audit_leakage",
    "probe_scores",
    "validate_pair",
    "warn_on_leakage",
)
_SETTINGS = ("AUDIT", "PROBE_KINDS", "PROBES", "AuditDefaults", "ProbeKind")
# each public name and the module that defines it
_HOMES = {
    **{name: "mibias.audit.leakage" for name in _LEAKAGE},
    **{name: "mibias.audit.settings" for name in _SETTINGS},
}

__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
