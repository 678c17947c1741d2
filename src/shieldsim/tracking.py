"""Tracking: radar measurements → a track of one threat, with Stone Soup, and its quality.

The filter is Stone Soup's unscented (or extended) Kalman filter with two models written for
shieldsim (below). The unscented filter runs by default compiled (``tracker="fast"``,
``shieldsim.fast_ukf``: the same sigma points, models, angle handling and update as Stone
Soup's, about 100 times faster); ``tracker="stonesoup"`` (a parameter of ``track_threat`` and
``track_observation``) runs Stone Soup itself, the reference the compiled filter is held to
(``tests/consistency/test_fast_tracker.py``: equal update, first-track and fire-control times,
sigmas within 1e-6 relative). The models:

* ``BallisticTransitionModel``, a Stone Soup ``TransitionModel``: unpowered flight in the
  Earth-fixed (ECEF) frame under point-mass or J2 gravity (``shieldsim.earth.gravity``) with
  the Coriolis and centrifugal terms, integrated with fixed-step RK4; its Jacobian (the state
  transition matrix) is a central difference of the same integration, all perturbed states
  propagated in one vectorised call. Unmodelled accelerations enter as continuous white
  acceleration noise of spectral density q (Bar-Shalom, Li & Kirubarajan, *Estimation with
  Applications to Tracking and Navigation*, 2001, sec. 6.2.2).
* ``radar_measurement_model``: Stone Soup's ``CartesianToElevationBearingRange`` placed at
  the radar's site (translation) and turned into its east-north-up frame (rotation), with
  the range and angle noise of each detection (which grows with range, see ``sensors``).
  Stone Soup's bearing is measured from east, counter-clockwise: bearing = π/2 − azimuth.

The state is ECEF position and Earth-relative velocity [x, y, z, vx, vy, vz] (m, m/s), so
radars stand still and the trajectory's ``velocity_ecef`` is the truth to compare with.

The unscented filter is the default: radar range is metres-accurate while the angles are
hundreds of metres across at 1,000 km, and an EKF whose prior is kilometres wide linearises the
range about the wrong point and turns overconfident (average NEES ≈ 18 after 60 s and ≈ 9
after 300 s instead of 6, ``tests/validation/test_tracking_consistency.py``); the UKF stays at
≈ 6, and so does the EKF once its prior is a few hundred metres.

A track is one threat at a time (Stone Soup costs ~1.4 ms per predict + update, the compiled
filter ~10 µs): the
measurements of all radars are merged in time order, so when one radar loses the target the
track coasts and continues with the next radar's measurements (handover). Powered flight is
not modelled by the ballistic filter, so by default only measurements after the threat's
burnout and above 100 km (out of the sensible atmosphere, where drag is negligible) are used.

Fire control: the first time the track, propagated to the intercept time (by default 300 s
ahead), predicts the target's position to better than a threshold (1-sigma, the largest
semi-axis of the position error ellipsoid). The default threshold, 500 m, is tied to a kill
vehicle's divert capability: the kill vehicle removes the predicted-intercept-point error in
its terminal homing; with about 100 m/s of its divert Δv set aside for handover error and
about 10 s of homing after seeker acquisition (acquisition at ~100 km while closing at
~10 km/s), it can remove a displacement of about Δv·t/2 ≈ 500 m. Notional (tag N), hence a
parameter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
from stonesoup.base import Property
from stonesoup.models.base import TimeVariantModel
from stonesoup.models.measurement.nonlinear import CartesianToElevationBearingRange
from stonesoup.models.transition.nonlinear import GaussianTransitionModel
from stonesoup.predictor.kalman import ExtendedKalmanPredictor, UnscentedKalmanPredictor
from stonesoup.types.angle import Bearing, Elevation
from stonesoup.types.array import CovarianceMatrix, StateVector, StateVectors
from stonesoup.types.detection import Detection
from stonesoup.types.hypothesis import SingleHypothesis
from stonesoup.types.state import GaussianState
from stonesoup.updater.kalman import ExtendedKalmanUpdater, UnscentedKalmanUpdater

from .earth import GRAVITY_J2, GRAVITY_POINT, OMEGA_EARTH, ecef_to_geodetic, gravity
from .errors import ScenarioError
from .fast_ukf import propagate_batch
from .sensors import MeasurementSeries, Observation, Radar

#: Stone Soup needs datetimes; shieldsim times are seconds after launch, counted from here.
EPOCH = datetime(2007, 6, 8)
DEFAULT_FIRE_CONTROL_M = 500.0  #: see the module docstring (divert reasoning), tag N
DEFAULT_HORIZON_S = 300.0
DEFAULT_PROCESS_NOISE = 1e-4  #: m²/s³: white acceleration noise for unmodelled forces, tag N
_FD_STEP = np.array([10.0, 10.0, 10.0, 0.1, 0.1, 0.1])  # central-difference steps (m, m/s)


# --------------------------------------------------------------------------------------
# Ballistic motion in ECEF: pure array kernels
# --------------------------------------------------------------------------------------
def ballistic_acceleration(r, v, gravity_model: int = GRAVITY_J2, rotating: bool = True) -> np.ndarray:
    """Acceleration (..., 3) in ECEF of an unpowered body: gravity + Coriolis + centrifugal.

    a = g(r) − 2Ω×v − Ω×(Ω×r) with Ω = ω ẑ (Vallado, *Fundamentals of Astrodynamics and
    Applications*, 4th ed., sec. 3.7); ``rotating=False`` drops both apparent forces (an
    inertial frame).
    """
    r = np.asarray(r, dtype=float)
    a = gravity(r, gravity_model)
    if rotating:
        w = OMEGA_EARTH
        a[..., 0] += 2.0 * w * v[..., 1] + w * w * r[..., 0]
        a[..., 1] += -2.0 * w * v[..., 0] + w * w * r[..., 1]
    return a


def propagate_ballistic(state, dt_s, *, gravity_model: int = GRAVITY_J2, rotating: bool = True,
                        max_step_s: float = 10.0, compiled: bool = False) -> np.ndarray:
    """Propagate ECEF states (..., 6) by dt_s (broadcast to ...) with fixed-step RK4.

    Every state takes the same number of steps, ceil(max|dt| / max_step_s), each of its own
    length dt/steps, so a batch with mixed intervals is one vectorised integration. RK4 with
    10 s steps on a ballistic arc errs by well under a metre over an hour. ``compiled=True``
    runs the same operations in ``fast_ukf.propagate_batch`` (one compiled loop instead of
    numpy passes: what the fire-control prediction of long tracks uses).
    """
    x = np.array(state, dtype=float)
    dt = np.broadcast_to(np.asarray(dt_s, dtype=float), x.shape[:-1])
    finite = np.isfinite(dt)
    span = float(np.max(np.abs(dt[finite]))) if finite.any() else 0.0
    steps = max(1, math.ceil(span / max_step_s))
    h = (np.where(finite, dt, 0.0) / steps)[..., None]
    if compiled:
        x = propagate_batch(np.ascontiguousarray(x.reshape(-1, 6)), np.ascontiguousarray(h.reshape(-1)), steps,
                            int(gravity_model), bool(rotating)).reshape(x.shape)
        return np.where(finite[..., None], x, np.nan)

    def f(y):
        return np.concatenate([y[..., 3:], ballistic_acceleration(y[..., :3], y[..., 3:], gravity_model, rotating)], axis=-1)

    for _ in range(steps):
        k1 = f(x)
        k2 = f(x + 0.5 * h * k1)
        k3 = f(x + 0.5 * h * k2)
        k4 = f(x + h * k3)
        x = x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return np.where(finite[..., None], x, np.nan)


def transition_jacobian(state, dt_s, **kwargs) -> np.ndarray:
    """State transition matrices (..., 6, 6) by central differences of ``propagate_ballistic``."""
    x = np.asarray(state, dtype=float)
    dt = np.broadcast_to(np.asarray(dt_s, dtype=float), x.shape[:-1])
    pert = np.concatenate([np.diag(_FD_STEP), -np.diag(_FD_STEP)])  # (12, 6)
    xs = x[..., None, :] + pert  # (..., 12, 6)
    ys = propagate_ballistic(xs, dt[..., None], **kwargs)
    d = (ys[..., :6, :] - ys[..., 6:, :]) / (2.0 * _FD_STEP[:, None])  # (..., 6 in, 6 out)
    return np.swapaxes(d, -1, -2)


def process_noise(dt_s, q_m2_s3: float) -> np.ndarray:
    """Discretised continuous white-acceleration noise (..., 6, 6) for intervals dt_s."""
    dt = np.abs(np.asarray(dt_s, dtype=float))[..., None, None]
    eye = np.eye(3)
    top = np.concatenate([dt**3 / 3.0 * eye, dt**2 / 2.0 * eye], axis=-1)
    bottom = np.concatenate([dt**2 / 2.0 * eye, dt * eye], axis=-1)
    return q_m2_s3 * np.concatenate([top, bottom], axis=-2)


# --------------------------------------------------------------------------------------
# Stone Soup models
# --------------------------------------------------------------------------------------
class BallisticTransitionModel(GaussianTransitionModel, TimeVariantModel):
    """Unpowered flight in ECEF (gravity + Coriolis + centrifugal), as a Stone Soup model.

    State [x, y, z, vx, vy, vz] in metres and m/s, Earth-relative.
    """

    gravity_model: int = Property(default=GRAVITY_J2, doc="shieldsim.earth GRAVITY_POINT or GRAVITY_J2")
    rotating: bool = Property(default=True, doc="ECEF with Coriolis and centrifugal terms (False: inertial)")
    process_noise_m2_s3: float = Property(default=DEFAULT_PROCESS_NOISE,
                                          doc="white acceleration noise spectral density, m^2/s^3")
    max_step_s: float = Property(default=10.0, doc="longest RK4 step, s")

    @property
    def ndim_state(self) -> int:
        return 6

    def _kw(self):
        return {"gravity_model": self.gravity_model, "rotating": self.rotating, "max_step_s": self.max_step_s}

    def function(self, state, noise=False, **kwargs):
        dt = kwargs["time_interval"].total_seconds()
        sv = np.asarray(state.state_vector, dtype=float)
        out = propagate_ballistic(sv.T, dt, **self._kw()).T
        if isinstance(noise, bool) or noise is None:
            noise = self.rvs(num_samples=sv.shape[1], **kwargs) if noise else 0
        out = out + noise
        return StateVectors(out) if out.shape[1] > 1 else StateVector(out)

    def jacobian(self, state, **kwargs):
        dt = kwargs["time_interval"].total_seconds()
        x = np.asarray(state.state_vector, dtype=float)[:, 0]
        return transition_jacobian(x, dt, **self._kw())

    def covar(self, time_interval, **kwargs):
        return CovarianceMatrix(process_noise(time_interval.total_seconds(), self.process_noise_m2_s3))


def radar_measurement_model(radar: Radar, sigma_range_m: float, sigma_angle_rad: float) -> CartesianToElevationBearingRange:
    """Stone Soup elevation-bearing-range model at the radar, in its ENU frame.

    Stone Soup rotates by rotx(−θx)·roty(θy)·rotz(−θz); θ = (π/2 − lat, 0, π/2 + lon) gives
    the ECEF→ENU matrix R1(π/2 − lat)·R3(π/2 + lon) (passive rotations).
    """
    lat = math.radians(radar.lat_deg)
    lon = math.radians(radar.lon_deg)
    return CartesianToElevationBearingRange(
        ndim_state=6,
        mapping=(0, 1, 2),
        noise_covar=CovarianceMatrix(np.diag([sigma_angle_rad**2, sigma_angle_rad**2, sigma_range_m**2])),
        translation_offset=StateVector(radar.site_ecef),
        rotation_offset=StateVector([math.pi / 2 - lat, 0.0, math.pi / 2 + lon]),
    )


def _timestamp(t_s: float) -> datetime:
    return EPOCH + timedelta(seconds=float(t_s))


# --------------------------------------------------------------------------------------
# Track results
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrackHistory:
    """A track of one threat: the filter's state and covariance after every update."""

    t_s: np.ndarray  #: (m,) update times, seconds after launch
    state: np.ndarray  #: (m, 6) ECEF position (m) and velocity (m/s)
    covar: np.ndarray  #: (m, 6, 6)
    sensor: tuple[str, ...]  #: which radar gave each update
    first_track_s: float  #: confirmation time (NaN if never confirmed)
    gravity_model: int = GRAVITY_J2
    rotating: bool = True
    process_noise_m2_s3: float = DEFAULT_PROCESS_NOISE

    def __len__(self) -> int:
        return int(self.t_s.size)

    def position_sigma_m(self) -> np.ndarray:
        """1-sigma position error after each update: the error ellipsoid's largest semi-axis."""
        return np.sqrt(np.linalg.eigvalsh(self.covar[:, :3, :3])[:, -1]) if len(self) else np.zeros(0)

    def velocity_sigma_m_s(self) -> np.ndarray:
        return np.sqrt(np.linalg.eigvalsh(self.covar[:, 3:, 3:])[:, -1]) if len(self) else np.zeros(0)

    def predict(self, at_time_s):
        """Mean (m, 6) and covariance (m, 6, 6) of each update's state predicted to at_time_s (m,)."""
        dt = np.broadcast_to(np.asarray(at_time_s, dtype=float), self.t_s.shape) - self.t_s
        kw = {"gravity_model": self.gravity_model, "rotating": self.rotating, "compiled": True}
        mean = propagate_ballistic(self.state, dt, **kw)
        F = transition_jacobian(self.state, dt, **kw)
        P = F @ self.covar @ np.swapaxes(F, -1, -2) + process_noise(dt, self.process_noise_m2_s3)
        return mean, P

    def predicted_position_sigma_m(self, horizon_s: float = DEFAULT_HORIZON_S, *, intercept_time_s: float | None = None,
                                   t_end_s: float | None = None) -> np.ndarray:
        """1-sigma predicted-position error (m) of each update, propagated to the intercept time.

        The intercept time is ``intercept_time_s`` if given (updates after it give NaN), else
        ``horizon_s`` after the update, capped at ``t_end_s`` (e.g. the predicted impact).
        """
        if not len(self):
            return np.zeros(0)
        target = np.full(self.t_s.shape, float(intercept_time_s)) if intercept_time_s is not None else self.t_s + horizon_s
        if t_end_s is not None and math.isfinite(t_end_s):
            target = np.minimum(target, t_end_s)
        bad = target < self.t_s
        _, P = self.predict(np.where(bad, self.t_s, target))
        sig = np.sqrt(np.linalg.eigvalsh(P[:, :3, :3])[:, -1])
        return np.where(bad, np.nan, sig)

    def fire_control_time(self, threshold_m: float = DEFAULT_FIRE_CONTROL_M, horizon_s: float = DEFAULT_HORIZON_S, *,
                          intercept_time_s: float | None = None, t_end_s: float | None = None) -> float:
        return fire_control_time(self, threshold_m, horizon_s, intercept_time_s=intercept_time_s, t_end_s=t_end_s)


def fire_control_time(track: TrackHistory, threshold_m: float = DEFAULT_FIRE_CONTROL_M,
                      horizon_s: float = DEFAULT_HORIZON_S, *, intercept_time_s: float | None = None,
                      t_end_s: float | None = None) -> float:
    """First update time at which the predicted-position error is below ``threshold_m``.

    The prediction goes to ``intercept_time_s`` or, by default, ``horizon_s`` ahead (capped at
    ``t_end_s``); 1-sigma is the largest semi-axis of the predicted position error ellipsoid.
    NaN if never. The default threshold (500 m) follows from a kill vehicle's divert
    capability, see the module docstring.
    """
    if not (isinstance(threshold_m, (int, float)) and threshold_m > 0):
        raise ScenarioError("fire_control_threshold_m", f"must be positive, got {threshold_m!r}")
    if intercept_time_s is None and not (isinstance(horizon_s, (int, float)) and horizon_s >= 0):
        raise ScenarioError("fire_control_horizon_s", f"must be non-negative, got {horizon_s!r}")
    sig = track.predicted_position_sigma_m(horizon_s, intercept_time_s=intercept_time_s, t_end_s=t_end_s)
    ok = np.flatnonzero(sig < threshold_m)
    return float(track.t_s[ok[0]]) if ok.size else math.nan


# --------------------------------------------------------------------------------------
# Tracking one threat
# --------------------------------------------------------------------------------------
def measurement_position_covariance(series: MeasurementSeries) -> tuple[np.ndarray, np.ndarray]:
    """Measured positions (m, 3) and their covariance (m, 3, 3) in ECEF (first-order)."""
    r, az, el = series.range_m, series.azimuth_rad, series.elevation_rad
    ca, sa, ce, se = np.cos(az), np.sin(az), np.cos(el), np.sin(el)
    J = np.stack([
        np.stack([ce * sa, r * ce * ca, -r * se * sa], axis=-1),
        np.stack([ce * ca, -r * ce * sa, -r * se * ca], axis=-1),
        np.stack([se, np.zeros_like(r), r * ce], axis=-1),
    ], axis=-2)  # (m, 3 enu, 3 [range, az, el])
    D = np.stack([series.sigma_range_m**2, series.sigma_angle_rad**2, series.sigma_angle_rad**2], axis=-1)
    P_enu = (J * D[:, None, :]) @ np.swapaxes(J, -1, -2)
    M = series.radar.enu_matrix
    return series.positions_ecef(), M.T @ P_enu @ M


def _select(series: MeasurementSeries, t_after: float, min_altitude_m: float, max_updates: int) -> np.ndarray:
    """Indices of the measurements the ballistic filter uses, thinned to at most max_updates."""
    p = series.positions_ecef()
    alt = ecef_to_geodetic(p[:, 0], p[:, 1], p[:, 2])[2] if len(series) else np.zeros(0)
    keep = np.flatnonzero((series.t_s > t_after) & (alt >= min_altitude_m))
    if keep.size > max_updates:
        stride = math.ceil(keep.size / max_updates)
        keep = keep[::stride]
    return keep


def two_point_initiation(series_a: MeasurementSeries, i: int, series_b: MeasurementSeries, j: int, *,
                         gravity_model: int = GRAVITY_J2):
    """Initial state at the second measurement from two position fixes (Bar-Shalom et al. 2001, 5.5.3).

    v ≈ (p2 − p1)/Δt + a(p2)·Δt/2 (gravity and centrifugal acceleration taken constant over
    Δt); the covariance adds the position errors and a slack for the neglected Coriolis term
    and the change of gravity along the arc.
    """
    p1, P1 = (x[i] for x in measurement_position_covariance(series_a))
    p2, P2 = (x[j] for x in measurement_position_covariance(series_b))
    dt = float(series_b.t_s[j] - series_a.t_s[i])
    a = ballistic_acceleration(p2, np.zeros(3), gravity_model, True)
    v = (p2 - p1) / dt + 0.5 * a * dt
    slack = (0.1 * np.linalg.norm(a) * dt + 2.0 * OMEGA_EARTH * np.linalg.norm(v) * dt) ** 2
    P = np.zeros((6, 6))
    P[:3, :3] = P2
    P[:3, 3:] = P2 / dt
    P[3:, :3] = P2 / dt
    P[3:, 3:] = (P1 + P2) / dt**2 + slack * np.eye(3)
    return float(series_b.t_s[j]), np.concatenate([p2, v]), P


def _fast_ukf(series, rows, t0, x0, P0, model):
    """The Stone Soup UKF loop of ``track_threat``, compiled (``shieldsim.fast_ukf``): the states
    and covariances (m, 6), (m, 6, 6) after each of ``rows``, or None if a covariance lost positive
    definiteness (the caller then runs Stone Soup, which perturbs it)."""
    from stonesoup.functions import build_rotation_matrix, mod_bearing, mod_elevation

    from .fast_ukf import UKF_ALPHA, UKF_BETA, UKF_KAPPA, ukf_track

    m = len(rows)
    # Stone Soup's clock: datetimes to the microsecond, intervals from their differences.
    stamps = [_timestamp(t0)] + [_timestamp(t) for t, _, _ in rows]
    dts = np.array([(b - a).total_seconds() for a, b in zip(stamps[:-1], stamps[1:])])
    s_idx = np.array([r[1] for r in rows], dtype=np.int64)
    m_idx = np.array([r[2] for r in rows], dtype=np.int64)
    zs, rvar = np.empty((m, 3)), np.empty((m, 3))
    sites, rots = np.empty((m, 3)), np.empty((m, 3, 3))
    for s_i in np.unique(s_idx):
        s, k = series[s_i], np.flatnonzero(s_idx == s_i)
        j = m_idx[k]
        lat, lon = math.radians(s.radar.lat_deg), math.radians(s.radar.lon_deg)
        rots[k] = build_rotation_matrix(np.array([[math.pi / 2 - lat], [0.0], [math.pi / 2 + lon]]))
        sites[k] = s.radar.site_ecef
        # As the Elevation and Bearing types of radar_measurement_model's detections wrap them.
        zs[k, 0] = mod_elevation(np.asarray(s.elevation_rad, float)[j])
        zs[k, 1] = mod_bearing(math.pi / 2 - np.asarray(s.azimuth_rad, float)[j])
        zs[k, 2] = np.asarray(s.range_m, float)[j]
        sa, sr = np.asarray(s.sigma_angle_rad, float)[j], np.asarray(s.sigma_range_m, float)[j]
        rvar[k, 0] = sa**2
        rvar[k, 1] = sa**2
        rvar[k, 2] = sr**2
    xs, Ps = np.empty((m, 6)), np.empty((m, 6, 6))
    status = ukf_track(np.asarray(x0, float), np.asarray(P0, float), dts, zs, rvar, sites, rots,
                       float(model.process_noise_m2_s3), int(model.gravity_model), bool(model.rotating),
                       float(model.max_step_s), UKF_ALPHA, UKF_BETA, UKF_KAPPA, xs, Ps)
    return (xs, Ps) if status == 0 else None


#: The filter ``track_threat`` runs by default: ``"fast"`` (the compiled copy of Stone Soup's
#: UKF in ``shieldsim.fast_ukf``) or ``"stonesoup"`` (the reference).
DEFAULT_TRACKER = "fast"
TRACKERS = ("fast", "stonesoup")


def track_threat(series: Sequence[MeasurementSeries], *, t_burnout_s: float = math.nan,
                 prior: tuple[float, np.ndarray, np.ndarray] | None = None, filter: str = "ukf",
                 transition_model: BallisticTransitionModel | None = None, min_altitude_m: float = 100e3,
                 max_updates_per_sensor: int = 300, confirm_updates: int = 3,
                 tracker: str | None = None) -> TrackHistory:
    """Track one threat from the measurements of one or more radars (Stone Soup UKF or EKF).

    Parameters
    ----------
    series
        One ``MeasurementSeries`` per radar (``RadarMeasurements.threat(i)``).
    t_burnout_s
        Measurements up to burnout are skipped (the filter's motion model is ballistic).
    prior
        (t_s, mean (6,), covariance (6, 6)) to start from; by default a two-point
        initiation from the first two measurements.
    filter
        ``"ukf"`` (default) or ``"ekf"`` (overconfident while the prior is much wider than
        the measurements are precise, see the module docstring).
    max_updates_per_sensor
        Each radar's measurements are thinned to at most this many (Stone Soup's cost is
        per update; 300 keeps one threat × one radar near a second).
    confirm_updates
        The track counts as established (``first_track_s``) at the measurement with this
        number (two form the initial state, the third confirms it: a 3-of-3 rule).
    tracker
        ``"stonesoup"``: Stone Soup's predictor and updater (the reference); ``"fast"``: the
        same unscented filter compiled (``shieldsim.fast_ukf``, about 100 times faster, held to
        Stone Soup by ``tests/consistency/test_fast_tracker.py``); the EKF, and a transition
        model that subclasses ``BallisticTransitionModel``, always run in Stone Soup. Default
        ``DEFAULT_TRACKER``.
    """
    if filter not in ("ekf", "ukf"):
        raise ScenarioError("filter", f"must be 'ekf' or 'ukf', got {filter!r}")
    tracker = DEFAULT_TRACKER if tracker is None else tracker
    if tracker not in TRACKERS:
        raise ScenarioError("tracker", f"must be 'fast' or 'stonesoup', got {str(tracker)[:80]!r}")
    model = transition_model or BallisticTransitionModel()
    t_after = float(t_burnout_s) if math.isfinite(t_burnout_s) else -math.inf
    if prior is not None:
        t_after = max(t_after, float(prior[0]))
    rows = _update_rows(series, t_after, min_altitude_m, max_updates_per_sensor)
    start = _start(series, rows, prior, model)
    if start is None:
        return _history([], np.zeros((0, 6)), np.zeros((0, 6, 6)), (), math.nan, model)
    (t0, x0, P0), rows, used, (ts, xs, Ps, who) = start
    first_track = _first_track(used, ts, [t for t, _, _ in rows], confirm_updates)
    if tracker == "fast" and filter == "ukf" and type(model) is BallisticTransitionModel:
        fast = _fast_ukf(series, rows, t0, x0, P0, model) if rows else (np.zeros((0, 6)), np.zeros((0, 6, 6)))
        if fast is not None:
            return _history(ts + [t for t, _, _ in rows],
                            np.concatenate([np.asarray(xs).reshape(-1, 6), fast[0]]),
                            np.concatenate([np.asarray(Ps).reshape(-1, 6, 6), fast[1]]),
                            tuple(who) + tuple(series[s_i].radar.name for _, s_i, _ in rows), first_track, model)
    if filter == "ekf":
        predictor, updater = ExtendedKalmanPredictor(model), ExtendedKalmanUpdater(measurement_model=None)
    else:
        predictor, updater = UnscentedKalmanPredictor(model), UnscentedKalmanUpdater(measurement_model=None)
    state = GaussianState(StateVector(x0), CovarianceMatrix(P0), timestamp=_timestamp(t0))
    for t, s_i, m_i in rows:
        s = series[s_i]
        mm = radar_measurement_model(s.radar, float(s.sigma_range_m[m_i]), float(s.sigma_angle_rad[m_i]))
        z = StateVector([Elevation(s.elevation_rad[m_i]), Bearing(math.pi / 2 - s.azimuth_rad[m_i]), s.range_m[m_i]])
        stamp = _timestamp(t)
        prediction = predictor.predict(state, timestamp=stamp)
        state = updater.update(SingleHypothesis(prediction, Detection(z, timestamp=stamp, measurement_model=mm)))
        ts.append(t)
        xs.append(np.asarray(state.state_vector, dtype=float)[:, 0])
        Ps.append(np.asarray(state.covar, dtype=float))
        who.append(s.radar.name)
    return _history(ts, np.asarray(xs), np.asarray(Ps), tuple(who), first_track, model)


def _update_rows(series, t_after: float, min_altitude_m: float, max_updates: int) -> list:
    """(t, series index, measurement index) of every measurement the filter uses, in time order."""
    rows = []
    for s_i, s in enumerate(series):
        for m_i in _select(s, t_after, min_altitude_m, max_updates):
            rows.append((float(s.t_s[m_i]), s_i, int(m_i)))
    rows.sort()
    return rows


def _start(series, rows, prior, model):
    """The filter's initial state ``(t0, x0, P0)``, the rows left to update with, how many
    measurements it used, and the track's first entries ``(ts, xs, Ps, who)`` (the two-point
    initiation's; none for a ``prior``). None when no two measurements at different times start it."""
    if prior is not None:
        t0, x0, P0 = float(prior[0]), np.asarray(prior[1], dtype=float), np.asarray(prior[2], dtype=float)
        return (t0, x0, P0), rows, 0, ([], [], [], [])
    if len(rows) < 2:
        return None
    t1, a, i = rows[0]
    later = [k for k in range(1, len(rows)) if rows[k][0] > t1 + 1e-6]
    if not later:
        return None
    k2 = later[0]
    _, b, j = rows[k2]
    t0, x0, P0 = two_point_initiation(series[a], i, series[b], j, gravity_model=model.gravity_model)
    return (t0, x0, P0), rows[k2 + 1:], 2, ([t0], [x0], [P0], [series[b].radar.name])


def _first_track(used: int, ts: list, update_ts: list, confirm_updates: int) -> float:
    """When the track is established: at the measurement numbered ``confirm_updates``, counting the
    ``used`` ones that started it (their track entries ``ts``) and then the updates at ``update_ts``."""
    if used >= confirm_updates and ts:
        return ts[0]
    if used < confirm_updates <= used + len(update_ts):
        return update_ts[confirm_updates - used - 1]
    return math.nan


def _history(ts, xs, Ps, who, first_track: float, model) -> TrackHistory:
    return TrackHistory(np.asarray(ts), np.asarray(xs).reshape(-1, 6), np.asarray(Ps).reshape(-1, 6, 6), tuple(who),
                        first_track, model.gravity_model, model.rotating, model.process_noise_m2_s3)


def track_observation(observation: Observation, *, threshold_m: float = DEFAULT_FIRE_CONTROL_M,
                      horizon_s: float = DEFAULT_HORIZON_S, threats: Sequence[int] | None = None,
                      **track_kwargs) -> Observation:
    """Track every threat of an observation (one at a time) and fill first-track and fire-control times.

    Uses the radar measurements ``observe`` drew (it must have run with ``measurements=True``).
    The fire-control prediction is capped at the threat's flight time. Returns a new
    ``Observation`` with ``first_track_s``, ``fire_control_s`` and ``tracks`` set.
    ``track_kwargs`` go to ``track_threat``: ``tracker="stonesoup"`` tracks with Stone Soup
    itself instead of its compiled copy.
    """
    if not observation.measurements:
        raise ScenarioError("measurements", "the observation has no radar measurements (observe(..., measurements=True))")
    n = observation.n
    first = np.full(n, np.nan)
    fire = np.full(n, np.nan)
    tracks: list = [None] * n
    for i in (range(n) if threats is None else threats):
        series = [m.threat(i) for m in observation.measurements.values()]
        tr = track_threat(series, t_burnout_s=float(observation.t_burnout_s[i]), **track_kwargs)
        tracks[i] = tr
        first[i] = tr.first_track_s
        if len(tr):
            fire[i] = fire_control_time(tr, threshold_m, horizon_s, t_end_s=float(observation.flight_time_s[i]))
    return replace(observation, first_track_s=first, fire_control_s=fire, tracks=tuple(tracks))


__all__ = [
    "DEFAULT_FIRE_CONTROL_M",
    "DEFAULT_HORIZON_S",
    "DEFAULT_TRACKER",
    "EPOCH",
    "GRAVITY_J2",
    "GRAVITY_POINT",
    "BallisticTransitionModel",
    "TRACKERS",
    "TrackHistory",
    "ballistic_acceleration",
    "fire_control_time",
    "measurement_position_covariance",
    "process_noise",
    "propagate_ballistic",
    "radar_measurement_model",
    "track_observation",
    "track_threat",
    "transition_jacobian",
    "two_point_initiation",
]
