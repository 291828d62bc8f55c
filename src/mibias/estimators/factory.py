"""Build an MI estimator by name."""

from __future__ import annotations

from collections.abc import Sequence

from mibias.estimators.base import MIEstimator
from mibias.estimators.club import CLUB
from mibias.estimators.mine import MINE, NWJ, InfoNCE
from mibias.estimators.names import ESTIMATORS, noise_error


def make_estimator(
    name: str,
    z_dim: int,
    c_dim: int,
    *,
    groups: Sequence[int] | None = None,
    hidden: Sequence[int] | None = None,
    activation: str = "leaky_relu",
    ema_rate: float = 0.01,
    noise: float = 0.0,
    whiten: bool = False,
    noise_start: float = 1.0,
    mixed_noise: bool = False,
) -> MIEstimator:
    """Build an MI estimator by name (the baselines' dependence measures:
    :func:`mibias.baselines.make_penalty`).

    Parameters
    ----------
    name : str
        ``mine`` (Donsker-Varadhan with moving-average gradient correction), ``mine-dv``
        (plain Donsker-Varadhan, as in the authors' code), ``nwj``, ``infonce`` or ``club``.
    z_dim, c_dim : int
        Widths of the representation and of the encoded attribute.
    groups : sequence of int, optional
        One-hot block sizes of a categorical attribute (used by ``club``).
    hidden : sequence of int, optional
        Hidden widths of the network; default ``(64, 64, 64)`` for critics and ``(64, 64)`` for
        the CLUB head.
    activation : str
        Hidden activation.
    ema_rate : float
        Moving-average rate of ``mine``.
    noise : float
        Smoothing of the critic-based bounds (``mine``, ``mine-dv``, ``nwj``, ``infonce``):
        the critic reads the standardised z plus Gaussian noise of this scale (see
        :class:`~mibias.estimators.mine.CriticEstimator`); 0 reads z as it is.
    whiten : bool
        With ``noise``, whiten z instead of standardising its columns.
    noise_start : float
        With ``noise``, the noise starts at this multiple of it and falls to it over the
        first :data:`~mibias.estimators.names.NOISE_FALL_SHARE` of the run
        (:class:`~mibias.estimators.mine.CriticEstimator`).
    mixed_noise : bool
        With ``noise``, half the rows read without noise and half at sqrt(2) times it
        (:class:`~mibias.estimators.mine.CriticEstimator`).
    """
    problem = noise_error(name, noise)
    if problem:
        raise ValueError(problem)
    if name == "club":
        return CLUB(z_dim, c_dim, groups, hidden or (64, 64), activation)
    hidden = hidden or (64, 64, 64)
    smoothing = {"whiten": whiten, "noise_start": noise_start, "mixed_noise": mixed_noise}
    if name == "mine":
        return MINE(z_dim, c_dim, hidden, activation, ema_rate, noise, **smoothing)
    if name == "mine-dv":
        return MINE(z_dim, c_dim, hidden, activation, None, noise, **smoothing)
    if name == "nwj":
        return NWJ(z_dim, c_dim, hidden, activation, noise, **smoothing)
    if name == "infonce":
        return InfoNCE(z_dim, c_dim, hidden, activation, noise, **smoothing)
    raise ValueError(f"unknown estimator {name!r}; choose from {', '.join(ESTIMATORS)}")
