"""US Standard Atmosphere 1976: shieldsim's layers and upper table against independent codes.

References
    * U.S. Standard Atmosphere, 1976 (NOAA-S/T 76-1562, NASA-TM-X-74335).
    * ``ambiance`` 1.3.1 (A. Dettmann, airinnova/ambiance): the standard's layered model,
      -5 to 81 km (it refuses higher altitudes).
    * ``ussa1976`` 0.3.4 (Y. Leroy, nollety/ussa1976): the whole standard, 0-1,000 km, and
      the source of shieldsim's ``data/us76_upper.csv``. Optional: the tests that need it
      are skipped when it is not installed.

shieldsim exposes density, pressure and speed of sound; the temperature compared is
T = p M0 / (R* rho), the standard's molecular-scale temperature (what both references call
temperature below 86 km).

Tolerances (relative)
    * 0-81 km against ambiance, density, pressure, temperature, speed of sound: 1e-5 (the
      issue's figure). Measured: 9.1e-6 in pressure and 8.4e-6 in density near 71.8 km
      (also the maxima on a 0.4 m grid, so another seed cannot exceed them), 1e-15 in
      temperature, 3.5e-7 in speed of sound. The pressure gap is ambiance's:
      it uses the standard's table-4 base pressures rounded to six figures (3.95639 Pa at
      71 km geopotential, where the hydrostatic chain gives 3.956420 Pa), while shieldsim
      computes them from the chain.
    * 81-86 km against ussa1976 (shieldsim's layered model still): 2e-5. Measured 1.1e-5
      at 86 km: ussa1976 derives the sea-level molar mass from the gas composition,
      0.028964425 kg/mol against the standard's 0.0289644 (8.7e-7 relative), which
      accumulates through the hydrostatic exponent to ln(p0/p) * 8.7e-7 = 1.1e-5 at 86 km.
    * Table knots, 86-1,000 km: 1e-6 (the table keeps seven significant figures; measured
      4.3e-7).
    * Between knots, 86-120 km: shieldsim interpolates ln(rho) linearly on a 1 km grid,
      whose error is about (1 km)^2 / 8 * |d^2 ln(rho) / dz^2|, largest where the
      thermosphere's temperature bends: measured 1.16e-3 (at 110.5 km). Tolerance 1.5e-3.
"""

import numpy as np
import pytest
from ambiance import Atmosphere

from shieldsim import earth as E

R0 = 6356766.0  # US76 effective Earth radius for geopotential altitude (m)
M0, RSTAR = 0.0289644, 8.31432  # US76 sea-level molar mass (kg/mol) and gas constant (J/(mol K))
# Layer bases of US76 table 4 (geopotential km) as geometric altitudes: the kinks.
_BASES_GEOP = np.array([11.0, 20.0, 32.0, 47.0, 51.0, 71.0]) * 1e3
_BASES = R0 * _BASES_GEOP / (R0 - _BASES_GEOP)


def _altitudes_0_81km():
    rng = np.random.default_rng(1976)
    edges = np.concatenate([_BASES - 0.01, _BASES + 0.01])
    return np.concatenate([[0.0, 81e3], edges, rng.uniform(0.0, 81e3, 3000)])


def _temperature(h):
    return E.pressure(h) * M0 / (RSTAR * E.density(h))


def _rel(a, b):
    return np.abs(np.asarray(a) / np.asarray(b) - 1.0)


def _assert_rel(name, h, ours, ref, tol):
    err = _rel(ours, ref)
    i = int(np.argmax(err))
    assert err[i] <= tol, f"{name}: relative error {err[i]:.3e} > {tol:.0e} at {h[i] / 1e3:.3f} km " \
                          f"(shieldsim {ours[i]:.9g}, reference {ref[i]:.9g})"


def test_layers_match_ambiance_0_to_81_km():
    h = _altitudes_0_81km()
    ref = Atmosphere(h)
    _assert_rel("density", h, E.density(h), ref.density, 1e-5)
    _assert_rel("pressure", h, E.pressure(h), ref.pressure, 1e-5)
    _assert_rel("temperature", h, _temperature(h), ref.temperature, 1e-5)
    _assert_rel("speed of sound", h, E.speed_of_sound(h), ref.speed_of_sound, 1e-5)


def test_integrator_kernels_match_ambiance():
    """The scalar kernels the integrator calls, not only their vectorised wrappers."""
    h = _altitudes_0_81km()[:300]
    ref = Atmosphere(h)
    _assert_rel("density_scalar", h, np.array([E.density_scalar(x) for x in h]), ref.density, 1e-5)
    _assert_rel("pressure_scalar", h, np.array([E.pressure_scalar(x) for x in h]), ref.pressure, 1e-5)
    _assert_rel("speed_of_sound_scalar", h, np.array([E.speed_of_sound_scalar(x) for x in h]),
                ref.speed_of_sound, 1e-5)


@pytest.fixture(scope="module")
def ussa1976():
    return pytest.importorskip("ussa1976")


def test_layers_match_ussa1976_81_to_86_km(ussa1976):
    rng = np.random.default_rng(81)
    h = np.concatenate([[81e3, 85999.0], rng.uniform(81e3, 86e3 - 1.0, 200)])
    ds = ussa1976.compute(z=h, variables=["rho", "p", "t", "cs"])
    _assert_rel("density", h, E.density(h), ds["rho"].values, 2e-5)
    _assert_rel("pressure", h, E.pressure(h), ds["p"].values, 2e-5)
    _assert_rel("temperature", h, _temperature(h), ds["t"].values, 2e-5)
    _assert_rel("speed of sound", h, E.speed_of_sound(h), ds["cs"].values, 2e-5)


def _table_knots():
    from importlib import resources

    text = resources.files("shieldsim").joinpath("data/us76_upper.csv").read_text()
    rows = [ln.split(",")[0] for ln in text.splitlines() if ln and not ln.startswith("#")][1:]
    return np.array([float(a) for a in rows])


def test_upper_table_knots_match_ussa1976(ussa1976):
    z = _table_knots()
    z = z[(z >= 86e3) & (z < 1000e3)]
    assert z.size > 100
    ds = ussa1976.compute(z=z, variables=["rho"])
    _assert_rel("density at table knots", z, E.density(z), ds["rho"].values, 1e-6)


def test_upper_density_between_knots_matches_ussa1976(ussa1976):
    rng = np.random.default_rng(120)
    mid = np.arange(86.5e3, 120e3, 1e3)  # knot midpoints: the interpolation's worst case
    h = np.concatenate([mid, rng.uniform(86e3, 120e3, 300)])
    ds = ussa1976.compute(z=h, variables=["rho"])
    _assert_rel("density between knots", h, E.density(h), ds["rho"].values, 1.5e-3)
