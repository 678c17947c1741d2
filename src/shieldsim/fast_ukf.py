"""The fire-control track's unscented Kalman filter, compiled: the same filter as Stone Soup's.

``tracking.track_threat(..., tracker="fast")`` runs its predict/update loop here instead of
through Stone Soup's ``UnscentedKalmanPredictor`` / ``UnscentedKalmanUpdater`` with
``tracking.BallisticTransitionModel`` and ``CartesianToElevationBearingRange``. The model is
the same, step for step (Stone Soup 1.9 is the reference, ``tests/consistency/test_fast_tracker.py``):

* sigma points: Stone Soup's ``gauss2sigma`` (Cholesky factor, alpha = 0.5, beta = 2,
  kappa = 3 − 6, its defaults for both predictor and updater), weighted means by
  ``np.average`` (divided by the sum of the weights);
* prediction: each sigma point propagated with ``tracking.propagate_ballistic``'s fixed-step
  RK4 (ceil(|dt| / 10 s) equal steps, J2 or point-mass gravity of ``earth.gravity_scalar``,
  Coriolis and centrifugal terms), plus ``tracking.process_noise`` (continuous white
  acceleration, Bar-Shalom, Li & Kirubarajan 2001, sec. 6.2.2);
* measurement: elevation, bearing and range at the radar (Stone Soup's ``cart2sphere`` after
  its translation and rotation), the angles averaged as Stone Soup averages ``Elevation`` and
  ``Bearing`` (weighted circular mean) and their differences wrapped as its angle types wrap
  them (``mod_elevation``, ``mod_bearing``); the cross-covariance taken about the central sigma
  point, as ``unscented_transform`` does; gain K = C S⁻¹ and posterior P − K S Kᵀ (Stone Soup's
  default, not the Joseph form).

What differs is rounding only: a hand-written Cholesky factor and 3 × 3 inverse (scaled to unit
diagonal first) instead of LAPACK's, and sums in another order. When a covariance is not
positive definite (Stone Soup then warns and perturbs it, ``cholesky_eps``), the kernel stops
and returns the failing update's number, and ``track_threat`` reruns that threat with Stone
Soup.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from . import cache as _cache  # noqa: F401  (kernels cached per code hash: must precede the decorators)
from .earth import OMEGA_EARTH, gravity_scalar

#: Stone Soup's defaults for UnscentedKalmanPredictor and UnscentedKalmanUpdater (1.9).
UKF_ALPHA = 0.5
UKF_BETA = 2.0
UKF_KAPPA = 3.0 - 6.0
_TWO_PI = 2.0 * math.pi


@njit(cache=True)
def _mod_bearing(x):
    """Stone Soup's ``mod_bearing``: (x + π) mod 2π − π."""
    y = x + math.pi
    return y - _TWO_PI * math.floor(y / _TWO_PI) - math.pi


@njit(cache=True)
def _mod_elevation(x):
    """Stone Soup's ``mod_elevation``: an angle folded into [−π/2, π/2]."""
    x = x - _TWO_PI * math.floor(x / _TWO_PI)
    n = math.floor(x / (math.pi / 2.0))
    if n == 1.0 or n == 2.0:
        return math.pi - x
    if n == 3.0:
        return x - _TWO_PI
    if n == 4.0:
        return 0.0
    return x


@njit(cache=True)
def _deriv(y, out, gm, rot):
    ax, ay, az = gravity_scalar(y[0], y[1], y[2], gm)
    if rot:
        w = OMEGA_EARTH
        ax += 2.0 * w * y[4] + w * w * y[0]
        ay += -2.0 * w * y[3] + w * w * y[1]
    out[0] = y[3]
    out[1] = y[4]
    out[2] = y[5]
    out[3] = ax
    out[4] = ay
    out[5] = az


@njit(cache=True)
def _rk4(x, h, steps, gm, rot, k1, k2, k3, k4, tmp):
    """``tracking.propagate_ballistic`` for one state, in place: ``steps`` RK4 steps of length h."""
    for _ in range(steps):
        _deriv(x, k1, gm, rot)
        for i in range(6):
            tmp[i] = x[i] + 0.5 * h * k1[i]
        _deriv(tmp, k2, gm, rot)
        for i in range(6):
            tmp[i] = x[i] + 0.5 * h * k2[i]
        _deriv(tmp, k3, gm, rot)
        for i in range(6):
            tmp[i] = x[i] + h * k3[i]
        _deriv(tmp, k4, gm, rot)
        for i in range(6):
            x[i] = x[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])


@njit(cache=True)
def propagate_batch(x, h, steps, gravity_model, rotating):
    """``steps`` RK4 steps of length h[i] for each state x[i] (N, 6): the arithmetic of
    ``tracking.propagate_ballistic``, operation for operation, compiled; returns a new array."""
    out = x.copy()
    k1 = np.empty(6)
    k2 = np.empty(6)
    k3 = np.empty(6)
    k4 = np.empty(6)
    tmp = np.empty(6)
    for n in range(out.shape[0]):
        _rk4(out[n], h[n], steps, gravity_model, rotating, k1, k2, k3, k4, tmp)
    return out


@njit(cache=True)
def _cholesky(P, L):
    """Lower Cholesky factor of a 6 × 6 matrix into L; False if not positive definite."""
    n = P.shape[0]
    for i in range(n):
        for j in range(n):
            L[i, j] = 0.0
    for j in range(n):
        s = P[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not s > 0.0:
            return False
        d = math.sqrt(s)
        L[j, j] = d
        for i in range(j + 1, n):
            s = P[i, j]
            for k in range(j):
                s -= L[i, k] * L[j, k]
            L[i, j] = s / d
    return True


@njit(cache=True)
def _inv3(S, out):
    """Inverse of a symmetric positive 3 × 3 matrix, scaled to a unit diagonal first; False if singular."""
    d = np.empty(3)
    for i in range(3):
        if not S[i, i] > 0.0:
            return False
        d[i] = 1.0 / math.sqrt(S[i, i])
    a = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            a[i, j] = S[i, j] * d[i] * d[j]
    c00 = a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1]
    c01 = a[1, 2] * a[2, 0] - a[1, 0] * a[2, 2]
    c02 = a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0]
    det = a[0, 0] * c00 + a[0, 1] * c01 + a[0, 2] * c02
    if not abs(det) > 0.0:
        return False
    inv = np.empty((3, 3))
    inv[0, 0] = c00
    inv[1, 0] = c01
    inv[2, 0] = c02
    inv[0, 1] = a[0, 2] * a[2, 1] - a[0, 1] * a[2, 2]
    inv[1, 1] = a[0, 0] * a[2, 2] - a[0, 2] * a[2, 0]
    inv[2, 1] = a[0, 1] * a[2, 0] - a[0, 0] * a[2, 1]
    inv[0, 2] = a[0, 1] * a[1, 2] - a[0, 2] * a[1, 1]
    inv[1, 2] = a[0, 2] * a[1, 0] - a[0, 0] * a[1, 2]
    inv[2, 2] = a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]
    for i in range(3):
        for j in range(3):
            out[i, j] = inv[i, j] / det * d[i] * d[j]
    return True


@njit(cache=True)
def _sigma_points(x, L, sc, X):
    """The 2n + 1 sigma points of mean x and covariance L Lᵀ, scaled by sc = √(n + λ), into X."""
    n = x.shape[0]
    for i in range(n):
        X[0, i] = x[i]
    for j in range(n):
        for i in range(n):
            X[1 + j, i] = x[i] + L[i, j] * sc
            X[1 + n + j, i] = x[i] - L[i, j] * sc


@njit(cache=True)
def _predict(x, P, dt, q, gravity_model, rotating, max_step_s, sc, wm, wc, sw, L, X, xp, Pp, work):
    """The prior (x, P) through the ballistic motion over dt, plus the process noise: (xp, Pp).
    False when P is not positive definite."""
    n = x.shape[0]
    ns = X.shape[0]
    if not _cholesky(P, L):
        return False
    _sigma_points(x, L, sc, X)
    steps = max(1, int(math.ceil(abs(dt) / max_step_s)))
    h = dt / steps
    for s in range(ns):
        _rk4(X[s], h, steps, gravity_model, rotating, work[0], work[1], work[2], work[3], work[4])
    for i in range(n):
        acc = 0.0
        for s in range(ns):
            acc += X[s, i] * wm[s]
        xp[i] = acc / sw
    for i in range(n):
        for j in range(i, n):
            acc = 0.0
            for s in range(ns):
                acc += (X[s, i] - xp[i]) * wc[s] * (X[s, j] - xp[j])
            Pp[i, j] = acc
            Pp[j, i] = acc
    adt = abs(dt)
    q3, q2, q1 = q * adt**3 / 3.0, q * adt**2 / 2.0, q * adt
    for i in range(3):
        Pp[i, i] += q3
        Pp[i, i + 3] += q2
        Pp[i + 3, i] += q2
        Pp[i + 3, i + 3] += q1
    return True


@njit(cache=True)
def _measure(X, site, R, wm, sw, Z, dZ):
    """The sigma points X through the radar's measurement function (elevation, bearing, range in
    Stone Soup's frame): Z, their deviations dZ from the mean, and the mean (angles averaged as
    unit vectors)."""
    ns = X.shape[0]
    se, ce, sb, cb, rg = 0.0, 0.0, 0.0, 0.0, 0.0
    for s in range(ns):
        d0 = X[s, 0] - site[0]
        d1 = X[s, 1] - site[1]
        d2 = X[s, 2] - site[2]
        e0 = R[0, 0] * d0 + R[0, 1] * d1 + R[0, 2] * d2
        e1 = R[1, 0] * d0 + R[1, 1] * d1 + R[1, 2] * d2
        e2 = R[2, 0] * d0 + R[2, 1] * d1 + R[2, 2] * d2
        rho = math.sqrt(e0 * e0 + e1 * e1 + e2 * e2)
        Z[s, 0] = _mod_elevation(math.asin(e2 / rho))
        Z[s, 1] = _mod_bearing(math.atan2(e1, e0))
        Z[s, 2] = rho
        se += math.sin(Z[s, 0]) * wm[s]
        ce += math.cos(Z[s, 0]) * wm[s]
        sb += math.sin(Z[s, 1]) * wm[s]
        cb += math.cos(Z[s, 1]) * wm[s]
        rg += rho * wm[s]
    zel = _mod_elevation(math.atan2(se / sw, ce / sw))
    zbr = _mod_bearing(math.atan2(sb / sw, cb / sw))
    zrg = rg / sw
    for s in range(ns):
        dZ[s, 0] = _mod_elevation(Z[s, 0] - zel)
        dZ[s, 1] = _mod_bearing(Z[s, 1] - zbr)
        dZ[s, 2] = Z[s, 2] - zrg
    return zel, zbr, zrg


@njit(cache=True)
def _update(xp, Pp, z, rvar, site, R, sc, wm, wc, sw, L, X, Z, dZ, S, Si, C, K, KS, x, P):
    """The prediction (xp, Pp) updated with one measurement z (variances rvar): (x, P). False
    when Pp is not positive definite or the innovation covariance is singular."""
    n = xp.shape[0]
    ns = X.shape[0]
    if not _cholesky(Pp, L):
        return False
    _sigma_points(xp, L, sc, X)
    zel, zbr, zrg = _measure(X, site, R, wm, sw, Z, dZ)
    for i in range(3):
        for j in range(i, 3):
            acc = 0.0
            for s in range(ns):
                acc += dZ[s, i] * wc[s] * dZ[s, j]
            S[i, j] = acc
            S[j, i] = acc
        S[i, i] += rvar[i]
    for i in range(n):
        for j in range(3):
            acc = 0.0
            for s in range(ns):
                acc += (X[s, i] - X[0, i]) * wc[s] * dZ[s, j]
            C[i, j] = acc
    if not _inv3(S, Si):
        return False
    for i in range(n):
        for j in range(3):
            K[i, j] = C[i, 0] * Si[0, j] + C[i, 1] * Si[1, j] + C[i, 2] * Si[2, j]
    i0 = _mod_elevation(z[0] - zel)
    i1 = _mod_bearing(z[1] - zbr)
    i2 = z[2] - zrg
    for i in range(n):
        x[i] = xp[i] + K[i, 0] * i0 + K[i, 1] * i1 + K[i, 2] * i2
    for i in range(n):
        for j in range(3):
            KS[i, j] = K[i, 0] * S[0, j] + K[i, 1] * S[1, j] + K[i, 2] * S[2, j]
    for i in range(n):
        for j in range(n):
            P[i, j] = Pp[i, j] - (KS[i, 0] * K[j, 0] + KS[i, 1] * K[j, 1] + KS[i, 2] * K[j, 2])
    return True


@njit(cache=True)
def _weights(n, alpha, beta, kappa):
    """The unscented transform's mean and covariance weights, their sum and √(n + λ)."""
    ns = 2 * n + 1
    lam = alpha * alpha * (n + kappa) - n
    c = n + lam
    wm = np.empty(ns)
    wm[0] = lam / c
    for i in range(1, ns):
        wm[i] = 0.5 / c
    wc = wm.copy()
    wc[0] = lam / c + (1.0 - alpha * alpha + beta)
    sw = 0.0
    for i in range(ns):
        sw += wm[i]
    return wm, wc, sw, math.sqrt(c)


@njit(cache=True)
def ukf_track(x0, P0, dts, zs, rvar, sites, rots, q, gravity_model, rotating, max_step_s, alpha, beta, kappa,
              xs_out, Ps_out):
    """Run the UKF over m measurements; fills xs_out (m, 6) and Ps_out (m, 6, 6).

    dts (m,): the interval before each update; zs (m, 3): elevation, bearing, range; rvar (m, 3):
    their variances; sites (m, 3) and rots (m, 3, 3): the radar's ECEF position and Stone Soup's
    rotation matrix (ECEF → radar frame). Returns 0, or k + 1 when update k met a covariance that
    is not positive definite (outputs from k on are not filled).
    """
    n = 6
    ns = 2 * n + 1
    wm, wc, sw, sc = _weights(n, alpha, beta, kappa)
    x = x0.copy()
    P = P0.copy()
    L = np.empty((n, n))
    X = np.empty((ns, n))
    Z = np.empty((ns, 3))
    dZ = np.empty((ns, 3))
    xp = np.empty(n)
    Pp = np.empty((n, n))
    S = np.empty((3, 3))
    Si = np.empty((3, 3))
    C = np.empty((n, 3))
    K = np.empty((n, 3))
    KS = np.empty((n, 3))
    work = np.empty((5, n))  # the RK4 stages and a scratch state
    for k in range(dts.shape[0]):
        if not _predict(x, P, dts[k], q, gravity_model, rotating, max_step_s, sc, wm, wc, sw, L, X, xp, Pp, work):
            return k + 1
        if not _update(xp, Pp, zs[k], rvar[k], sites[k], rots[k], sc, wm, wc, sw, L, X, Z, dZ, S, Si, C, K, KS,
                       x, P):
            return k + 1
        for i in range(n):
            xs_out[k, i] = x[i]
            for j in range(n):
                Ps_out[k, i, j] = P[i, j]
    return 0


__all__ = ["UKF_ALPHA", "UKF_BETA", "UKF_KAPPA", "propagate_batch", "ukf_track"]
