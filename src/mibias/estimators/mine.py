"""MINE: the Donsker-Varadhan lower bound with a neural critic (Belghazi et al., 2018)."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import torch

from mibias.estimators.base import MIEstimator, log_mean_exp
from mibias.estimators.names import NOISE_FALL_SHARE
from mibias.estimators.networks import AveragedCritic, PairScorer, StatisticsNetwork

# a whitened critic's running covariance: the weight of each new encoder batch, and the ridge
# added before it is factored, as a share of the mean variance (numerical safety only)
WHITEN_RATE = 0.05
WHITEN_RIDGE = 1e-6
# how many times the whitening may raise its ridge tenfold where float32 rounding leaves the
# covariance short of positive definite (to 1e-6 * 10**4 of its mean variance at most)
RIDGE_RAISES = 4


class CriticEstimator(MIEstimator):
    """Base of the bounds that score pairs with a statistics network T(z, c).

    Parameters
    ----------
    z_dim, c_dim : int
        Widths of the representation and of the encoded attribute.
    hidden, activation
        Shape of the statistics network.
    noise : float
        Smoothing. With ``noise > 0`` the critic reads ``standardise(z) + noise * N(0, I)``
        (each column standardised with the batch's mean and standard deviation), so the bound
        estimates I(z~; c) for that noisy copy z~ of z. A deterministic encoder whose groups do
        not overlap sits at I(z; c) = H(c) whatever it does, so the plain bound saturates and
        gives the encoder almost no gradient; the noisy copy's MI falls smoothly as the
        groups move together (docs/leakage.md). 0 (the default, and what audits use) reads z
        as it is.
    whiten : bool
        With ``noise > 0``, whiten the centred batch before the noise is added, instead of
        standardising each column. Standardised, a direction along which z hardly varies
        stays under the noise, so an encoder that only shrinks the attribute's direction
        looks independent to the critic while a whitened probe still reads it
        (docs/erasure-measured.md); whitened, every direction counts. The whitening matrix comes
        from a running covariance of the batches that carry the encoder's gradient (weight
        :data:`WHITEN_RATE` each; one batch of 256 rows of 300-d word vectors has a singular
        covariance), held fixed in between, so it follows an encoder that shrinks a
        direction within a few dozen steps.
    noise_start : float
        The noise starts at ``noise_start * noise`` and falls linearly to ``noise`` over the
        first :data:`~mibias.estimators.names.NOISE_FALL_SHARE` of the run
        (:meth:`follow_progress`); 1 keeps it constant. Under the larger noise the groups
        overlap and the term has a gradient from the first step; at ``noise`` alone a run can
        start, and stay, saturated at H(c) (docs/leakage.md).
    mixed_noise : bool
        With ``noise > 0``, the critic reads a random half of each batch's rows without noise
        and the other half at sqrt(2) times it (the same mean noise power). The noisy rows
        keep the term's gradient while the groups are apart; the sharp ones show the critic
        structure finer than the noise, where an encoder can hide c from a critic that reads
        every row blurred while a probe with enough rows still reads it (docs/leakage.md).
    """

    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        hidden: Sequence[int] = (64, 64, 64),
        activation: str = "leaky_relu",
        noise: float = 0.0,
        *,
        whiten: bool = False,
        noise_start: float = 1.0,
        mixed_noise: bool = False,
    ) -> None:
        super().__init__()
        self.z_dim, self.c_dim = z_dim, c_dim
        if noise < 0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        if noise_start < 1:
            raise ValueError(f"noise_start must be >= 1, got {noise_start}")
        self.critic: PairScorer = StatisticsNetwork(z_dim, c_dim, hidden, activation)
        self.noise = noise
        self.whiten = whiten
        self.noise_start = noise_start
        self.mixed_noise = mixed_noise
        # the multiple of ``noise`` in force; a tensor, so that a compiled step reads its value
        self.register_buffer("noise_multiple", torch.tensor(noise_start), persistent=False)
        self.running_covariance: torch.Tensor | None = None
        self.whitener: torch.Tensor | None = None

    def smoothed(self, z: torch.Tensor) -> torch.Tensor:
        """What the critic reads of ``z``: itself, or its standardised (or whitened) noisy
        copy."""
        if self.noise == 0:
            return z
        centred = z - z.mean(dim=0, keepdim=True)
        if self.whiten:
            spread = centred @ self.whitening(centred).T
        else:
            spread = centred / (z.std(dim=0, keepdim=True) + 1e-4)
        scale = self.noise * self.noise_multiple
        if self.mixed_noise:
            noisy = torch.rand(len(z), 1, device=z.device) < 0.5
            scale = scale * math.sqrt(2) * noisy.to(z.dtype)
        return spread + scale * torch.randn_like(z)

    def follow_progress(self, progress: float) -> None:
        """Set the noise's multiple for ``progress`` (the share of the run done); a
        constant noise, or none, is left alone."""
        if self.noise == 0 or self.noise_start == 1:
            return
        left = max(0.0, 1.0 - progress / NOISE_FALL_SHARE)
        self.noise_multiple.fill_(1.0 + (self.noise_start - 1.0) * left)

    def prepare(self, z: torch.Tensor) -> None:
        """With whitening on, build the whitening matrix from ``z`` when there is none yet,
        as the first step would."""
        if self.noise > 0 and self.whiten and self.whitener is None:
            with torch.no_grad():
                self.whitening(z - z.mean(dim=0, keepdim=True))

    def whitening(self, centred: torch.Tensor) -> torch.Tensor:
        """The matrix that whitens ``centred`` rows: the inverse Cholesky factor of the
        running covariance, updated first when the rows carry gradient (an encoder step's
        batch) or when there is none yet."""
        if centred.requires_grad or self.whitener is None:
            rows = centred.detach()
            batch = rows.T @ rows / max(len(rows) - 1, 1)
            previous = self.running_covariance
            covariance = batch if previous is None else torch.lerp(previous, batch, WHITEN_RATE)
            ridge = WHITEN_RIDGE * covariance.diagonal().mean() + 1e-8
            identity = torch.eye(len(covariance), dtype=rows.dtype, device=rows.device)
            factor, failed = torch.linalg.cholesky_ex(covariance + ridge * identity)
            for _ in range(RIDGE_RAISES):
                if not failed.item():
                    break
                # fewer rows than z has columns: the covariance's zero eigenvalues, rounded in
                # float32, can dip below the ridge; a ridge ten times larger lifts them
                ridge = ridge * 10
                factor, failed = torch.linalg.cholesky_ex(covariance + ridge * identity)
            if failed.item():
                if not torch.isfinite(covariance).all():
                    raise FloatingPointError(
                        "the whitened critic cannot factor z's covariance: z holds NaN or inf, "
                        "or values too large to square in float32 (standardise the inputs, or "
                        "lower the learning rate)"
                    )
                # still short after every raise: torch's own error says where
                factor = torch.linalg.cholesky(covariance + ridge * identity)
            self.running_covariance = covariance
            self.whitener = torch.linalg.solve_triangular(factor, identity, upper=False)
        return self.whitener

    def joint_and_marginal_scores(
        self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """T on the batch's pairs and on the shuffled pairs, in one forward pass (both with
        the same noise draw, so they differ only in c; the product with z is shared)."""
        from_z, from_c = self.critic.first_layer_terms(self.smoothed(z), c)
        scores = self.critic.score(torch.cat([from_z + from_c, from_z + from_c[perm]]))
        return scores[: len(z)], scores[len(z) :]


def averaged(estimators: Sequence[CriticEstimator]) -> CriticEstimator:
    """An estimator of the first one's bound and settings whose critic is the mean of all
    ``estimators``' critics (:class:`~mibias.estimators.networks.AveragedCritic`): on the same
    rows it reads at least the mean of their bounds."""
    combined = copy.deepcopy(estimators[0])
    combined.critic = AveragedCritic([estimator.critic for estimator in estimators])
    return combined


class MINE(CriticEstimator):
    """Donsker-Varadhan bound ``E_joint[T] - log E_marginal[exp T]`` (the paper's Eq. 2).

    Parameters
    ----------
    z_dim, c_dim : int
        Widths of the representation and of the encoded attribute.
    hidden, activation
        Shape of the statistics network (default 3 x 64 leaky ReLU, the authors' digit code).
    ema_rate : float or None
        Rate of the moving average that replaces the batch denominator in the gradient of the
        log-mean-exp term, which is biased for small batches (MINE, Sec. 3.2). ``None`` trains
        on the plain bound, as the authors' code does. The reported estimate is always the
        plain bound.
    """

    def __init__(
        self,
        z_dim: int,
        c_dim: int,
        hidden: Sequence[int] = (64, 64, 64),
        activation: str = "leaky_relu",
        ema_rate: float | None = 0.01,
        noise: float = 0.0,
        *,
        whiten: bool = False,
        noise_start: float = 1.0,
        mixed_noise: bool = False,
    ) -> None:
        super().__init__(
            z_dim,
            c_dim,
            hidden,
            activation,
            noise,
            whiten=whiten,
            noise_start=noise_start,
            mixed_noise=mixed_noise,
        )
        if ema_rate is not None and not 0 < ema_rate <= 1:
            raise ValueError(f"ema_rate must be in (0, 1], got {ema_rate}")
        self.ema_rate = ema_rate
        # log of the moving average of E_marginal[exp T]; NaN until the first update
        self.register_buffer("log_ema", torch.tensor(float("nan")))

    def estimate(self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        joint, marginal = self.joint_and_marginal_scores(z, c, perm)
        return joint.mean() - log_mean_exp(marginal)

    def reset(self) -> None:
        super().reset()
        self.log_ema.fill_(float("nan"))

    def objective(
        self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if self.ema_rate is None:
            return -self.estimate(z, c, perm), {}
        joint, marginal = self.joint_and_marginal_scores(z, c, perm)
        lme = log_mean_exp(marginal)
        current = lme.detach()
        rate = self.ema_rate
        moved = torch.logaddexp(self.log_ema + math.log1p(-rate), current + math.log(rate))
        log_ema = torch.where(torch.isnan(self.log_ema), current, moved)
        # the gradient of exp(lme - log_ema) is grad(E exp T) / ema: the corrected gradient
        return -(joint.mean() - torch.exp(lme - log_ema)), {"log_ema": log_ema}


class NWJ(CriticEstimator):
    """The NWJ / MINE-f bound ``E_joint[T] - E_marginal[exp(T - 1)]``."""

    def estimate(self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        joint, marginal = self.joint_and_marginal_scores(z, c, perm)
        return joint.mean() - torch.exp(marginal - 1).mean()


class InfoNCE(CriticEstimator):
    """The InfoNCE bound on all N x N pairs of the batch; it cannot exceed ``log N``.

    ``perm`` is not used: every other row of the batch serves as a negative.
    """

    def estimate(self, z: torch.Tensor, c: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
        n = len(z)
        from_z, from_c = self.critic.first_layer_terms(self.smoothed(z), c)
        scores = self.critic.score(from_z[:, None, :] + from_c[None, :, :])  # T(z_i, c_j)
        return (scores.diagonal() - torch.logsumexp(scores, dim=1)).mean() + math.log(n)
