"""How close is `mibias audit` to a known MI? Correlated Gaussians, closed form.

    python -m benchmarks.audit_accuracy             (about 2 minutes a draw on 2 cores)

x ~ N(0, I_d), y = rho x + sqrt(1 - rho^2) eps, d = 5, 20,000 draws: I(x; y) =
-d/2 log(1 - rho^2) (2.554 nats at rho 0.8). Audit defaults, 3 draws per rho.
Targets: within 0.05 nats of the truth at rho 0.8, within 0.02 of 0 for independent data.
"""

from __future__ import annotations

import argparse

import numpy as np

from benchmarks.common import command_line, tagged, write_results
from mibias.audit import audit_leakage
from mibias.data.synthetic import correlated_gaussians, gaussian_mutual_information

DIMENSIONS, ROWS = 5, 20_000


def draw(rho: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The benchmark's draw: ``ROWS`` pairs of ``DIMENSIONS``-d correlated Gaussians."""
    return correlated_gaussians(rho, rows=ROWS, dimensions=DIMENSIONS, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", default="gelu", help="the critic's activation")
    parser.add_argument("--draws", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for rho in (0.0, 0.5, 0.8):
        truth = gaussian_mutual_information(rho, DIMENSIONS)
        estimates = [
            audit_leakage(*draw(rho, seed), activation=args.activation, progress=False).mi_nats
            for seed in range(args.draws)
        ]
        rows.append(
            {
                "rho": rho,
                "true MI, nats": truth,
                "audit, nats (mean +- std over draws)": (
                    f"{np.mean(estimates):.3f} +- {np.std(estimates):.3f}"
                ),
                "error": float(np.mean(estimates) - truth),
                "median error": float(np.median(estimates) - truth),
                "per draw": " / ".join(f"{e:.3f}" for e in estimates),
            }
        )
        print(rows[-1], flush=True)
    name = tagged("audit_accuracy", None if args.activation == "gelu" else args.activation)
    notes = f"d = {DIMENSIONS}, {ROWS} draws each; the audit's defaults otherwise."
    write_results(name, command_line("audit_accuracy"), rows, notes)


if __name__ == "__main__":
    main()
