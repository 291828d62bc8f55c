"""How much does a representation leak an attribute? The audit (:mod:`mibias.audit.leakage`),
its held-out MI estimates (:mod:`mibias.audit.estimates`) and probes
(:mod:`mibias.audit.probes`), how it splits rows (:mod:`mibias.audit.splits`), with the
defaults and probe names in :mod:`mibias.audit.settings`, which imports no torch (``mibias
audit --help`` reads it).

The names below are imported on first use (:mod:`mibias.lazy`).
"""

from mibias.lazy import lazy_names

_LEAKAGE = (
    "FIT_CHECK",
    "FIT_CHECK_ROWS",
    "LEAKAGE_COLUMNS",
    "REPORT_AUDIT",
    "AuditResult",
    "audit_leakage",
    "leakage_columns",
    "validate_pair",
    "warn_on_leakage",
)
_ESTIMATES = ("GAIN_NATS",)
_PROBES = ("probe_scores",)
_SPLITS = ("split_sizes", "stratification")
_SETTINGS = (
    "AUDIT",
    "MIN_ROWS",
    "PROBE_KINDS",
    "PROBES",
    "TABULAR_PROBES",
    "AuditDefaults",
    "ProbeKind",
)
# each public name and the module that defines it
_HOMES = {
    **{name: "mibias.audit.leakage" for name in _LEAKAGE},
    **{name: "mibias.audit.estimates" for name in _ESTIMATES},
    **{name: "mibias.audit.probes" for name in _PROBES},
    **{name: "mibias.audit.splits" for name in _SPLITS},
    **{name: "mibias.audit.settings" for name in _SETTINGS},
}

__all__ = sorted(_HOMES)

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
