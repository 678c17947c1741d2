"""The Earth: WGS84 shape and frames, rotation, gravity and the standard atmosphere.

Frames
    ECEF turns with the Earth. The inertial frame (called ECI here) coincides with ECEF
    at the scenario epoch t = 0 and does not turn, so a point fixed on the Earth at ECEF
    position ``r`` is at ``Rz(omega * t) @ r`` in ECI. Latitude and altitude do not depend
    on rotation about the z axis, so they can be computed from ECI positions directly.

Sources
    * WGS84: NIMA TR8350.2, 3rd ed. (2000), table 3.1 (a, 1/f, GM, omega).
    * J2: the WGS84 ellipsoid's normalised C20 = -0.484166774985e-3, J2 = -sqrt(5) C20
      (TR8350.2 table 3.3; EGM96's C20 = -4.84165371736e-4 would give J2 2.9e-6 smaller).
    * Geodetic from ECEF: H. Vermeille, "Direct transformation from geocentric coordinates to
      geodetic coordinates", J. Geodesy 76 (2002) 451-454, closed form (no iteration).
    * Atmosphere: U.S. Standard Atmosphere 1976 (NOAA-S/T 76-1562): the seven layers of
      table 4 below 86 km in geopotential altitude; above 86 km, log-linear interpolation
      of the standard's tabulated density (``data/us76_upper.csv``, generated once with the
      ``ussa1976`` package, see ``tools/make_us76_table.py``); zero above 1,000 km.

All functions take and return SI units (metres, radians, seconds); the scalar kernels
(``_geodetic_scalar``, ``gravity_scalar``, ``density_scalar``...) are Numba-compiled for
use inside the integrator, and the public array functions broadcast over any shape.
"""

from __future__ import annotations

import functools
import math
from importlib import resources

import numpy as np
from numba import njit, vectorize

from . import cache as _cache  # noqa: F401  (kernels cached per code hash: must precede the decorators)


class _LazyUfunc:
    """A Numba ``@vectorize`` ufunc built (compiled, or loaded from the kernel cache) on its first
    use instead of at import: building the array functions below eagerly cost ~0.7 s of every
    command's start-up, and most commands use two of them or none. Calls and attributes
    (``nin``, ``_dispatcher``...) go to the built ufunc."""

    _OWN = ("_signatures", "_py_func", "_ufunc")

    def __init__(self, signatures, py_func):
        self._signatures, self._py_func, self._ufunc = signatures, py_func, None
        functools.update_wrapper(self, py_func)

    def _build(self):
        if self._ufunc is None:
            self._ufunc = vectorize(self._signatures, cache=True)(self._py_func)
        return self._ufunc

    def __call__(self, *args, **kwargs):
        return self._build()(*args, **kwargs)

    def __getattr__(self, name):
        if name in _LazyUfunc._OWN:
            raise AttributeError(name)
        return getattr(self._build(), name)


def _lazy_vectorize(signatures):
    """``@vectorize(signatures, cache=True)``, built on first use (``_LazyUfunc``)."""
    return lambda py_func: _LazyUfunc(signatures, py_func)

# --- WGS84 (NIMA TR8350.2) --------------------------------------------------------
WGS84_A = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_B = WGS84_A * (1.0 - WGS84_F)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
GM = 3.986004418e14
OMEGA_EARTH = 7.292115e-5
J2 = 1.08262982131e-3  # WGS84 ellipsoid, -sqrt(5) * C20 (TR8350.2 table 3.3)
# Radius of the spherical Earth used for validation (equal to the WGS84 semi-major axis,
# as the CLI contract of `fly --earth sphere` specifies).
SPHERE_RADIUS = WGS84_A

EARTH_WGS84 = 0
EARTH_SPHERE = 1
GRAVITY_POINT = 0
GRAVITY_J2 = 1


def earth_code(earth: str) -> int:
    """Map the user-facing name ('wgs84' | 'sphere') to the kernel code."""
    try:
        return {"wgs84": EARTH_WGS84, "sphere": EARTH_SPHERE}[earth]
    except KeyError:
        from .errors import ScenarioError

        raise ScenarioError("earth", f"unknown Earth model {earth!r}; use 'wgs84' or 'sphere'") from None


# --- Geodetic <-> ECEF ----------------------------------------------------------------
def geodetic_to_ecef(lat_rad, lon_rad, alt_m, earth: int = EARTH_WGS84):
    """Geodetic latitude, longitude and height to ECEF (arrays broadcast)."""
    lat = np.asarray(lat_rad, dtype=float)
    lon = np.asarray(lon_rad, dtype=float)
    alt = np.asarray(alt_m, dtype=float)
    if earth == EARTH_SPHERE:
        r = SPHERE_RADIUS + alt
        return (r * np.cos(lat) * np.cos(lon), r * np.cos(lat) * np.sin(lon), r * np.sin(lat))
    sl = np.sin(lat)
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * sl * sl)
    x = (n + alt) * np.cos(lat) * np.cos(lon)
    y = (n + alt) * np.cos(lat) * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + alt) * sl
    return x, y, z


@njit(cache=True)
def _geodetic_scalar(x, y, z, earth):
    """(lat, lon, height) of one ECEF point; Vermeille (2002) closed form on WGS84."""
    lon = math.atan2(y, x)
    if earth == EARTH_SPHERE:
        r = math.sqrt(x * x + y * y + z * z)
        return math.asin(z / r) if r > 0 else 0.0, lon, r - SPHERE_RADIUS
    a2 = WGS84_A * WGS84_A
    e2 = WGS84_E2
    e4 = e2 * e2
    w2 = x * x + y * y
    w = math.sqrt(w2)
    p = w2 / a2
    q = (1.0 - e2) * z * z / a2
    r = (p + q - e4) / 6.0
    s = e4 * p * q / (4.0 * r * r * r)
    t = (1.0 + s + math.sqrt(s * (2.0 + s))) ** (1.0 / 3.0)
    u = r * (1.0 + t + 1.0 / t)
    v = math.sqrt(u * u + e4 * q)
    ww = e2 * (u + v - q) / (2.0 * v)
    k = math.sqrt(u + v + ww * ww) - ww
    d = k * w / (k + e2)
    hyp = math.sqrt(d * d + z * z)
    h = (k + e2 - 1.0) / k * hyp
    lat = 2.0 * math.atan2(z, d + hyp)
    return lat, lon, h


@njit(cache=True)
def altitude_scalar(x, y, z, earth):
    """Height above the ellipsoid (or sphere) of one point given in ECEF or ECI."""
    if earth == EARTH_SPHERE:
        return math.sqrt(x * x + y * y + z * z) - SPHERE_RADIUS
    return _geodetic_scalar(x, y, z, earth)[2]


@_lazy_vectorize(["float64(float64, float64, float64, int64)"])
def _lat_v(x, y, z, earth):
    return _geodetic_scalar(x, y, z, earth)[0]


@_lazy_vectorize(["float64(float64, float64, float64, int64)"])
def _alt_v(x, y, z, earth):
    return _geodetic_scalar(x, y, z, earth)[2]


def ecef_to_geodetic(x, y, z, earth: int = EARTH_WGS84):
    """ECEF to geodetic (lat_rad, lon_rad, alt_m); arrays broadcast."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    z = np.asarray(z, dtype=float)
    e = np.int64(earth)
    return _lat_v(x, y, z, e), np.arctan2(y, x), _alt_v(x, y, z, e)


def eci_to_ecef(r_eci, t_s, rotation: bool = True):
    """Rotate ECI vectors (..., 3) at times t_s (broadcast to ...) into ECEF."""
    r = np.asarray(r_eci, dtype=float)
    if not rotation:
        return r.copy()
    th = OMEGA_EARTH * np.asarray(t_s, dtype=float)
    c, s = np.cos(th), np.sin(th)
    out = np.empty(np.broadcast_shapes(r.shape, np.shape(th) + (3,)))
    out[..., 0] = c * r[..., 0] + s * r[..., 1]
    out[..., 1] = -s * r[..., 0] + c * r[..., 1]
    out[..., 2] = r[..., 2]
    return out


def ecef_to_eci(r_ecef, t_s, rotation: bool = True):
    """Rotate ECEF vectors (..., 3) at times t_s into the inertial frame."""
    r = np.asarray(r_ecef, dtype=float)
    if not rotation:
        return r.copy()
    return eci_to_ecef(r, -np.asarray(t_s, dtype=float), True)


def enu_basis(lat_rad, lon_rad):
    """Unit east, north, up vectors (..., 3) at geodetic lat/lon (up is the ellipsoid normal)."""
    lat = np.asarray(lat_rad, dtype=float)
    lon = np.asarray(lon_rad, dtype=float)
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    east = np.stack([-so, co, np.zeros_like(lat + lon)], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl * np.ones_like(lon)], axis=-1)
    up = np.stack([cl * co, cl * so, sl * np.ones_like(lon)], axis=-1)
    return east, north, up


# --- Gravity -----------------------------------------------------------------------------
@njit(cache=True)
def gravity_scalar(x, y, z, model):
    """Gravitational acceleration (m/s^2) at a geocentric point; point mass or + J2.

    J2 term (Vallado, Fundamentals of Astrodynamics, 4th ed., eq. 8-30):
    a = -mu r / |r|^3 * [1 + 1.5 J2 (Re/r)^2 (1 - 5 z^2/r^2)] in x, y and
    [1 + 1.5 J2 (Re/r)^2 (3 - 5 z^2/r^2)] in z.
    """
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    f = -GM / (r2 * r)
    if model == GRAVITY_POINT:
        return f * x, f * y, f * z
    k = 1.5 * J2 * WGS84_A * WGS84_A / r2
    zz = 5.0 * z * z / r2
    return f * x * (1.0 + k * (1.0 - zz)), f * y * (1.0 + k * (1.0 - zz)), f * z * (1.0 + k * (3.0 - zz))


def gravity(r, model: int = GRAVITY_J2):
    """Gravitational acceleration for positions r (..., 3); returns (..., 3) (``gravity_scalar``
    once per point)."""
    r = np.asarray(r, dtype=float)
    flat = np.ascontiguousarray(r.reshape(-1, 3))
    out = np.empty_like(flat)
    _gravity_rows(flat, np.int64(model), out)
    return out.reshape(r.shape)


@njit(cache=True)
def _gravity_rows(r, model, out):
    for i in range(r.shape[0]):
        out[i, 0], out[i, 1], out[i, 2] = gravity_scalar(r[i, 0], r[i, 1], r[i, 2], model)


# --- U.S. Standard Atmosphere 1976 -------------------------------------------------------
_R0 = 6356766.0  # effective Earth radius for geopotential altitude (US76 eq. 18)
_G0 = 9.80665
_RSTAR = 8.31432  # J/(mol K), US76 value
_M0 = 0.0289644  # kg/mol
_GAMMA = 1.4
_HB = np.array([0.0, 11000.0, 20000.0, 32000.0, 47000.0, 51000.0, 71000.0, 84852.0])
_LB = np.array([-0.0065, 0.0, 0.001, 0.0028, 0.0, -0.0028, -0.002, 0.0])
_TB = np.empty(8)
_PB = np.empty(8)
_TB[0], _PB[0] = 288.15, 101325.0
for _i in range(7):
    _dh = _HB[_i + 1] - _HB[_i]
    _TB[_i + 1] = _TB[_i] + _LB[_i] * _dh
    if _LB[_i] == 0.0:
        _PB[_i + 1] = _PB[_i] * math.exp(-_G0 * _M0 * _dh / (_RSTAR * _TB[_i]))
    else:
        _PB[_i + 1] = _PB[_i] * (_TB[_i] / _TB[_i + 1]) ** (_G0 * _M0 / (_RSTAR * _LB[_i]))


def _load_upper_table():
    text = resources.files("shieldsim").joinpath("data/us76_upper.csv").read_text()
    rows = [line.split(",") for line in text.splitlines() if line and not line.startswith("#")]
    arr = np.array([[float(a), float(b)] for a, b in rows[1:]])
    return np.ascontiguousarray(arr[:, 0]), np.ascontiguousarray(np.log(arr[:, 1]))


_UP_H, _UP_LNRHO = _load_upper_table()
_H_LOWER_TOP = 86000.0  # geometric altitude where the layered model hands over to the table
_H_TOP = float(_UP_H[-1])


@njit(cache=True)
def _layer_state(h):
    """Temperature (K) and pressure (Pa) at geometric altitude h <= 86 km (US76 layers)."""
    hg = _R0 * h / (_R0 + h)
    i = 0
    for j in range(7):
        if hg >= _HB[j]:
            i = j
    tb, pb, lb = _TB[i], _PB[i], _LB[i]
    dh = hg - _HB[i]
    t = tb + lb * dh
    if lb == 0.0:
        p = pb * math.exp(-_G0 * _M0 * dh / (_RSTAR * tb))
    else:
        p = pb * (tb / t) ** (_G0 * _M0 / (_RSTAR * lb))
    return t, p


@njit(cache=True)
def bracket(xs, n, x):
    """The index lo of the interval [xs[lo], xs[lo + 1]] of the ascending xs[:n] (n >= 2) that
    holds x, by bisection (x in [xs[0], xs[n - 1]]): the one table search of the kernels."""
    lo, hi = 0, n - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if xs[mid] <= x:
            lo = mid
        else:
            hi = mid
    return lo


@njit(cache=True)
def density_scalar(h):
    """Air density (kg/m^3) at geometric altitude h (m), US Standard Atmosphere 1976."""
    if h < _H_LOWER_TOP:
        if h < -5000.0:
            h = -5000.0
        t, p = _layer_state(h)
        return p * _M0 / (_RSTAR * t)
    if h >= _H_TOP:
        return 0.0
    lo = bracket(_UP_H, _UP_H.shape[0], h)
    hi = lo + 1
    w = (h - _UP_H[lo]) / (_UP_H[hi] - _UP_H[lo])
    return math.exp(_UP_LNRHO[lo] + w * (_UP_LNRHO[hi] - _UP_LNRHO[lo]))


@njit(cache=True)
def speed_of_sound_scalar(h):
    """Speed of sound (m/s) at geometric altitude h; held at its 86 km value above."""
    hh = min(max(h, -5000.0), _H_LOWER_TOP)
    t, _ = _layer_state(hh)
    return math.sqrt(_GAMMA * _RSTAR * t / _M0)


@_lazy_vectorize(["float64(float64)"])
def density(h_m):
    """Air density (kg/m^3) at geometric altitude h_m (array)."""
    return density_scalar(h_m)


@_lazy_vectorize(["float64(float64)"])
def speed_of_sound(h_m):
    """Speed of sound (m/s) at geometric altitude h_m (array)."""
    return speed_of_sound_scalar(h_m)


@_lazy_vectorize(["float64(float64)"])
def pressure(h_m):
    """Air pressure (Pa) at geometric altitude h_m (array); below 86 km only, else 0."""
    if h_m >= _H_LOWER_TOP:
        return 0.0
    return _layer_state(max(h_m, -5000.0))[1]


@njit(cache=True)
def pressure_scalar(h):
    if h >= _H_LOWER_TOP:
        return 0.0
    return _layer_state(max(h, -5000.0))[1]


# --- Angles on the sphere -----------------------------------------------------------------
def wrap_lon(lon, degrees: bool = False):
    """Longitude (or any angle) wrapped into [-pi, pi) rad, or [-180, 180) deg with ``degrees``:
    the one wrap every module uses. A Python float stays a float; arrays broadcast."""
    half = 180.0 if degrees else math.pi
    if isinstance(lon, (float, int)):
        return (lon + half) % (2.0 * half) - half
    return (np.asarray(lon, dtype=float) + half) % (2.0 * half) - half


@njit(cache=True)
def initial_bearing(lat1, lon1, lat2, lon2):
    """Initial great-circle bearing (rad, clockwise from north, in (-pi, pi]) from point 1 to
    point 2 on the sphere (radians; scalars or arrays, here and inside compiled kernels)."""
    dl = lon2 - lon1
    return np.arctan2(np.sin(dl) * np.cos(lat2), np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dl))


# --- Geodesic distance ---------------------------------------------------------------------
def ground_range_m(lat1, lon1, lat2, lon2, earth: int = EARTH_WGS84):
    """Surface distance (m) between geodetic points (radians, arrays broadcast).

    WGS84: the geodesic (pyproj.Geod, Karney's algorithm); sphere: great circle of radius
    SPHERE_RADIUS.
    """
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lat1, lon1, lat2, lon2)))
    if earth == EARTH_SPHERE:
        return SPHERE_RADIUS * central_angle(lat1, lon1, lat2, lon2)
    from pyproj import Geod

    g = Geod(ellps="WGS84")
    _, _, d = g.inv(np.degrees(lon1).ravel(), np.degrees(lat1).ravel(), np.degrees(lon2).ravel(), np.degrees(lat2).ravel())
    d = np.asarray(d, dtype=float).reshape(lat1.shape)
    return np.where(np.isfinite(lat2), d, np.nan)


def central_angle(lat1, lon1, lat2, lon2):
    """Great-circle angle (rad) between points on a sphere (haversine, stable for small angles)."""
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def geodesic_inverse(lat1, lon1, lat2, lon2):
    """WGS84 geodesic (forward azimuth rad, distance m) between points given in radians."""
    from pyproj import Geod

    lat1, lon1, lat2, lon2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lat1, lon1, lat2, lon2)))
    az, _, d = Geod(ellps="WGS84").inv(
        np.degrees(lon1).ravel(), np.degrees(lat1).ravel(), np.degrees(lon2).ravel(), np.degrees(lat2).ravel()
    )
    return np.radians(np.asarray(az)).reshape(lat1.shape), np.asarray(d).reshape(lat1.shape)


def geodesic_circle_deg(lat_deg: float, lon_deg: float, radius_km: float, azimuths_deg):
    """(lon_deg, lat_deg) arrays of the points ``radius_km`` from a centre along ``azimuths_deg``
    on the WGS84 geodesic: the one circle (or arc) the maps, GeoJSON and the 3-D scene draw."""
    from pyproj import Geod

    az = np.asarray(azimuths_deg, dtype=float)
    lon, lat, _ = Geod(ellps="WGS84").fwd(np.full(az.size, float(lon_deg)), np.full(az.size, float(lat_deg)), az,
                                          np.full(az.size, float(radius_km) * 1e3))
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def geodesic_forward(lat1, lon1, az, dist_m):
    """WGS84 point (lat, lon rad) at distance dist_m along azimuth az from (lat1, lon1)."""
    from pyproj import Geod

    lat1, lon1, az, dist_m = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lat1, lon1, az, dist_m)))
    lon2, lat2, _ = Geod(ellps="WGS84").fwd(
        np.degrees(lon1).ravel(), np.degrees(lat1).ravel(), np.degrees(az).ravel(), dist_m.ravel()
    )
    return np.radians(np.asarray(lat2)).reshape(lat1.shape), np.radians(np.asarray(lon2)).reshape(lat1.shape)
