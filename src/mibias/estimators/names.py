"""The MI estimators' names, which of them have a critic and the schedule of the critic's
smoothing noise, readable without torch (the command line's choices and help);
:func:`mibias.estimators.make_estimator` builds an estimator by name."""

from __future__ import annotations

ESTIMATORS = ("mine", "mine-dv", "nwj", "infonce", "club")
CRITIC_ESTIMATORS = ("mine", "mine-dv", "nwj", "infonce")
# the share of the run over which a smoothing noise that starts larger falls to its scale
NOISE_FALL_SHARE = 0.2


def noise_error(name: str, noise: float) -> str | None:
    """Why ``noise`` cannot smooth the estimator ``name`` (a negative scale, or an estimator
    with no critic to read the noisy z), or ``None`` when it can."""
    if noise < 0:
        return f"noise must be >= 0, got {noise:g}"
    if noise > 0 and name not in CRITIC_ESTIMATORS:
        return f"noise applies to {', '.join(CRITIC_ESTIMATORS)}, not to {name!r}"
    return None
