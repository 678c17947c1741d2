"""Re-entry with drag: the Allen-Eggers closed form and an independent high-accuracy integration.

(a) Closed form. H. J. Allen and A. J. Eggers, "A study of the motion and aerodynamic heating
    of ballistic missiles entering the earth's atmosphere at high supersonic speeds", NACA
    Report 1381 (1958): a straight path at constant dive angle gamma, drag only (gravity
    neglected), density rho0 exp(-h/H), ballistic coefficient beta = m/(C_D A):

        v(h) = v_e exp(-rho0 H exp(-h/H) / (2 beta sin gamma)),
        a_max = v_e^2 sin gamma / (2 e H)  (independent of beta),
        at h* = H ln(rho0 H / (beta sin gamma)).

    rho0 H exp(-h/H) is the column mass above h; the same derivation for any atmosphere
    gives ln(v_e/v) = M(h) / (2 beta sin gamma) with M(h) the column mass of that atmosphere.

    shieldsim flies from 80 km (the column above holds < 1e-4 of the losses tested) on a
    sphere without rotation and with point-mass gravity. Model differences and tolerances:
      * US76 is not exponential. Peak deceleration: the cases put h* in the isothermal layer
        (11-20 km geopotential), where US76 is exponential; H and rho0 are fitted to
        ambiance's density there (H = 6,373 m, rho0 = 2.050 kg/m^3, residual 3e-4).
        Speed loss, at every altitude: M(h) by quadrature of ambiance's density.
      * Gravity. To first order it (i) adds int g/v^2 dh to ln v, (ii) steepens the path,
        sin gamma growing by the fraction f(h) = cot^2 gamma int (g/v^2 - 1/r) dh (from
        dgamma/dt = cos gamma (g/v - v/r)), which lowers the loss by
        d_gam(h) = int rho f / (2 beta sin gamma) dh. Integrals run from 80 km down to h
        along the closed-form solution. So ln a at a fixed altitude grows by
        P(h) = 2 (int g/v^2 dh + d_gam), a_max by P(h*) and h* moves by H^2 P'(h*)
        (the peak of ln a has curvature -1/H^2). For the speed loss, gravity's vacuum part
        is removed exactly with vis-viva, L = ln(v_vacuum(r)/v), leaving
        d_gam + int g (1/v^2 - 1/v_vacuum^2) dh.
      * Tolerances: the measured deviation from the closed form must equal its first-order
        gravity correction within 25 % of that correction plus: 0.005 in ln a_max and 40 m
        in h* (fit, the weight of the column's g; measured: 0.004 (9 % of the correction)
        and 14 m), and 2e-3 L + 2e-5 in the speed loss (shieldsim's integration error where
        it steps over a US76 layer kink, up to 1.2e-5 in ln v; see b); the worst case uses
        23 % of its tolerance. The raw closed form differs by 3-6 % in a_max, 50-230 m in h*
        and up to 3.5 % in L, all explained by gravity. Compared only while v >= 0.3 v_e
        (first order holds).

(b) Independent integration: scipy ``solve_ivp`` DOP853, rtol 1e-10, of a point mass with
    drag 0.5 rho |v_rel|^2 / beta along -v_rel (v_rel = v - omega x r), with its own gravity
    (point mass on a sphere of radius 6,378,137 m; or WGS84 + J2, Vallado eq. 8-30, with
    pymap3d's geodetic altitude), from 120 km to impact. Density: ambiance (US76) below
    81 km, interpolated in ln(rho) on a 5 m grid with the layer kinks as nodes (checked
    against ambiance to 1e-7 below); above 81 km, where ambiance stops, the isothermal
    hydrostatic extension rho(81 km) exp(-(h - 81 km)/H_p(81 km)), which keeps the column
    mass above 81 km. Replacing it with ussa1976 moved impact speed by <= 2.1e-6, the time
    from 100 km by <= 1.0e-6 and the impact point by <= 0.3 m (60 random entries).
    Tolerances: impact speed 2e-4 relative, time from 100 km to impact 1e-4 relative, impact
    point 2 m (issue aim: 0.1 %). Measured here: 2.6e-5, 8e-6, 0.15 m (sphere) and 7e-6,
    2.4e-6, 0.04 m (WGS84); over 300 random entries (2-7.2 km/s, 10-70 deg, beta 300-1e6
    kg/m^2) at most 5.6e-5, 1.8e-5 and 0.44 m. The speed gap is shieldsim's DOPRI5 stepping
    over the layer kinks (a C0 right-hand side), not the density: it stays with shieldsim's
    own density in the reference.
"""

import math

import numpy as np
import pymap3d
import pymap3d.vincenty
import pytest
from ambiance import Atmosphere
from scipy.integrate import cumulative_trapezoid, solve_ivp

import shieldsim as ss

MU, RE, J2, W = 3.986004418e14, 6378137.0, 1.08262982131e-3, 7.292115e-5
R0_US76 = 6356766.0

# --- Reference atmosphere: ambiance below 81 km, isothermal hydrostatic extension above ----
_Z_AMB = 81e3
_BASES_GEOP = np.array([11e3, 20e3, 32e3, 47e3, 51e3, 71e3])  # US76 layer bases (geopotential)
_KINKS = R0_US76 * _BASES_GEOP / (R0_US76 - _BASES_GEOP)
_ZG = np.unique(np.concatenate([np.arange(-1e3, _Z_AMB + 1.0, 5.0), _KINKS]))
_LNRHO = np.log(Atmosphere(_ZG).density)
_A81 = Atmosphere(_Z_AMB)
_RHO81, _HP81 = float(_A81.density[0]), float(_A81.pressure_scale_height[0])


def _rho_ref(z):
    if z >= _Z_AMB:
        return _RHO81 * math.exp(-(z - _Z_AMB) / _HP81)
    return math.exp(np.interp(z, _ZG, _LNRHO))


def test_reference_density_interpolation_matches_ambiance():
    z = np.random.default_rng(5).uniform(0.0, _Z_AMB, 2000)
    ours = np.array([_rho_ref(x) for x in z])
    assert np.max(np.abs(ours / Atmosphere(z).density - 1)) < 1e-7


# --- (b) Independent integration ------------------------------------------------------------
def _geodetic_alt(r_eci, t, earth):
    if earth == "sphere":
        return math.sqrt(r_eci[0] ** 2 + r_eci[1] ** 2 + r_eci[2] ** 2) - RE
    c, s = math.cos(W * t), math.sin(W * t)
    return pymap3d.ecef2geodetic(c * r_eci[0] + s * r_eci[1], -s * r_eci[0] + c * r_eci[1], r_eci[2])[2]


def _reference(lat, lon, v_km_s, gamma_deg, az, beta, rotation, earth):
    """Entry at 120 km (Earth-relative speed, dive angle, azimuth): (t100, t_impact, speed, lat, lon)."""
    omega = W if rotation else 0.0
    la, lo = math.radians(lat), math.radians(lon)
    if earth == "sphere":
        r = (RE + 120e3) * np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])
    else:
        r = np.array(pymap3d.geodetic2ecef(lat, lon, 120e3))
    east = np.array([-math.sin(lo), math.cos(lo), 0.0])
    north = np.array([-math.sin(la) * math.cos(lo), -math.sin(la) * math.sin(lo), math.cos(la)])
    up = np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])
    g, a = math.radians(-gamma_deg), math.radians(az)
    v = v_km_s * 1e3 * (math.cos(g) * (math.cos(a) * north + math.sin(a) * east) + math.sin(g) * up)
    v = v + np.cross([0.0, 0.0, omega], r)

    def rhs(t, y):
        x, yy, z, vx, vy, vz = y
        r2 = x * x + yy * yy + z * z
        rn = math.sqrt(r2)
        f = -MU / (r2 * rn)
        if earth == "sphere":
            gx, gy, gz = f * x, f * yy, f * z
        else:
            k = 1.5 * J2 * RE * RE / r2
            zz = 5.0 * z * z / r2
            gx, gy, gz = f * x * (1 + k * (1 - zz)), f * yy * (1 + k * (1 - zz)), f * z * (1 + k * (3 - zz))
        wx, wy = vx + omega * yy, vy - omega * x  # air-relative velocity (atmosphere turns with the Earth)
        vr = math.sqrt(wx * wx + wy * wy + vz * vz)
        d = 0.5 * _rho_ref(_geodetic_alt(y, t, earth)) * vr / beta
        return [vx, vy, vz, gx - d * wx, gy - d * wy, gz - d * vz]

    def at_100km(t, y):
        return _geodetic_alt(y, t, earth) - 100e3

    def at_ground(t, y):
        return _geodetic_alt(y, t, earth)

    at_100km.direction = -1
    at_ground.direction = -1
    at_ground.terminal = True
    sol = solve_ivp(rhs, (0.0, 7200.0), np.concatenate([r, v]), method="DOP853", rtol=1e-10, atol=1e-6,
                    events=[at_100km, at_ground])
    t100, ti = sol.t_events[0][0], sol.t_events[1][0]
    yi = sol.y_events[1][0]
    speed = np.linalg.norm(yi[3:] - np.cross([0.0, 0.0, omega], yi[:3]))
    c, s = math.cos(omega * ti), math.sin(omega * ti)
    xe, ye, ze = c * yi[0] + s * yi[1], -s * yi[0] + c * yi[1], yi[2]
    if earth == "sphere":
        ilat = math.degrees(math.asin(ze / math.sqrt(xe * xe + ye * ye + ze * ze)))
        ilon = math.degrees(math.atan2(ye, xe))
    else:
        ilat, ilon, _ = pymap3d.ecef2geodetic(xe, ye, ze)
    return t100, ti, speed, ilat, ilon


def _shieldsim(lat, lon, v_km_s, gamma_deg, az, beta, rotation, earth):
    res = ss.free_flight(lat, lon, 120.0, v_km_s, -gamma_deg, az, earth=earth, rotation=rotation,
                         beta_kg_m2=beta, gravity="point" if earth == "sphere" else "j2")
    tr = res.trajectory
    s = tr.impact_state[0]
    omega = W if rotation else 0.0
    speed = np.linalg.norm(s[3:] - np.cross([0.0, 0.0, omega], s[:3]))
    return tr.t_reentry[0], tr.t_impact[0], speed, float(res.impact_lat_deg[0]), float(res.impact_lon_deg[0])


def _distance_m(lat1, lon1, lat2, lon2, earth):
    if earth == "sphere":
        p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
        a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * RE * math.asin(math.sqrt(min(1.0, a)))
    return float(pymap3d.vincenty.vdist(lat1, lon1, lat2, lon2)[0])


def _entries(seed, n):
    rng = np.random.default_rng(seed)
    return list(zip(rng.uniform(-70, 70, n), rng.uniform(-180, 180, n), rng.uniform(2.0, 7.2, n),
                    rng.uniform(10, 70, n), rng.uniform(0, 360, n), 10 ** rng.uniform(2.5, 6.0, n),
                    rng.random(n) < 0.5))


# Steep fast entries of the issue, a very high beta, and a slow shallow one; then random ones.
_SPHERE_CASES = [(40.0, 10.0, 6.5, 45.0, 60.0, 1000.0, False), (40.0, 10.0, 7.0, 60.0, 60.0, 20000.0, False),
                 (40.0, 10.0, 7.0, 30.0, 60.0, 1e6, True), (10.0, -60.0, 3.0, 20.0, 300.0, 500.0, True)] \
    + _entries(1958, 20)


def _check(case, earth):
    lat, lon, v, gam, az, beta, rot = case
    t100, ti, sp, ilat, ilon = _shieldsim(lat, lon, v, gam, az, beta, bool(rot), earth)
    rt100, rti, rsp, rlat, rlon = _reference(lat, lon, v, gam, az, beta, bool(rot), earth)
    what = f"{earth} v={v:.2f} km/s gamma={gam:.1f} deg beta={beta:.0f} rotation={bool(rot)}"
    e_sp = abs(sp / rsp - 1)
    e_t = abs((ti - t100) / (rti - rt100) - 1)
    d = _distance_m(ilat, ilon, rlat, rlon, earth)
    assert e_sp < 2e-4, f"{what}: impact speed {sp:.3f} m/s vs reference {rsp:.3f} (rel {e_sp:.2e})"
    assert e_t < 1e-4, f"{what}: 100 km to impact {ti - t100:.4f} s vs reference {rti - rt100:.4f} (rel {e_t:.2e})"
    assert d < 2.0, f"{what}: impact point {d:.2f} m from the reference"


@pytest.mark.parametrize("case", _SPHERE_CASES, ids=lambda c: f"v{c[2]:.1f}-g{c[3]:.0f}-b{c[5]:.0f}-rot{int(c[6])}")
def test_sphere_reentry_matches_dop853_reference(case):
    _check(case, "sphere")


@pytest.mark.parametrize("case", _entries(84, 3), ids=lambda c: f"v{c[2]:.1f}-g{c[3]:.0f}-b{c[5]:.0f}")
def test_wgs84_j2_rotating_reentry_matches_dop853_reference(case):
    _check(case[:6] + (True,), "wgs84")


# --- (a) Allen-Eggers -----------------------------------------------------------------------
H_ENTRY = 80e3
_ZQ = np.linspace(0.0, H_ENTRY, 8001)  # quadrature grid (10 m)
_GQ = MU / (RE + _ZQ) ** 2


def _from_top(f):
    """int_z^H_ENTRY f dz on the quadrature grid."""
    c = cumulative_trapezoid(f, _ZQ, initial=0.0)
    return c[-1] - c


def _fit_isothermal_layer():
    z = np.linspace(11.1e3, 19.9e3, 200)  # geometric, inside 11-20 km geopotential
    slope, icpt = np.polyfit(z, np.log(Atmosphere(z).density), 1)
    return -1.0 / slope, math.exp(icpt)


def _fly_sphere(v_km_s, gamma_deg, beta):
    return ss.free_flight(0.0, 0.0, H_ENTRY / 1e3, v_km_s, -gamma_deg, 90.0, earth="sphere", rotation=False,
                          beta_kg_m2=beta, gravity="point").trajectory


@pytest.mark.parametrize("v_km_s, gamma_deg, beta", [(6.0, 30.0, 2000.0), (6.5, 45.0, 1500.0), (7.0, 60.0, 1200.0),
                                                     (7.0, 60.0, 2300.0), (6.0, 45.0, 1000.0), (7.0, 30.0, 4000.0)])
def test_peak_deceleration_allen_eggers(v_km_s, gamma_deg, beta):
    H, rho0 = _fit_isothermal_layer()
    ve, sg = v_km_s * 1e3, math.sin(math.radians(gamma_deg))
    cot2 = (math.cos(math.radians(gamma_deg)) / sg) ** 2
    h_star = H * math.log(rho0 * H / (beta * sg))
    a_max = ve**2 * sg / (2 * math.e * H)
    assert 11.5e3 < h_star < 19.5e3  # the case is where US76 is exponential
    # First-order gravity correction along the closed-form solution.
    rho = rho0 * np.exp(-_ZQ / H)
    v_ae = ve * np.exp(-rho * H / (2 * beta * sg))
    f = cot2 * _from_top(_GQ / v_ae**2 - 1.0 / (RE + _ZQ))
    p = 2 * (_from_top(_GQ / v_ae**2) + _from_top(rho * f / (2 * beta * sg)))
    dlna_1 = float(np.interp(h_star, _ZQ, p))
    dh_1 = H**2 * float(np.interp(h_star, _ZQ, np.gradient(p, _ZQ)))
    # shieldsim: the deceleration (non-gravitational acceleration) on a 2 ms grid of the dense output.
    tr = _fly_sphere(v_km_s, gamma_deg, beta)
    t = np.arange(0.0, tr.t_impact[0], 2e-3)
    r, v = tr.state_eci(t)
    r, v = r[0], v[0]
    rn = np.linalg.norm(r, axis=1)
    decel = np.linalg.norm(np.gradient(v, t, axis=0) + MU * r / rn[:, None] ** 3, axis=1)
    i = int(np.argmax(decel))
    dlna, dh = math.log(decel[i] / a_max), rn[i] - RE - h_star
    assert abs(dlna - dlna_1) <= 0.25 * abs(dlna_1) + 0.005, \
        f"a_max {decel[i]:.1f} vs Allen-Eggers {a_max:.1f} m/s^2: ln ratio {dlna:.4f}, gravity explains {dlna_1:.4f}"
    assert abs(dh - dh_1) <= 0.25 * abs(dh_1) + 40.0, \
        f"h* {rn[i] - RE:.0f} m vs Allen-Eggers {h_star:.0f} m: {dh:.0f} m, gravity explains {dh_1:.0f} m"


@pytest.mark.parametrize("v_km_s, gamma_deg, beta", [(6.0, 30.0, 1000.0), (6.0, 60.0, 1000.0), (7.0, 30.0, 5000.0),
                                                     (6.5, 45.0, 20000.0), (7.0, 60.0, 20000.0), (6.0, 30.0, 1e5),
                                                     (6.0, 60.0, 1e6), (7.0, 30.0, 1e6)])
def test_speed_loss_allen_eggers(v_km_s, gamma_deg, beta):
    ve, sg = v_km_s * 1e3, math.sin(math.radians(gamma_deg))
    cot2 = (math.cos(math.radians(gamma_deg)) / sg) ** 2
    rho = Atmosphere(_ZQ).density
    loss = _from_top(rho) / (2 * beta * sg)  # column mass above h (below 80 km) / (2 beta sin gamma)
    v_vac = np.sqrt(ve**2 + 2 * MU * (1 / (RE + _ZQ) - 1 / (RE + H_ENTRY)))
    v_ae = v_vac * np.exp(-loss)
    f = cot2 * _from_top(_GQ / v_ae**2 - 1.0 / (RE + _ZQ))
    corr = _from_top(rho * f / (2 * beta * sg)) + _from_top(_GQ * (1 / v_ae**2 - 1 / v_vac**2))
    tr = _fly_sphere(v_km_s, gamma_deg, beta)
    n = int(tr.nsteps[0]) - 1  # integrator steps (the last sample is interpolated to the impact)
    r, v = tr.y[0, 1:n, :3], tr.y[0, 1:n, 3:6]
    rn, sp = np.linalg.norm(r, axis=1), np.linalg.norm(v, axis=1)
    keep = sp >= 0.3 * ve
    assert keep.sum() >= 5
    h = rn[keep] - RE
    l_sim = np.log(np.sqrt(ve**2 + 2 * MU * (1 / rn[keep] - 1 / (RE + H_ENTRY))) / sp[keep])
    l_ae, c = np.interp(h, _ZQ, loss), np.interp(h, _ZQ, corr)
    excess = np.abs(l_ae - l_sim - c) - (0.25 * c + 2e-3 * l_ae + 2e-5)
    j = int(np.argmax(excess))
    assert excess[j] <= 0, (f"at {h[j] / 1e3:.1f} km: speed loss {l_sim[j]:.5f} vs Allen-Eggers {l_ae[j]:.5f}, "
                            f"gravity explains {c[j]:.5f}")
