"""Sensor geometry against closed forms and an independent implementation.

The equator of the WGS84 ellipsoid is a circle of radius a, and a target over the equator seen
from a radar on the equator stays in the equatorial plane, so the spherical-Earth formulas of
[@shieldsim-closed-forms] are exact there and test the ellipsoid code without approximation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from shieldsim.earth import WGS84_A, ecef_to_geodetic, geodetic_to_ecef
from shieldsim.sensors import (
    InfraredConstellation,
    InfraredSatellite,
    Radar,
    line_of_sight,
    observe,
)
from tests._synthetic import equatorial_circle, vertical_rise

A = WGS84_A


def _radar(**kw):
    base = {"name": "r", "lat_deg": 0.0, "lon_deg": 0.0, "alt_km": 0.0, "reference_range_km": 20000.0,
            "reference_rcs_m2": 1.0}
    base.update(kw)
    return Radar(**base)


@pytest.mark.parametrize("h_km", [100.0, 300.0, 1000.0])
def test_radar_horizon_distance_is_r_acos_r_over_r_plus_h(h_km):
    """Horizon ground distance to a target at altitude h, radar on the surface, 0° mask.

    Reference: exact geometric horizon on a circle, s = R·acos(R/(R+h)) ([@shieldsim-closed-forms]),
    and its small-h form sqrt(2Rh). Target circling the equator away from the radar at
    0.05°/s; the last detection time gives the central angle. Tolerance: 10 m on s (the
    bisection resolves 1 ms ≈ 5.6 m of ground track). The small-h form sqrt(2Rh) is checked
    with its first correction, s ≈ sqrt(2Rh)·(1 − 5h/12R) (series of acos(1/(1+x))), to 1 %.
    """
    h = h_km * 1e3
    rate = 0.05
    traj = equatorial_circle(h, 0.0, rate, 90.0 / rate)
    obs = observe(traj, [_radar()], 1.0, np.random.default_rng(0), dt=2.0, measurements=False)
    s = A * math.radians(rate * obs["r"].last_detection_s[0])
    exact = A * math.acos(A / (A + h))
    assert s == pytest.approx(exact, abs=10.0)
    assert s / math.sqrt(2 * A * h) == pytest.approx(1.0 - 5.0 * h / (12.0 * A), abs=0.01)


@pytest.mark.parametrize("h_km", [150.0, 800.0])
def test_raised_radar_sees_past_its_horizontal_to_the_ellipsoid_horizon(h_km):
    """A radar 2.085 km up (Kürecik) with a −5° mask is limited by the line of sight only.

    Reference: the grazing line of sight touches the circle at angles acos(R/(R+H)) from the
    radar and acos(R/(R+h)) from the target, so s = R·[acos(R/(R+H)) + acos(R/(R+h))].
    Tolerance 10 m.
    """
    H, h = 2085.0, h_km * 1e3
    rate = 0.05
    traj = equatorial_circle(h, 0.0, rate, 90.0 / rate)
    radar = _radar(alt_km=H / 1e3, min_elevation_deg=-5.0)
    obs = observe(traj, [radar], 1.0, np.random.default_rng(0), dt=2.0, measurements=False)
    s = A * math.radians(rate * obs["r"].last_detection_s[0])
    exact = A * (math.acos(A / (A + H)) + math.acos(A / (A + h)))
    assert s == pytest.approx(exact, abs=10.0)
    # the same radar with a 0° mask sees less far: the mask, not the Earth, decides then
    masked = observe(traj, [_radar(alt_km=H / 1e3)], 1.0, np.random.default_rng(0), dt=2.0, measurements=False)
    assert masked["r"].last_detection_s[0] < obs["r"].last_detection_s[0] - 10.0


@pytest.mark.parametrize("theta_deg, eps_deg", [(10.0, 5.0), (20.0, 0.0), (5.0, 30.0)])
def test_time_a_rising_target_clears_an_elevation_mask(theta_deg, eps_deg):
    """Target rising vertically at 1 km/s from the equator, θ east of the radar; mask ε.

    Reference: law of sines in the triangle (centre, radar, target): the target is at
    elevation ε when R + h = R·cos ε / cos(θ + ε), so it clears the mask at
    t = R·(cos ε / cos(θ + ε) − 1) / v. Tolerance 2 ms (refinement 1 ms).
    """
    theta, eps, v = math.radians(theta_deg), math.radians(eps_deg), 1000.0
    expected = A * (math.cos(eps) / math.cos(theta + eps) - 1.0) / v
    traj = vertical_rise(0.0, theta_deg, v, expected + 500.0)
    radar = _radar(min_elevation_deg=eps_deg)
    obs = observe(traj, [radar], 1.0, np.random.default_rng(0), dt=5.0, measurements=False)
    assert obs["r"].first_detection_s[0] == pytest.approx(expected, abs=2e-3)


def test_detection_range_scales_as_fourth_root_of_rcs_along_a_radial_path():
    """Target rising straight above the radar: range = v·t, so last detection = R_det/v.

    Reference: radar range equation R ∝ σ^(1/4) [@lewis-postol-2012-tpy2]: 1,000 km at 0.01 m²
    gives 1,000·10^(1/4) km at 0.1 m² and 1,000·100^(1/4) at 1 m². Tolerance 5 m (1 ms at
    1 km/s, plus the refinement).
    """
    rcs = np.array([0.01, 0.1, 1.0])
    traj = vertical_rise([49.6] * 3, [13.7] * 3, 1000.0, 4000.0, alt0_m=718.8)
    radar = _radar(lat_deg=49.6, lon_deg=13.7, alt_km=0.7188, reference_range_km=1000.0, reference_rcs_m2=0.01)
    obs = observe(traj, [radar], rcs, np.random.default_rng(0), dt=2.0, measurements=False)
    reach_m = 1000.0 * obs["r"].last_detection_s
    np.testing.assert_allclose(reach_m, 1e6 * (rcs / 0.01) ** 0.25, atol=5.0)
    assert reach_m[1] / reach_m[0] == pytest.approx(10**0.25, rel=1e-5)


def test_look_angles_match_pymap3d():
    """Slant range, azimuth and elevation from a radar at 54° N against pymap3d.ecef2aer.

    Reference: pymap3d 3.x (an independent WGS84 implementation, a dev dependency).
    Tolerance 1 mm in range and 1e-7° in the angles.
    """
    pymap3d = pytest.importorskip("pymap3d")
    rng = np.random.default_rng(4)
    radar = _radar(lat_deg=54.359, lon_deg=-0.670, alt_km=0.26)
    lat = rng.uniform(20, 80, 200)
    lon = rng.uniform(-60, 60, 200)
    alt = rng.uniform(0, 2000e3, 200)
    x, y, z = geodetic_to_ecef(np.radians(lat), np.radians(lon), alt)
    r, az, el = radar.look_angles(np.stack([x, y, z], axis=-1))
    az_ref, el_ref, r_ref = pymap3d.ecef2aer(x, y, z, radar.lat_deg, radar.lon_deg, radar.alt_km * 1e3)
    np.testing.assert_allclose(r, r_ref, atol=1e-3)
    np.testing.assert_allclose(np.degrees(el), el_ref, atol=1e-7)
    d_az = (np.degrees(az) - az_ref + 180.0) % 360.0 - 180.0
    np.testing.assert_allclose(d_az, 0.0, atol=1e-7)


def test_line_of_sight_matches_brute_force_sampling_of_the_segment():
    """Line of sight over the ellipsoid against sampling the segment's geodetic altitude.

    Reference: 4,001 points along each segment, converted with the closed-form geodetic
    conversion (Vermeille 2002): the segment is clear when no point is below the ellipsoid.
    Pairs whose lowest sampled point is within 200 m of the surface are left out (grazing,
    where the sampling itself is uncertain).
    """
    rng = np.random.default_rng(9)
    m = 400
    lat1, lon1 = rng.uniform(-80, 80, m), rng.uniform(-180, 180, m)
    lat2, lon2 = lat1 + rng.uniform(-30, 30, m), lon1 + rng.uniform(-30, 30, m)
    p = np.stack(geodetic_to_ecef(np.radians(lat1), np.radians(lon1), rng.uniform(0, 3e3, m)), axis=-1)
    q = np.stack(geodetic_to_ecef(np.radians(np.clip(lat2, -89, 89)), np.radians(lon2), rng.uniform(0, 1500e3, m)), axis=-1)
    s = np.linspace(0, 1, 4001)[None, :, None]
    pts = p[:, None, :] + s * (q - p)[:, None, :]
    alt = ecef_to_geodetic(pts[..., 0], pts[..., 1], pts[..., 2])[2]
    low = alt[:, 1:-1].min(axis=1)
    clear_ref = low >= 0
    decided = np.abs(low) > 200.0
    ours = line_of_sight(p, q)
    assert decided.sum() > 300 and clear_ref[decided].any() and (~clear_ref[decided]).any()
    np.testing.assert_array_equal(ours[decided], clear_ref[decided])


def test_geostationary_infrared_limb_is_the_cloud_top_horizon():
    """A GEO satellite over 0° sees a burning target at 50 km over the equator out to a closed-form angle.

    Reference: the line of sight must stay above the cloud layer (radius R + c): the target
    is visible while its central angle from the sub-satellite point is below
    acos((R+c)/r_geo) + acos((R+c)/(R+h)). Target circling the equator at 0.02°/s; tolerance
    2e-4° on the angle (the bisection's 1 ms is 2e-5°).
    """
    c, h = 12e3, 50e3
    r_geo = A + 35786e3
    limit = math.degrees(math.acos((A + c) / r_geo) + math.acos((A + c) / (A + h)))
    rate = 0.02
    traj = equatorial_circle(h, 0.0, rate, 100.0 / rate)
    traj.t_burnout = np.array([1e9])
    ir = InfraredConstellation("geo", (InfraredSatellite("geo-0", 0.0),), cloud_top_km=12.0)
    obs = observe(traj, [ir], 1.0, np.random.default_rng(0), dt=5.0, measurements=False)
    assert rate * obs["geo"].last_detection_s[0] == pytest.approx(limit, abs=2e-4)
