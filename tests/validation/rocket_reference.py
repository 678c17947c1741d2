"""Independent reference for the powered flight of a staged rocket, then its payload's coast.

Written from the equations below; it imports nothing from shieldsim (the test hands it the
catalog's raw numbers). Only the *definition* of a vehicle from its catalog numbers is shared
with shieldsim (``vehicles.py`` docstring: thrust from the rocket-equation mass flow and the
vacuum Isp, an exit area implied by the sea-level Isp, drag on the largest stage diameter,
C_D(Mach) as tabulated data, the payload's ballistic coefficient); the dynamics, gravity,
geodesy, atmosphere and integration are this module's own.

Frames and constants
    Inertial frame = ECEF at t = 0, not turning; the Earth turns about z at
    OMEGA = 7.292115e-5 rad/s. WGS84 (NIMA TR8350.2, 3rd ed., table 3.1):
    a = 6378137 m, 1/f = 298.257223563, GM = 3.986004418e14 m^3/s^2.
    J2 = -sqrt(5) * C20 with the WGS84 ellipsoid's normalised second-degree zonal
    C20 = -0.484166774985e-3 (TR8350.2 table 3.3), i.e. J2 = 1.08262982131e-3, the value
    shieldsim uses. (EGM96's C20 = -0.484165371736e-3, TR8350.2 table 5.3, would give
    J2 = 1.08262668355e-3: 2.9e-6 relative lower, a 3e-8 m/s^2 change of gravity.)

Gravity (point mass + J2), from the potential U = -GM/r [1 - J2 (a/r)^2 P2(z/r)]::

    g = -GM/r^3 * (x [1 + 1.5 J2 (a/r)^2 (1 - 5 z^2/r^2)],
                   y [1 + 1.5 J2 (a/r)^2 (1 - 5 z^2/r^2)],
                   z [1 + 1.5 J2 (a/r)^2 (3 - 5 z^2/r^2)])

Geodetic latitude and height: Bowring's iteration (B. R. Bowring, "Transformation from
spatial to geographical coordinates", Survey Review 23 (1976) 323-327) on the parametric
latitude, iterated to 1e-15 rad; h = p cos(lat) + z sin(lat) - a sqrt(1 - e^2 sin^2 lat).
Latitude and height do not depend on a rotation about z, so they are taken from inertial
positions directly; longitude in ECEF is the inertial longitude minus OMEGA t.

Atmosphere: ``ambiance`` (ICAO Standard Atmosphere 1993, identical to US76 below 80 km
geopotential), sampled once at import on a 20 m grid of geometric altitude and
represented by a cubic spline per ICAO layer (knots on the layer boundaries, so the spline
is smooth where the standard is and kinked only where the standard's lapse rate jumps);
ln(rho), ln(p) and the speed of sound are splined. The spline reproduces ambiance to
better than 1e-9 relative (``atmosphere_spline_error``); ambiance itself jumps by up to
3e-6 (relative) at layer boundaries, its base pressures being the ICAO table's rounded values. Above ambiance's top
(H_TOP = 81.02 km geometric) density and pressure are extrapolated exponentially with their
logarithmic slopes over ambiance's top 100 m (density scale height 6.3 km) and the speed of
sound is held at its 81 km value. Against US76 this over-states the density by up to about
40 % between 90 and 125 km (100 km: 7.6e-7 against 5.6e-7 kg/m^3) and under-states it above
about 130 km, where the thermosphere warms; there the drag on any catalog body is below
1e-4 m/s^2. Zeroing or doubling the density above 81 km moves the burnout states of the
missiles in the test by at most 4.3e-6 and their ranges by at most 7.4e-5 (relative), so the
choice is immaterial at the test's tolerances. The pressure there is below 0.9 Pa: a
back-pressure force under 1 N on a first stage of more than 100 kN.

Vehicle (stage i, burning from t0_i for burn_i seconds; m0 = sum of gross masses + payload)::

    mdot_i  = propellant_i / burn_i                      (constant mass flow)
    m(t)    = m0_i - mdot_i (t - t0_i),  m0_{i+1} = m0_i - gross_i (stage dropped at burnout)
    F_vac_i = mdot_i * Isp_vac_i * g0                     (g0 = 9.80665 m/s^2)
    A_e,i   = (Isp_vac_i - Isp_sl_i) * g0 * mdot_i / P0   (P0 = 101325 Pa; 0 without Isp_sl)
    T(t)    = F_vac_i - p_amb(h) * A_e,i                  (back-pressure: Sutton & Biblarz eq. 3-21)
    D       = 0.5 rho(h) |v_rel|^2 C_D(|v_rel| / a(h)) * pi d_max^2 / 4,  along -v_rel
    v_rel   = v - OMEGA z_hat x r                         (air moves with the Earth)

C_D(Mach) is the rocket's (Mach, C_D) table, interpolated linearly here and held constant
beyond its ends.

Guidance (t_v = vertical rise, t_p = t_v + pitch-over duration, kick angle K, azimuth A
clockwise from north; up, north, east are the geodetic basis at the *current* position)::

    t <  t_v:        d = up
    t_v <= t < t_p:  theta = K (t - t_v) / (t_p - t_v),
                     d = cos(theta) up + sin(theta) (cos A north + sin A east)
    t >= t_p:        d = v_rel / |v_rel|                   (gravity turn)

The vertical rise t_v is ``vertical_rise_s``, lengthened (low lift-off thrust-to-weight) to
the time the drag-free vertical ascent on the first stage's sea-level thrust,
v(t) = c ln(m0 / (m0 - mdot t)) - g0 t with c = F_sl / mdot, reaches 30 m/s.

Equations of motion (state r, v in the inertial frame)::

    dr/dt = v
    dv/dt = g(r) + T(t)/m(t) d - D/m(t) v_rel/|v_rel|             (powered)
    dv/dt = g(r) - rho(h) |v_rel| v_rel / (2 beta)                  (payload after burnout)

The launch state is the site at rest on the turning Earth: v = OMEGA z_hat x r. Each
phase (vertical rise, pitch-over, each stage's share of the gravity turn) is integrated
separately with scipy's ``solve_ivp`` DOP853 (rtol 1e-12 by default), so every
discontinuity of the right-hand side in time is a phase boundary; the coast ends on the
event geodetic height = 0 (located on DOP853's dense output). The ground range is the WGS84
geodesic from the launch site to the impact point (pymap3d's Vincenty inverse).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from ambiance import Atmosphere
from scipy.integrate import solve_ivp
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq

# --- constants ---------------------------------------------------------------------------
GM = 3.986004418e14  # m^3/s^2, TR8350.2 table 3.1
A_WGS = 6378137.0  # m
F_WGS = 1.0 / 298.257223563
B_WGS = A_WGS * (1.0 - F_WGS)
E2 = F_WGS * (2.0 - F_WGS)
EP2 = E2 / (1.0 - E2)
C20_WGS84 = -0.484166774985e-3  # TR8350.2 table 3.3 (ellipsoid), normalised
J2 = -math.sqrt(5.0) * C20_WGS84
OMEGA = 7.292115e-5  # rad/s
G0 = 9.80665  # m/s^2, the Isp definition
P0 = 101325.0  # Pa, sea-level pressure of the standard atmosphere (defines the exit area)
RISE_SPEED_M_S = 30.0  # the vertical rise ends no sooner than this climb speed (vehicle definition)


# --- gravity and geodesy ---------------------------------------------------------------------
def gravity(x: float, y: float, z: float) -> tuple[float, float, float]:
    """Point mass + J2 acceleration (m/s^2) at an inertial (= ECEF-shaped) position."""
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    f = -GM / (r2 * r)
    k = 1.5 * J2 * A_WGS * A_WGS / r2
    s = 5.0 * z * z / r2
    fxy = f * (1.0 + k * (1.0 - s))
    return fxy * x, fxy * y, f * (1.0 + k * (3.0 - s)) * z


def potential(x: float, y: float, z: float) -> float:
    """Gravitational potential (m^2/s^2, negative) whose gradient ``gravity`` is."""
    r = math.sqrt(x * x + y * y + z * z)
    sp = z / r
    return -GM / r * (1.0 - J2 * (A_WGS / r) ** 2 * 0.5 * (3.0 * sp * sp - 1.0))


def geodetic(x: float, y: float, z: float) -> tuple[float, float, float]:
    """(lat rad, lon rad, height m) on WGS84; Bowring (1976) iteration."""
    lon = math.atan2(y, x)
    p = math.hypot(x, y)
    beta = math.atan2(z * A_WGS, p * B_WGS)
    lat = 0.0
    for _ in range(8):
        sb, cb = math.sin(beta), math.cos(beta)
        new = math.atan2(z + EP2 * B_WGS * sb ** 3, p - E2 * A_WGS * cb ** 3)
        done = abs(new - lat) < 1e-15
        lat = new
        if done:
            break
        beta = math.atan2((1.0 - F_WGS) * math.sin(lat), math.cos(lat))
    sl, cl = math.sin(lat), math.cos(lat)
    h = p * cl + z * sl - A_WGS * math.sqrt(1.0 - E2 * sl * sl)
    return lat, lon, h


def geodetic_to_xyz(lat: float, lon: float, h: float) -> tuple[float, float, float]:
    sl = math.sin(lat)
    n = A_WGS / math.sqrt(1.0 - E2 * sl * sl)
    return ((n + h) * math.cos(lat) * math.cos(lon), (n + h) * math.cos(lat) * math.sin(lon),
            (n * (1.0 - E2) + h) * sl)


def enu(lat: float, lon: float):
    """Unit east, north, up (geodetic normal) vectors at (lat, lon), as tuples."""
    sl, cl, so, co = math.sin(lat), math.cos(lat), math.sin(lon), math.cos(lon)
    return (-so, co, 0.0), (-sl * co, -sl * so, cl), (cl * co, cl * so, sl)


# --- atmosphere ----------------------------------------------------------------------------
_R_GEOP = 6356766.0  # ambiance's (and US76's) Earth radius for geopotential height
_H_GEOP_KNOTS = (-2000.0, 0.0, 11000.0, 20000.0, 32000.0, 47000.0, 51000.0, 71000.0, 80000.0)
_H_KNOTS = [_R_GEOP * hg / (_R_GEOP - hg) for hg in _H_GEOP_KNOTS]  # geometric, m
H_TOP = _H_KNOTS[-1]  # ambiance's top: 80 km geopotential, 81.02 km geometric
_GRID_M = 20.0


class _LayerSpline:
    """Cubic spline per layer of (ln rho, ln p, a) against geometric height, evaluated in
    plain Python (a call of ``ambiance.Atmosphere`` costs about a millisecond)."""

    def __init__(self):
        self.base = []  # per layer: (h0, dh, n, nodes, coefficient lists of the 3 columns)
        for h0, h1 in zip(_H_KNOTS[:-1], _H_KNOTS[1:]):
            n = max(int(math.ceil((h1 - h0) / _GRID_M)), 4)
            # Nodes a micrometre inside the layer: ambiance's base pressures are the ICAO table's
            # rounded values, so its pressure jumps by up to 3e-6 (relative) on a boundary.
            hs = np.linspace(h0 + 1e-6, h1 - 1e-6, n + 1)
            at = Atmosphere(hs)
            cols = (np.log(at.density), np.log(at.pressure), at.speed_of_sound)
            coefs = [CubicSpline(hs, c, bc_type="not-a-knot").c.T.tolist() for c in cols]
            self.base.append((h0, (hs[-1] - h0) / n, n, hs.tolist(), coefs))

    def __call__(self, h: float):
        j = min(max(bisect_right(_H_KNOTS, h) - 1, 0), len(self.base) - 1)
        h0, dh, n, hs, coefs = self.base[j]
        i = min(max(int((h - h0) / dh), 0), n - 1)
        s = h - hs[i]
        out = []
        for c in coefs:
            c3, c2, c1, c0 = c[i]
            out.append(((c3 * s + c2) * s + c1) * s + c0)
        return out


_SPLINE = _LayerSpline()
# Exponential extrapolation above H_TOP: logarithmic slopes over ambiance's top 100 m.
_top = Atmosphere([H_TOP - 100.0, H_TOP])
_LNRHO_TOP, _LNP_TOP, _A_TOP = (float(np.log(_top.density[1])), float(np.log(_top.pressure[1])),
                                float(_top.speed_of_sound[1]))
_DLNRHO = float(np.log(_top.density[1] / _top.density[0]) / 100.0)
_DLNP = float(np.log(_top.pressure[1] / _top.pressure[0]) / 100.0)
UPPER_DENSITY_FACTOR = 1.0  # scales the extrapolated density above H_TOP (for bounding its effect)


def atmosphere(h: float) -> tuple[float, float, float]:
    """(density kg/m^3, pressure Pa, speed of sound m/s) at geometric height h (m)."""
    if h < H_TOP:
        lr, lp, a = _SPLINE(max(h, _H_KNOTS[0]))
        return math.exp(lr), math.exp(lp), a
    dh = h - H_TOP
    if dh > 2.0e6:
        return 0.0, 0.0, _A_TOP
    return (UPPER_DENSITY_FACTOR * math.exp(_LNRHO_TOP + _DLNRHO * dh), math.exp(_LNP_TOP + _DLNP * dh), _A_TOP)


def atmosphere_spline_error(n: int = 4000) -> float:
    """Largest relative difference between the spline and ambiance itself (density,
    pressure, speed of sound) at n random heights below H_TOP."""
    rng = np.random.default_rng(0)
    hs = rng.uniform(_H_KNOTS[0], H_TOP - 1.0, n)
    at = Atmosphere(hs)
    worst = 0.0
    for h, rho, p, a in zip(hs, at.density, at.pressure, at.speed_of_sound):
        r2, p2, a2 = atmosphere(float(h))
        worst = max(worst, abs(r2 / rho - 1), abs(p2 / p - 1), abs(a2 / a - 1))
    return worst


# --- vehicle ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class StageSpec:
    gross_mass_kg: float
    propellant_mass_kg: float
    isp_vac_s: float
    burn_time_s: float
    diameter_m: float
    isp_sl_s: float | None = None


@dataclass(frozen=True)
class RocketSpec:
    """The catalog numbers of a missile (no derived quantity)."""

    stages: tuple[StageSpec, ...]
    payload_mass_kg: float
    payload_beta_kg_m2: float
    vertical_rise_s: float
    pitch_over_s: float
    cd_mach: tuple[tuple[float, float], ...]


def spec_from(rocket) -> RocketSpec:
    """Read the raw catalog numbers off any object shaped like shieldsim's ``Rocket``
    (duck-typed: only its input fields, none of its derived properties)."""
    return RocketSpec(
        stages=tuple(StageSpec(s.gross_mass_kg, s.propellant_mass_kg, s.isp_vac_s, s.burn_time_s, s.diameter_m,
                               s.isp_sl_s) for s in rocket.stages),
        payload_mass_kg=rocket.payload.mass_kg, payload_beta_kg_m2=rocket.payload.beta_kg_m2,
        vertical_rise_s=rocket.vertical_rise_s, pitch_over_s=rocket.pitch_over_s,
        cd_mach=tuple((float(m), float(c)) for m, c in rocket.cd_mach))


@dataclass(frozen=True)
class _Burn:
    t0: float
    t1: float
    m0: float
    mdot: float
    f_vac: float
    a_exit: float


def burns(spec: RocketSpec) -> list[_Burn]:
    """Per stage: ignition, burnout, mass at ignition, mass flow, vacuum thrust, exit area."""
    out = []
    t = 0.0
    m = sum(s.gross_mass_kg for s in spec.stages) + spec.payload_mass_kg
    for s in spec.stages:
        mdot = s.propellant_mass_kg / s.burn_time_s
        a_e = 0.0 if s.isp_sl_s is None else (s.isp_vac_s - s.isp_sl_s) * G0 * mdot / P0
        out.append(_Burn(t, t + s.burn_time_s, m, mdot, mdot * s.isp_vac_s * G0, a_e))
        t += s.burn_time_s
        m -= s.gross_mass_kg
    return out


def rise_time(spec: RocketSpec) -> float:
    """Duration of the vertical rise (see the module docstring)."""
    b = burns(spec)[0]
    c = (b.f_vac - P0 * b.a_exit) / b.mdot

    def speed(t):
        return c * math.log(b.m0 / (b.m0 - b.mdot * t)) - G0 * t

    if speed(spec.vertical_rise_s) >= RISE_SPEED_M_S:
        return spec.vertical_rise_s
    if speed(b.t1) < RISE_SPEED_M_S:
        return b.t1
    return brentq(lambda t: speed(t) - RISE_SPEED_M_S, spec.vertical_rise_s, b.t1, xtol=1e-12)


def _cd(table_m: Sequence[float], table_c: Sequence[float], mach: float) -> float:
    if mach <= table_m[0]:
        return table_c[0]
    if mach >= table_m[-1]:
        return table_c[-1]
    i = bisect_right(table_m, mach) - 1
    w = (mach - table_m[i]) / (table_m[i + 1] - table_m[i])
    return table_c[i] + w * (table_c[i + 1] - table_c[i])


# --- flight ----------------------------------------------------------------------------------
@dataclass
class ReferenceFlight:
    t_burnout_s: float
    burnout_r: np.ndarray  # inertial position (m)
    burnout_v: np.ndarray  # inertial velocity (m/s)
    burnout_speed_inertial_m_s: float
    burnout_speed_relative_m_s: float  # relative to the turning Earth
    burnout_altitude_m: float  # geodetic
    burnout_gamma_deg: float  # Earth-relative velocity above the local geodetic horizontal
    t_impact_s: float
    impact_lat_deg: float
    impact_lon_deg: float
    ground_range_m: float
    nfev: int


def burnout_quantities(r, v):
    """(inertial speed, Earth-relative speed, geodetic height, geodetic flight-path angle deg)
    of an inertial state: the functions applied alike to the reference and to shieldsim."""
    x, y, z = (float(c) for c in r)
    vx, vy, vz = (float(c) for c in v)
    vrx, vry, vrz = vx + OMEGA * y, vy - OMEGA * x, vz
    vrel = math.sqrt(vrx * vrx + vry * vry + vrz * vrz)
    lat, lon, h = geodetic(x, y, z)
    _, _, up = enu(lat, lon)
    gam = math.degrees(math.asin((vrx * up[0] + vry * up[1] + vrz * up[2]) / vrel))
    return math.sqrt(vx * vx + vy * vy + vz * vz), vrel, h, gam


def _powered_rhs(spec: RocketSpec, burn: _Burn, mode: str, kick: float, az: float, t_v: float, t_p: float):
    a_ref = math.pi * max(s.diameter_m for s in spec.stages) ** 2 / 4.0
    tm = [m for m, _ in spec.cd_mach]
    tc = [c for _, c in spec.cd_mach]
    caz, saz = math.cos(az), math.sin(az)

    def rhs(t, s):
        x, y, z, vx, vy, vz = s
        gx, gy, gz = gravity(x, y, z)
        lat, lon, h = geodetic(x, y, z)
        rho, p, a_snd = atmosphere(h)
        vrx, vry, vrz = vx + OMEGA * y, vy - OMEGA * x, vz
        vrel = math.sqrt(vrx * vrx + vry * vry + vrz * vrz)
        m = burn.m0 - burn.mdot * (t - burn.t0)
        thrust = burn.f_vac - p * burn.a_exit
        if mode == "turn":
            dx, dy, dz = vrx / vrel, vry / vrel, vrz / vrel
        else:
            east, north, up = enu(lat, lon)
            th = 0.0 if mode == "rise" else kick * (t - t_v) / (t_p - t_v)
            c, sn = math.cos(th), math.sin(th)
            dx, dy, dz = (c * up[k] + sn * (caz * north[k] + saz * east[k]) for k in range(3))
        ax, ay, az_ = gx + thrust / m * dx, gy + thrust / m * dy, gz + thrust / m * dz
        if vrel > 0.0:
            k = 0.5 * rho * vrel * _cd(tm, tc, vrel / a_snd) * a_ref / m
            ax, ay, az_ = ax - k * vrx, ay - k * vry, az_ - k * vrz
        return [vx, vy, vz, ax, ay, az_]

    return rhs


def _coast_rhs(beta: float):
    def rhs(t, s):
        x, y, z, vx, vy, vz = s
        gx, gy, gz = gravity(x, y, z)
        if not math.isfinite(beta):
            return [vx, vy, vz, gx, gy, gz]
        h = geodetic(x, y, z)[2]
        rho = atmosphere(h)[0]
        vrx, vry, vrz = vx + OMEGA * y, vy - OMEGA * x, vz
        k = 0.5 * rho * math.sqrt(vrx * vrx + vry * vry + vrz * vrz) / beta
        return [vx, vy, vz, gx - k * vrx, gy - k * vry, gz - k * vrz]

    return rhs


def _impact(t, s):
    return geodetic(s[0], s[1], s[2])[2]


_impact.terminal = True
_impact.direction = -1


def fly(spec: RocketSpec, lat_deg: float, lon_deg: float, alt_m: float, azimuth_deg: float, kick_deg: float, *,
        rtol: float = 1e-12, coast: bool = True, t_max_s: float = 7200.0) -> ReferenceFlight:
    """Fly the rocket at full burn from a site at rest on the turning Earth, then coast the
    payload to geodetic height 0. Angles in degrees (catalog edge), everything else SI."""
    import pymap3d.vincenty

    bs = burns(spec)
    t_v = rise_time(spec)
    t_p = t_v + spec.pitch_over_s
    t_end = bs[-1].t1
    if t_p >= t_end:
        raise ValueError("vertical rise and pitch-over must end before burnout")
    bps = sorted({0.0, t_v, t_p, t_end, *(b.t1 for b in bs)})
    bps = [t for t in bps if t <= t_end]
    lat0, lon0 = math.radians(lat_deg), math.radians(lon_deg)
    x, y, z = geodetic_to_xyz(lat0, lon0, alt_m)
    state = np.array([x, y, z, -OMEGA * y, OMEGA * x, 0.0])
    atol = np.array([1e-6] * 3 + [1e-9] * 3)
    nfev = 0
    kick, az = math.radians(kick_deg), math.radians(azimuth_deg)
    for ta, tb in zip(bps[:-1], bps[1:]):
        tm = 0.5 * (ta + tb)
        mode = "rise" if tm < t_v else ("pitch" if tm < t_p else "turn")
        burn = next(b for b in bs if b.t0 <= tm < b.t1)
        sol = solve_ivp(_powered_rhs(spec, burn, mode, kick, az, t_v, t_p), (ta, tb), state, method="DOP853",
                        rtol=rtol, atol=atol)
        if sol.status != 0:
            raise RuntimeError(sol.message)
        nfev += sol.nfev
        state = sol.y[:, -1].copy()
    r_bo, v_bo = state[:3].copy(), state[3:].copy()
    vi, vr, h_bo, gam = burnout_quantities(r_bo, v_bo)
    t_imp = lat_i = lon_i = rng = math.nan
    if coast:
        sol = solve_ivp(_coast_rhs(spec.payload_beta_kg_m2), (t_end, t_max_s), state, method="DOP853", rtol=rtol,
                        atol=atol, events=_impact)
        nfev += sol.nfev
        if sol.t_events[0].size:
            t_imp = float(sol.t_events[0][0])
            si = sol.y_events[0][0]
            la, lo, _ = geodetic(si[0], si[1], si[2])
            lat_i = math.degrees(la)
            lon_i = (math.degrees(lo - OMEGA * t_imp) + 180.0) % 360.0 - 180.0
            rng = float(pymap3d.vincenty.vdist(lat_deg, lon_deg, lat_i, lon_i)[0])
    return ReferenceFlight(t_end, r_bo, v_bo, vi, vr, h_bo, gam, t_imp, lat_i, lon_i, rng, nfev)
