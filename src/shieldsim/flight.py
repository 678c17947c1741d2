"""Equations of motion, the batch integrator with events, and the ``Trajectory`` result.

Equations of motion (inertial frame coinciding with ECEF at t = 0, see ``earth.py``)::

    dr/dt = v
    dv/dt = g(r) + T(t)/m(t) * d(t) - D / m(t) * v_rel / |v_rel|,   v_rel = v - omega x r

with g the point-mass or J2 gravity, T the thrust (vacuum thrust minus ambient pressure
times nozzle exit area), d the guidance direction (vertical rise, pitch-over to the kick
angle at the launch azimuth, then gravity turn along v_rel), and D the aerodynamic drag
(0.5 rho |v_rel|^2 C_D(Mach) A in boost; 0.5 rho |v_rel|^2 m / beta for the payload).
Mass is an exact function of time (constant mass flow per stage), so the state is (r, v).

Integrator: Dormand-Prince 5(4) with adaptive steps (Hairer, Norsett & Wanner, *Solving
Ordinary Differential Equations I*, 2nd ed., sec. II.4-II.5, table 5.2), compiled with
Numba and run in parallel over the batch axis (small batches on one thread: below
``SERIAL_MAX_TRAJECTORIES`` trajectories, or ``SERIAL_MAX_POINTS`` points of dense output, the
thread pool costs more than it saves). Every discontinuity of the right-hand side
(end of vertical rise, end of pitch-over, stage burnouts, thrust termination) is a step
boundary, so each step integrates a smooth function. Dense output is a cubic Hermite
interpolant on the stored (r, v, a) samples; events (apogee: r.v = 0 going from climbing to
descending, the highest such point, or t = 0 for a free flight that starts level or
descending; reentry at 100 km, impact at geodetic altitude 0) are located on it by bisection to 1e-5 s.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# GNU OpenMP (Numba's "omp" threading layer) keeps its threads spinning for ~300,000 iterations
# after every parallel region: 4-8 ms of CPU per kernel call on 2 cores, whatever the work, and
# worse on a busy machine. Passive waiting puts them to sleep at once (about 15 us CPU and 60 us
# wall per call instead). It must be set before the first parallel kernel runs; a value the
# user set is kept. See benchmarks/bench_small_batches.py.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from numba import njit, prange  # noqa: E402

from . import cache as _cache  # noqa: F401  (kernels cached per code hash: must precede the decorators)
from . import earth as E
from .vehicles import MACH_GRID, MAX_STAGES, Rocket, cd_values, stage_table

# Per-trajectory inputs of the integrator: one record per trajectory (``flight_params``).
FLIGHT_PARAMS = np.dtype([
    ("t_vertical_s", np.float64),  # end of the vertical rise
    ("t_pitch_s", np.float64),  # end of the pitch-over
    ("kick_rad", np.float64),  # thrust angle from the local vertical at the end of the pitch-over
    ("azimuth_rad", np.float64),  # launch azimuth, clockwise from north
    ("t_end_s", np.float64),  # end of powered flight (cut-off or burnout)
    ("ref_area_m2", np.float64),  # booster reference area (drag in boost)
    ("beta_kg_m2", np.float64),  # payload ballistic coefficient after powered flight; inf: no drag
    ("powered", np.bool_),  # False: a free flight from the initial state
    ("hold_pitch", np.bool_),  # "hold-pitch" guidance instead of the gravity turn
], align=True)
GUIDANCE = ("gravity-turn", "hold-pitch")
REENTRY_ALT_M = 100e3
# Integration tolerances: chosen so that a 30-minute ICBM arc in free flight lands within a few
# metres of a DOP853 reference at rtol 1e-12 (tests/validation/test_reference_integration.py).
# Powered flight is looser: burnout within 1e-4 relative (5-7 m, 0.1-0.2 m/s: up to ~100 m of
# range), from ATOL on velocity across the kinks of the C_D(Mach) table
# (tests/validation/test_powered_flight_reference.py).
RTOL = 1e-9
ATOL = 1e-3
EVENT_TOL_S = 1e-5
DEFAULT_T_MAX_S = 7200.0

# DOPRI5 tableau (Hairer, Norsett & Wanner, table 5.2).
_C = np.array([0.0, 0.2, 0.3, 0.8, 8.0 / 9.0, 1.0, 1.0])
_A = np.zeros((7, 7))
_A[1, 0] = 0.2
_A[2, :2] = [3 / 40, 9 / 40]
_A[3, :3] = [44 / 45, -56 / 15, 32 / 9]
_A[4, :4] = [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729]
_A[5, :5] = [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656]
_A[6, :6] = [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]
_B = _A[6].copy()
_EC = np.array([71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40])


@njit(cache=True)
def _deriv(t, tphase, y, out, p, stab, cdv, earth, grav, omega):
    """Right-hand side; ``tphase`` (a time inside the current step) selects the regime."""
    x, yy, z = y[0], y[1], y[2]
    gx, gy, gz = E.gravity_scalar(x, yy, z, grav)
    out[0], out[1], out[2] = y[3], y[4], y[5]
    powered = p.powered and tphase < p.t_end_s
    if not powered and math.isinf(p.beta_kg_m2):
        # Vacuum coast: gravity only (no need for the geodetic altitude).
        out[3], out[4], out[5] = gx, gy, gz
        return
    vrx = y[3] + omega * yy
    vry = y[4] - omega * x
    vrz = y[5]
    vrel = math.sqrt(vrx * vrx + vry * vry + vrz * vrz)
    lat, lon, h = E._geodetic_scalar(x, yy, z, earth)
    ax, ay, az = gx, gy, gz
    rho = E.density_scalar(h) if h < 1.0e6 else 0.0
    if powered:
        i = 0
        for j in range(MAX_STAGES):
            if tphase >= stab[j, 0] and tphase < stab[j, 1]:
                i = j
        m = stab[i, 2] - stab[i, 3] * (t - stab[i, 0])
        thrust = stab[i, 4] - E.pressure_scalar(h) * stab[i, 5]
        cl, sl = math.cos(lat), math.sin(lat)
        co, so = math.cos(lon), math.sin(lon)
        ux, uy, uz = cl * co, cl * so, sl
        if tphase < p.t_vertical_s:
            dx, dy, dz = ux, uy, uz
        elif tphase < p.t_pitch_s or p.hold_pitch:
            # Pitch-over: tilt toward the azimuth to the kick angle; with hold-pitch guidance
            # the thrust then stays at the kick angle from the local vertical.
            th = p.kick_rad * min(1.0, (t - p.t_vertical_s) / (p.t_pitch_s - p.t_vertical_s))
            caz, saz = math.cos(p.azimuth_rad), math.sin(p.azimuth_rad)
            hx = caz * (-sl * co) + saz * (-so)
            hy = caz * (-sl * so) + saz * co
            hz = caz * cl
            c, s = math.cos(th), math.sin(th)
            dx, dy, dz = c * ux + s * hx, c * uy + s * hy, c * uz + s * hz
        elif vrel > 0.0:
            dx, dy, dz = vrx / vrel, vry / vrel, vrz / vrel
        else:
            dx, dy, dz = ux, uy, uz
        ax += thrust / m * dx
        ay += thrust / m * dy
        az += thrust / m * dz
        if rho > 0.0 and vrel > 0.0:
            a_snd = E.speed_of_sound_scalar(h)
            mach = vrel / a_snd
            cd = np.interp(mach, MACH_GRID, cdv)
            k = 0.5 * rho * vrel * cd * p.ref_area_m2 / m
            ax -= k * vrx
            ay -= k * vry
            az -= k * vrz
    elif rho > 0.0 and not math.isinf(p.beta_kg_m2):
        k = 0.5 * rho * vrel / p.beta_kg_m2
        ax -= k * vrx
        ay -= k * vry
        az -= k * vrz
    out[3], out[4], out[5] = ax, ay, az


@njit(cache=True)
def _hermite(t0, t1, r0, v0, a0, r1, v1, a1, t, out):
    """Cubic Hermite of position (from r, v) and velocity (from v, a) at time t in [t0, t1]."""
    h = t1 - t0
    if h <= 0.0:
        for j in range(3):
            out[j] = r0[j]
            out[3 + j] = v0[j]
        return
    s = (t - t0) / h
    h00 = 2 * s**3 - 3 * s**2 + 1
    h10 = s**3 - 2 * s**2 + s
    h01 = -2 * s**3 + 3 * s**2
    h11 = s**3 - s**2
    for j in range(3):
        out[j] = h00 * r0[j] + h10 * h * v0[j] + h01 * r1[j] + h11 * h * v1[j]
        out[3 + j] = h00 * v0[j] + h10 * h * a0[j] + h01 * v1[j] + h11 * h * a1[j]


@njit(cache=True)
def _hermite_position(t0, t1, r0, v0, r1, v1, t):
    """The position part of ``_hermite`` (the same operations, so the same bits) as a tuple."""
    h = t1 - t0
    if h <= 0.0:
        return r0[0], r0[1], r0[2]
    s = (t - t0) / h
    h00 = 2 * s**3 - 3 * s**2 + 1
    h10 = s**3 - 2 * s**2 + s
    h01 = -2 * s**3 + 3 * s**2
    h11 = s**3 - s**2
    return (h00 * r0[0] + h10 * h * v0[0] + h01 * r1[0] + h11 * h * v1[0],
            h00 * r0[1] + h10 * h * v0[1] + h01 * r1[1] + h11 * h * v1[1],
            h00 * r0[2] + h10 * h * v0[2] + h01 * r1[2] + h11 * h * v1[2])


@njit(cache=True)
def _event_value(kind, st, earth):
    if kind == 0:  # apogee: radial velocity
        return st[0] * st[3] + st[1] * st[4] + st[2] * st[5]
    h = E.altitude_scalar(st[0], st[1], st[2], earth)
    if kind == 1:
        return h - REENTRY_ALT_M
    return h


@njit(cache=True)
def _locate(kind, t0, t1, r0, v0, a0, r1, v1, a1, earth, tmp):
    """Root of an event function on the Hermite interpolant of one step, to EVENT_TOL_S.

    Illinois (modified regula falsi: Dowell & Jarratt, BIT 11, 1971) with a bisection
    fallback: a handful of evaluations instead of bisection's ~25.
    """
    _hermite(t0, t1, r0, v0, a0, r1, v1, a1, t0, tmp)
    fa = _event_value(kind, tmp, earth)
    _hermite(t0, t1, r0, v0, a0, r1, v1, a1, t1, tmp)
    fb = _event_value(kind, tmp, earth)
    a, b = t0, t1
    side = 0
    t = 0.5 * (a + b)
    for _ in range(60):
        if fb != fa:
            t = b - fb * (b - a) / (fb - fa)
        if not (t > a and t < b):
            t = 0.5 * (a + b)
        _hermite(t0, t1, r0, v0, a0, r1, v1, a1, t, tmp)
        ft = _event_value(kind, tmp, earth)
        if (ft > 0.0) == (fb > 0.0):
            b, fb = t, ft
            if side == 1:
                fa *= 0.5
            side = 1
        else:
            a, fa = t, ft
            if side == -1:
                fb *= 0.5
            side = -1
        if b - a < EVENT_TOL_S or ft == 0.0:
            break
        # Regula falsi converges from one side: stop once the last step moved less than the tolerance.
        if side == 1 and abs(t - a) < EVENT_TOL_S * 0.5:
            break
        if side == -1 and abs(b - t) < EVENT_TOL_S * 0.5:
            break
    _hermite(t0, t1, r0, v0, a0, r1, v1, a1, t, tmp)
    return t


# Result columns per trajectory (events).
EV_T_END, EV_T_APO, EV_T_REENTRY, EV_T_IMPACT, EV_OVERFLOW = range(5)
N_EV = 5


@njit(cache=True)
def _breakpoints(p, stab):
    """Step boundaries, sorted: ends of the vertical rise, the pitch-over, each stage, powered flight."""
    bps = np.empty(3 + MAX_STAGES)
    nb = 0
    if p.powered:
        bps[0] = p.t_vertical_s
        bps[1] = p.t_pitch_s
        nb = 2
        for j in range(MAX_STAGES):
            if stab[j, 1] > stab[j, 0] and stab[j, 1] < p.t_end_s:
                bps[nb] = stab[j, 1]
                nb += 1
        bps[nb] = p.t_end_s
        nb += 1
    bps[:nb].sort()
    return bps, nb


@njit(cache=True)
def _start(y, a0, p, cap, out_t, out_y, out_ev, out_bo, out_imp, out_apo):
    """The outputs at t = 0 (acceleration ``a0``): no events yet, the first sample; a free flight's
    burnout state is its start, and so is its apogee if it starts level or descending. Returns
    the number of samples stored."""
    out_ev[EV_T_END] = np.nan if p.powered else 0.0
    if not p.powered:
        for j in range(6):
            out_bo[j] = y[j]
    out_ev[EV_T_APO] = np.nan
    out_ev[EV_T_REENTRY] = np.nan
    out_ev[EV_T_IMPACT] = np.nan
    out_ev[EV_OVERFLOW] = 0.0
    for j in range(6):
        out_imp[j] = np.nan
        out_apo[j] = np.nan
    if not p.powered and y[0] * y[3] + y[1] * y[4] + y[2] * y[5] <= 0.0:
        out_ev[EV_T_APO] = 0.0
        for j in range(6):
            out_apo[j] = y[j]
    if cap == 0:
        return 0
    out_t[0] = 0.0
    for j in range(6):
        out_y[0, j] = y[j]
    for j in range(3):
        out_y[0, 6 + j] = a0[3 + j]
        out_y[0, 9 + j] = a0[3 + j]
    return 1


@njit(cache=True)
def _dopri_step(t, h, y, k, ytmp, ynew, fsal_ok, p, stab, cdv, earth, grav, omega):
    """One Dormand-Prince step of size h from (t, y) into ``ynew`` (stages in k; k[0] reused
    when ``fsal_ok``); returns the RMS error scaled by ATOL + RTOL |y|."""
    tphase = t + 0.5 * h
    if not fsal_ok:
        _deriv(t, tphase, y, k[0], p, stab, cdv, earth, grav, omega)
    for s in range(1, 7):
        for j in range(6):
            acc = y[j]
            for q in range(s):
                acc += h * _A[s, q] * k[q, j]
            ytmp[j] = acc
        _deriv(t + _C[s] * h, tphase, ytmp, k[s], p, stab, cdv, earth, grav, omega)
    for j in range(6):
        ynew[j] = ytmp[j]
    err = 0.0
    for j in range(6):
        e = 0.0
        for q in range(7):
            e += _EC[q] * k[q, j]
        sc = ATOL + RTOL * max(abs(y[j]), abs(ynew[j]))
        err += (h * e / sc) ** 2
    return math.sqrt(err / 6.0)


@njit(cache=True)
def _step_events(t, t_new, y, ynew, k, a_minus, alt_prev, alt_new, rv_prev, rv_new, p, earth, tmp, out_ev, out_imp,
                 out_apo):
    """Apogee, reentry and impact on the accepted step [t, t_new], located on its dense output;
    True at impact (the flight ends)."""
    if rv_prev > 0.0 and rv_new <= 0.0:
        # A maximum of |r| (also one in powered flight, e.g. a low-thrust stage that
        # stalls): keep the highest.
        ta = _locate(0, t, t_new, y[:3], y[3:], k[0, 3:], ynew[:3], ynew[3:], a_minus, earth, tmp)
        ra = tmp[0] * tmp[0] + tmp[1] * tmp[1] + tmp[2] * tmp[2]
        rb = out_apo[0] * out_apo[0] + out_apo[1] * out_apo[1] + out_apo[2] * out_apo[2]
        if np.isnan(out_ev[EV_T_APO]) or ra > rb:
            out_ev[EV_T_APO] = ta
            for j in range(6):
                out_apo[j] = tmp[j]
    powered_done = (not p.powered) or t_new >= p.t_end_s - 1e-12
    if powered_done and alt_prev >= REENTRY_ALT_M and alt_new < REENTRY_ALT_M and rv_new < 0.0 \
            and np.isnan(out_ev[EV_T_REENTRY]):
        out_ev[EV_T_REENTRY] = _locate(1, t, t_new, y[:3], y[3:], k[0, 3:], ynew[:3], ynew[3:], a_minus, earth, tmp)
    if alt_prev >= 0.0 and alt_new < 0.0 and t_new > 1.0:
        out_ev[EV_T_IMPACT] = _locate(2, t, t_new, y[:3], y[3:], k[0, 3:], ynew[:3], ynew[3:], a_minus, earth, tmp)
        for j in range(6):
            out_imp[j] = tmp[j]
        return True
    return False


@njit(cache=True)
def _store_sample(n, cap, t_new, ynew, a_minus, out_t, out_y, out_ev):
    """Append the sample (t, r, v, a before = a after) of an accepted step; flag an overflow."""
    if cap == 0:
        return n
    if n >= cap:
        out_ev[EV_OVERFLOW] = 1.0
        return n
    out_t[n] = t_new
    for j in range(6):
        out_y[n, j] = ynew[j]
    for j in range(3):
        out_y[n, 9 + j] = a_minus[j]
        out_y[n, 6 + j] = a_minus[j]
    return n + 1


@njit(cache=True)
def _cross_breakpoint(t, y, k, n, cap, p, stab, cdv, earth, grav, omega, out_y, out_ev, out_bo):
    """At a step boundary: the burnout state at the end of powered flight; the right-hand side
    jumps, so the start-of-step acceleration is re-evaluated in the new regime (no FSAL reuse)
    and stored as the last sample's acceleration "after", which the next step's dense output uses."""
    if p.powered and abs(t - p.t_end_s) < 1e-9:
        out_ev[EV_T_END] = t
        for j in range(6):
            out_bo[j] = y[j]
    _deriv(t, t + 1e-9, y, k[0], p, stab, cdv, earth, grav, omega)
    if cap > 0 and n - 1 < cap and n > 0:
        for j in range(3):
            out_y[n - 1, 6 + j] = k[0, 3 + j]


@njit(cache=True)
def _integrate_one(y0, p, stab, cdv, earth, grav, omega, t_max, cap, out_t, out_y, out_ev, out_bo, out_imp, out_apo):
    """Integrate one trajectory (``p``: a ``FLIGHT_PARAMS`` record) from t = 0; fills samples,
    events, burnout and impact states; returns the number of samples."""
    y = y0.copy()
    ynew = np.empty(6)
    ytmp = np.empty(6)
    k = np.empty((7, 6))
    tmp = np.empty(6)
    a_minus = np.empty(3)
    bps, nb = _breakpoints(p, stab)
    ib = 0
    t = 0.0
    h = 1.0
    _deriv(t, t + 1e-9, y, k[0], p, stab, cdv, earth, grav, omega)
    n = _start(y, k[0], p, cap, out_t, out_y, out_ev, out_bo, out_imp, out_apo)
    alt_prev = E.altitude_scalar(y[0], y[1], y[2], earth)
    rv_prev = y[0] * y[3] + y[1] * y[4] + y[2] * y[5]
    fsal_ok = True
    while t < t_max:
        while ib < nb and bps[ib] <= t + 1e-12:
            ib += 1
        hit_bp = ib < nb and t + h >= bps[ib]
        if hit_bp:
            h = bps[ib] - t
        err = _dopri_step(t, h, y, k, ytmp, ynew, fsal_ok, p, stab, cdv, earth, grav, omega)
        if err > 1.0:
            h *= max(0.2, 0.9 * err ** -0.2)
            fsal_ok = False
            continue
        t_new = t + h
        alt_new = E.altitude_scalar(ynew[0], ynew[1], ynew[2], earth)
        rv_new = ynew[0] * ynew[3] + ynew[1] * ynew[4] + ynew[2] * ynew[5]
        for j in range(3):
            a_minus[j] = k[6, 3 + j]
        stop = _step_events(t, t_new, y, ynew, k, a_minus, alt_prev, alt_new, rv_prev, rv_new, p, earth, tmp, out_ev,
                            out_imp, out_apo)
        n = _store_sample(n, cap, t_new, ynew, a_minus, out_t, out_y, out_ev)
        for j in range(6):
            y[j] = ynew[j]
        t = t_new
        alt_prev = alt_new
        rv_prev = rv_new
        if hit_bp:
            _cross_breakpoint(t, y, k, n, cap, p, stab, cdv, earth, grav, omega, out_y, out_ev, out_bo)
        else:
            for j in range(6):
                k[0, j] = k[6, j]
        fsal_ok = True
        if stop:
            if cap > 0 and n > 0 and n <= cap:
                # Trim the last sample to the impact point so the dense output ends there.
                out_t[n - 1] = out_ev[EV_T_IMPACT]
                for j in range(6):
                    out_y[n - 1, j] = out_imp[j]
            break
        fac = 0.9 * err ** -0.2 if err > 0 else 5.0
        h *= min(5.0, max(0.2, fac))
    return n


@njit(parallel=True, cache=True)
def _integrate_batch(y0, params, stabs, cdvs, earth, grav, omega, t_max, cap, out_t, out_y, out_n, out_ev, out_bo,
                     out_imp, out_apo):
    nb = y0.shape[0]
    for i in prange(nb):
        out_n[i] = _integrate_one(y0[i], params[i], stabs[i], cdvs[i], earth, grav, omega, t_max, cap,
                                  out_t[i], out_y[i], out_ev[i], out_bo[i], out_imp[i], out_apo[i])


@njit(cache=True)
def _integrate_serial(y0, params, stabs, cdvs, earth, grav, omega, t_max, cap, out_t, out_y, out_n, out_ev, out_bo,
                      out_imp, out_apo):
    """``_integrate_batch`` on one thread: small batches skip the thread pool (see ``SERIAL_MAX_TRAJECTORIES``)."""
    nb = y0.shape[0]
    for i in range(nb):
        out_n[i] = _integrate_one(y0[i], params[i], stabs[i], cdvs[i], earth, grav, omega, t_max, cap,
                                  out_t[i], out_y[i], out_ev[i], out_bo[i], out_imp[i], out_apo[i])


@njit(cache=True)
def hermite_state(ts, ys, m, t, out):
    """Dense output (r, v in ECI) of one trajectory (samples ts[:m], ys[:m]) at time t into
    out (6,); NaN outside the flight."""
    if m < 2 or not (t >= ts[0] and t <= ts[m - 1]):
        for j in range(6):
            out[j] = np.nan
        return
    lo = E.bracket(ts, m, t)
    hi = lo + 1
    _hermite(ts[lo], ts[hi], ys[lo, 0:3], ys[lo, 3:6], ys[lo, 6:9], ys[hi, 0:3], ys[hi, 3:6], ys[hi, 9:12], t, out)


@njit(cache=True)
def _eval_one(ts, ys, m, tq, out):
    """Dense output of one trajectory (samples ts[:m], ys[:m]) at times tq (k,) -> out (k, 6)."""
    for q in range(tq.size):
        hermite_state(ts, ys, m, tq[q], out[q])


@njit(parallel=True, cache=True)
def _eval_batch(ts, ys, ns, tq, out):
    """Evaluate the dense output of every trajectory at times tq (n, k) -> out (n, k, 6)."""
    for i in prange(tq.shape[0]):
        _eval_one(ts[i], ys[i], ns[i], tq[i], out[i])


@njit(cache=True)
def _eval_serial(ts, ys, ns, tq, out):
    """``_eval_batch`` on one thread (small requests, see ``SERIAL_MAX_POINTS``)."""
    for i in range(tq.shape[0]):
        _eval_one(ts[i], ys[i], ns[i], tq[i], out[i])


# Below these sizes a batch runs on one thread. Measured (benchmarks/bench_small_batches.py, 2
# vCPUs, free flights of ~15-20 us each): one thread costs less CPU at every size, and the
# thread pool saves no wall time below ~250 trajectories on a shared machine; 64 (about 1 ms
# of work; 20,000 dense-output points likewise) keeps every call of `fly` and the targeting
# solver's small batches off the pool, and the large ones (fans, footprints) on it.
SERIAL_MAX_TRAJECTORIES = 64
SERIAL_MAX_POINTS = 20000


def _integrate(*args):
    """Integrate a batch (the arguments of ``_integrate_batch``), on one thread if it is small."""
    n = args[0].shape[0]
    (_integrate_serial if n <= SERIAL_MAX_TRAJECTORIES else _integrate_batch)(*args)


def _eval(ts, ys, ns, tq, out):
    """Dense output at times tq (n, k) into out (n, k, 6), on one thread if the request is small."""
    (_eval_serial if tq.size <= SERIAL_MAX_POINTS or tq.shape[0] < 2 else _eval_batch)(ts, ys, ns, tq, out)


@dataclass
class Trajectory:
    """A batch of n flights, each launched at its own t = 0 (seconds after launch).

    Positions are stored in the inertial frame that coincides with ECEF at launch; the
    ``*_ecef`` methods rotate them into the Earth-fixed frame. NaN marks "never"
    (``t_impact`` of a flight that goes into orbit) and times outside a flight.
    """

    t: np.ndarray  # (n, K) sample times
    y: np.ndarray  # (n, K, 12) r, v, a(after), a(before) in ECI
    nsteps: np.ndarray  # (n,)
    events: np.ndarray  # (n, N_EV)
    burnout_state: np.ndarray  # (n, 6) ECI state at end of powered flight (t=0 state for free flight)
    impact_state: np.ndarray  # (n, 6) ECI state at impact (NaN if none)
    apogee_state: np.ndarray  # (n, 6) ECI state at apogee (NaN if none)
    launch_lat_rad: np.ndarray
    launch_lon_rad: np.ndarray
    earth: int = E.EARTH_WGS84
    rotation: bool = True

    @property
    def n(self) -> int:
        return self.events.shape[0]

    @property
    def omega(self) -> float:
        return E.OMEGA_EARTH if self.rotation else 0.0

    @property
    def t_burnout(self) -> np.ndarray:
        return self.events[:, EV_T_END]

    @property
    def t_apogee(self) -> np.ndarray:
        return self.events[:, EV_T_APO]

    @property
    def t_reentry(self) -> np.ndarray:
        return self.events[:, EV_T_REENTRY]

    @property
    def t_impact(self) -> np.ndarray:
        return self.events[:, EV_T_IMPACT]

    def __getitem__(self, idx) -> "Trajectory":
        idx = np.atleast_1d(np.arange(self.n)[idx])
        return Trajectory(self.t[idx], self.y[idx], self.nsteps[idx], self.events[idx], self.burnout_state[idx],
                          self.impact_state[idx], self.apogee_state[idx], self.launch_lat_rad[idx], self.launch_lon_rad[idx],
                          self.earth, self.rotation)

    def _tq(self, t) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        if t.ndim == 0:
            t = t[None]
        if t.ndim == 1:
            t = np.broadcast_to(t, (self.n, t.shape[0]))
        return np.ascontiguousarray(t, dtype=float)

    def state_eci(self, t):
        """(r, v) in the inertial frame at times t ((k,) or (n, k)); each (n, k, 3)."""
        if self.t.shape[1] == 0:
            raise ValueError("this Trajectory was integrated without dense output (dense=False)")
        tq = self._tq(t)
        out = np.empty(tq.shape + (6,))
        _eval(self.t, self.y, self.nsteps, tq, out)
        return out[..., :3], out[..., 3:]

    def position_ecef(self, t) -> np.ndarray:
        r, _ = self.state_eci(t)
        return E.eci_to_ecef(r, self._tq(t), self.rotation)

    def velocity_ecef(self, t) -> np.ndarray:
        """Earth-relative velocity expressed in ECEF, (n, k, 3)."""
        r, v = self.state_eci(t)
        w = self.omega
        vrel = v.copy()
        vrel[..., 0] += w * r[..., 1]
        vrel[..., 1] -= w * r[..., 0]
        return E.eci_to_ecef(vrel, self._tq(t), self.rotation)

    def geodetic(self, t):
        """(lat_rad, lon_rad, alt_m) at times t, each (n, k)."""
        p = self.position_ecef(t)
        return E.ecef_to_geodetic(p[..., 0], p[..., 1], p[..., 2], self.earth)

    def _ecef_point(self, state, t):
        r = E.eci_to_ecef(state[:, :3], t, self.rotation)
        return E.ecef_to_geodetic(r[:, 0], r[:, 1], r[:, 2], self.earth)

    def impact_geodetic(self):
        """(lat_rad, lon_rad) of the impact points (NaN where none)."""
        lat, lon, _ = self._ecef_point(self.impact_state, np.nan_to_num(self.t_impact))
        bad = ~np.isfinite(self.t_impact)
        return np.where(bad, np.nan, lat), np.where(bad, np.nan, lon)

    def burnout_relative(self):
        """(speed m/s relative to the ground, altitude m) at the end of powered flight."""
        s = self.burnout_state
        w = self.omega
        vr = s[:, 3:].copy()
        vr[:, 0] += w * s[:, 1]
        vr[:, 1] -= w * s[:, 0]
        _, _, alt = E.ecef_to_geodetic(s[:, 0], s[:, 1], s[:, 2], self.earth)
        return np.linalg.norm(vr, axis=1), alt

    def apogee_alt_m(self) -> np.ndarray:
        """Geodetic altitude at the apogee event (maximum of |r|; NaN if none)."""
        s = self.apogee_state
        return E.ecef_to_geodetic(s[:, 0], s[:, 1], s[:, 2], self.earth)[2]

    def ground_range_m(self) -> np.ndarray:
        """Surface distance from the launch (or burnout) point to impact."""
        lat, lon = self.impact_geodetic()
        return E.ground_range_m(self.launch_lat_rad, self.launch_lon_rad, lat, lon, self.earth)

    def sample(self, dt_s: float):
        """Times every dt_s from 0 to each impact (or end), and geodetic samples there.

        Returns a list (one entry per trajectory) of dicts of arrays t_s, lat_deg, lon_deg, alt_km.
        """
        out = []
        for i in range(self.n):
            t_end = self.t_impact[i] if np.isfinite(self.t_impact[i]) else self.t[i, self.nsteps[i] - 1]
            ts = np.arange(0.0, t_end, dt_s)
            ts = np.append(ts, t_end)
            lat, lon, alt = self[i].geodetic(ts)
            out.append({"t_s": ts, "lat_deg": np.degrees(lat[0]), "lon_deg": np.degrees(lon[0]), "alt_km": alt[0] / 1e3})
        return out


def _gravity_code(gravity: str | None, earth: int) -> int:
    if gravity is None:
        return E.GRAVITY_J2 if earth == E.EARTH_WGS84 else E.GRAVITY_POINT
    return {"j2": E.GRAVITY_J2, "point": E.GRAVITY_POINT}[gravity]


def _run(y0, params, stabs, cdvs, lat0, lon0, earth, gravity, rotation, dense, t_max, cap=64) -> Trajectory:
    """Integrate a batch; flights that outgrow the sample buffer are re-run with a larger one."""
    n = y0.shape[0]
    omega = E.OMEGA_EARTH if rotation else 0.0
    grav = _gravity_code(gravity, earth)
    cap_now = cap if dense else 0
    out_t = np.empty((n, cap_now))
    out_y = np.empty((n, cap_now, 12))
    out_n = np.zeros(n, dtype=np.int64)
    ev = np.empty((n, N_EV))
    bo = np.full((n, 6), np.nan)
    imp = np.empty((n, 6))
    apo = np.empty((n, 6))
    _integrate(y0, params, stabs, cdvs, earth, grav, omega, float(t_max), cap_now, out_t, out_y, out_n, ev, bo, imp,
               apo)
    over = np.flatnonzero(ev[:, EV_OVERFLOW] > 0) if dense else np.empty(0, dtype=int)
    if over.size:
        sub = _run(np.ascontiguousarray(y0[over]), np.ascontiguousarray(params[over]),
                   np.ascontiguousarray(stabs[over]), np.ascontiguousarray(cdvs[over]), lat0[over], lon0[over],
                   earth, gravity, rotation, dense, t_max, cap * 4)
        width = max(cap_now, sub.t.shape[1])
        if width > cap_now:
            out_t = np.concatenate([out_t, np.empty((n, width - cap_now))], axis=1)
            out_y = np.concatenate([out_y, np.empty((n, width - cap_now, 12))], axis=1)
        out_t[over, : sub.t.shape[1]] = sub.t
        out_y[over, : sub.t.shape[1]] = sub.y
        out_n[over], ev[over], bo[over], imp[over], apo[over] = sub.nsteps, sub.events, sub.burnout_state, \
            sub.impact_state, sub.apogee_state
    if dense and out_n.max() < 0.75 * out_t.shape[1]:
        used = max(int(out_n.max()), 2)
        out_t, out_y = np.ascontiguousarray(out_t[:, :used]), np.ascontiguousarray(out_y[:, :used])
    return Trajectory(out_t, out_y, out_n, ev, bo, imp, apo, np.asarray(lat0, float), np.asarray(lon0, float),
                      earth, rotation)


def flight_params(n: int) -> np.ndarray:
    """n ``FLIGHT_PARAMS`` records of free flights without drag (fields set per use)."""
    params = np.zeros(n, FLIGHT_PARAMS)
    params["beta_kg_m2"] = np.inf
    return params


def launch_state(lat_rad, lon_rad, alt_m, earth: int, rotation: bool):
    """ECI state (n, 6) of points at rest on the rotating Earth at t = 0."""
    x, y, z = E.geodetic_to_ecef(lat_rad, lon_rad, alt_m, earth)
    r = np.stack(np.broadcast_arrays(x, y, z), axis=-1).reshape(-1, 3)
    w = E.OMEGA_EARTH if rotation else 0.0
    v = np.stack([-w * r[:, 1], w * r[:, 0], np.zeros(len(r))], axis=-1)
    return np.concatenate([r, v], axis=1)


def _pack_rockets(rockets, lat_rad, lon_rad, alt_m, azimuth_rad, kick_rad, t_cutoff_s, earth, rotation, guidance):
    """The batch ``fly_rockets`` integrates: (y0, ``FLIGHT_PARAMS`` records, stabs, cdvs, lat, lon, earth code)."""
    ecode = E.earth_code(earth)
    lat, lon, alt, az, kick, tcut = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float)).ravel()
                                                         for v in (lat_rad, lon_rad, alt_m, azimuth_rad, kick_rad, t_cutoff_s)))
    n = lat.size
    if isinstance(rockets, Rocket):
        rockets = [rockets]
    rockets = list(rockets)
    # Per distinct rocket once (a fan is thousands of one booster), then gathered per trajectory.
    slot: dict[int, int] = {}
    uniq = []
    which = np.empty(len(rockets), dtype=np.int64)
    for j, r in enumerate(rockets):
        k = slot.get(id(r))
        if k is None:
            k = slot[id(r)] = len(uniq)
            uniq.append(r)
        which[j] = k
    if len(rockets) == 1:
        which = np.zeros(n, dtype=np.int64)
    if which.size != n:
        raise ValueError(f"{len(rockets)} rockets for {n} trajectories")
    stabs = np.stack([stage_table(r) for r in uniq])[which]
    cdvs = np.stack([cd_values(r) for r in uniq])[which]

    def per_rocket(values):
        return np.array(values, dtype=float)[which]

    params = flight_params(n)
    params["t_vertical_s"] = per_rocket([r.rise_s for r in uniq])
    params["t_pitch_s"] = params["t_vertical_s"] + per_rocket([r.pitch_over_s for r in uniq])
    params["kick_rad"] = kick
    params["azimuth_rad"] = az
    burn = per_rocket([r.burn_time_s for r in uniq])
    params["t_end_s"] = np.minimum(tcut, burn)
    params["ref_area_m2"] = per_rocket([r.reference_area_m2 for r in uniq])
    params["beta_kg_m2"] = per_rocket([r.payload.beta_kg_m2 for r in uniq])
    params["powered"] = True
    g = np.broadcast_to(np.asarray(guidance, dtype=object), (n,))
    bad = [x for x in set(g.tolist()) if x not in GUIDANCE]
    if bad:
        raise ValueError(f"unknown guidance {bad[0]!r}; use one of {GUIDANCE}")
    params["hold_pitch"] = g == "hold-pitch"
    y0 = launch_state(lat, lon, alt, ecode, rotation)
    return y0, params, stabs, cdvs, lat, lon, ecode


def fly_rockets(rockets: Rocket | Sequence[Rocket], lat_rad, lon_rad, alt_m, azimuth_rad, kick_rad, t_cutoff_s=np.inf, *,
                earth: str = "wgs84", rotation: bool = True, gravity: str | None = None, dense: bool = True,
                t_max_s: float = DEFAULT_T_MAX_S, guidance="gravity-turn") -> Trajectory:
    """Fly a batch of rockets from launch points with given azimuths, kick angles, cut-offs.

    Arrays broadcast to a common batch shape (flattened); ``rockets`` is one Rocket or one
    per trajectory. ``guidance`` (one word or one per trajectory): ``gravity-turn`` (thrust
    along the air-relative velocity after the pitch-over: threats and the default) or
    ``hold-pitch`` (thrust held at the kick angle from the local vertical: the steered,
    flat paths of an interceptor). Returns a ``Trajectory`` of the whole batch.
    """
    y0, params, stabs, cdvs, lat, lon, ecode = _pack_rockets(rockets, lat_rad, lon_rad, alt_m, azimuth_rad, kick_rad,
                                                             t_cutoff_s, earth, rotation, guidance)
    return _run(y0, params, stabs, cdvs, lat, lon, ecode, gravity, rotation, dense, t_max_s)


def free_flight_states(r_eci, v_eci, beta_kg_m2=np.inf, *, lat_rad=None, lon_rad=None, earth: str = "wgs84",
                       rotation: bool = True, gravity: str | None = None, dense: bool = True,
                       t_max_s: float = DEFAULT_T_MAX_S) -> Trajectory:
    """Coast from inertial states (n, 3) at t = 0 (drag if beta is finite) until impact."""
    ecode = E.earth_code(earth)
    r = np.atleast_2d(np.asarray(r_eci, dtype=float))
    v = np.atleast_2d(np.asarray(v_eci, dtype=float))
    n = r.shape[0]
    params = flight_params(n)
    params["beta_kg_m2"] = np.broadcast_to(np.asarray(beta_kg_m2, dtype=float), (n,))
    stabs = np.zeros((n, MAX_STAGES, 6))
    cdvs = np.zeros((n, MACH_GRID.size))
    if lat_rad is None:
        lat_rad, lon_rad, _ = E.ecef_to_geodetic(r[:, 0], r[:, 1], r[:, 2], ecode)
    y0 = np.concatenate([r, v], axis=1)
    return _run(y0, params, stabs, cdvs, lat_rad, lon_rad, ecode, gravity, rotation, dense, t_max_s)


def burnout_state(lat_rad, lon_rad, alt_m, speed_m_s, gamma_rad, azimuth_rad, earth: int, rotation: bool):
    """Inertial (r, v) at t = 0 of a state given relative to the rotating Earth.

    Speed relative to the ground, flight-path angle above the local geodetic horizontal,
    azimuth clockwise from north.
    """
    lat, lon, alt, spd, gam, az = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=float)).ravel()
                                                       for a in (lat_rad, lon_rad, alt_m, speed_m_s, gamma_rad, azimuth_rad)))
    x, y, z = E.geodetic_to_ecef(lat, lon, alt, earth)
    r = np.stack([x, y, z], axis=-1)
    if earth == E.EARTH_SPHERE:
        glat = np.arcsin(z / np.linalg.norm(r, axis=1))
    else:
        glat = lat
    east, north, up = E.enu_basis(glat, lon)
    horiz = np.cos(az)[:, None] * north + np.sin(az)[:, None] * east
    v = spd[:, None] * (np.cos(gam)[:, None] * horiz + np.sin(gam)[:, None] * up)
    if rotation:
        v[:, 0] -= E.OMEGA_EARTH * r[:, 1]
        v[:, 1] += E.OMEGA_EARTH * r[:, 0]
    return r, v, lat, lon
