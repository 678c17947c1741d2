"""Closed-form Kepler free flight on a non-rotating sphere (reference for the validation tests).

Bate, Mueller & White, *Fundamentals of Astrodynamics* (1971), ch. 6 (ballistic missile
trajectories) and ch. 4 (Kepler's equation): from a burnout radius r_b, speed v and
flight-path angle gamma, the conic has p = (r_b v cos gamma)^2 / mu and
e^2 = 1 + (v^2 - 2 mu / r_b) p / mu; the true anomaly at radius r is cos nu = (p / r - 1) / e,
ascending at burnout and descending at impact; time of flight from the eccentric anomalies.
"""

import numpy as np

MU = 3.986004418e14


def kepler_range_and_time(r_b, r_i, v, gamma):
    """(range angle rad, time of flight s) from radius r_b to r_i on the descending branch."""
    p = (r_b * v * np.cos(gamma)) ** 2 / MU
    e = np.sqrt(1.0 + (v * v - 2.0 * MU / r_b) * p / MU)
    nu_b = np.arccos(np.clip((p / r_b - 1.0) / e, -1, 1))  # ascending (gamma > 0): nu in (0, pi)
    nu_i = 2 * np.pi - np.arccos(np.clip((p / r_i - 1.0) / e, -1, 1))  # descending
    a = p / (1.0 - e * e)
    n = np.sqrt(MU / a**3)

    def mean_anomaly(nu):
        ecc = 2 * np.arctan2(np.sqrt(1 - e) * np.sin(nu / 2), np.sqrt(1 + e) * np.cos(nu / 2))
        ecc = np.mod(ecc, 2 * np.pi)
        return ecc - e * np.sin(ecc)

    return nu_i - nu_b, (mean_anomaly(nu_i) - mean_anomaly(nu_b)) / n
