"""Start-up economies that must not change a value: lazy ufuncs in ``earth`` and libyaml for the catalog.

Their speed is measured in ``benchmarks/bench_cli_start.py``, not here.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
import yaml

from shieldsim import catalog
from shieldsim import earth as E


def test_a_lazy_ufunc_is_built_on_first_use_only():
    calls = []

    def twice(x):
        return 2.0 * x

    u = E._LazyUfunc(["float64(float64)"], twice)
    assert u._ufunc is None and u.__name__ == "twice"
    calls.append(u(np.array([1.0, 2.5])))
    assert u._ufunc is not None and u.nin == 1  # attributes go to the built ufunc
    np.testing.assert_array_equal(calls[0], [2.0, 5.0])
    with pytest.raises(AttributeError):
        E._LazyUfunc.__getattr__(u, "_ufunc")


@pytest.mark.parametrize("name, scalar", [("density", "density_scalar"), ("speed_of_sound", "speed_of_sound_scalar"),
                                          ("pressure", "pressure_scalar")])
def test_consistency_lazy_atmosphere_ufuncs_equal_their_scalar_kernels(name, scalar):
    h = np.array([-6000.0, 0.0, 11000.0, 50000.0, 86000.0, 120000.0, 5e5, 2e6])
    got = getattr(E, name)(h)
    want = np.array([getattr(E, scalar)(x) for x in h])
    np.testing.assert_array_equal(got, want)


def test_consistency_geodetic_ufuncs_equal_the_scalar_kernel():
    x, y, z = E.geodetic_to_ecef(np.radians([10.0, 54.5, -80.0]), np.radians([20.0, -3.0, 170.0]), [0.0, 3e5, 1e6])
    lat, lon, alt = E.ecef_to_geodetic(x, y, z)
    for i in range(3):
        want = E._geodetic_scalar(x[i], y[i], z[i], E.EARTH_WGS84)
        assert (lat[i], alt[i]) == (want[0], want[2])


def test_consistency_libyaml_parses_every_catalog_file_as_safe_load():
    """The catalog is read with ``catalog._YAML_LOADER`` (libyaml where present): every shipped
    file must give exactly what ``yaml.safe_load`` gives."""
    files = [p for p in resources.files(catalog).iterdir() if p.name.endswith(".yaml")]
    assert len(files) >= 5
    for p in files:
        text = p.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=catalog._YAML_LOADER) == yaml.safe_load(text), p.name


def test_libyaml_keeps_safe_load_semantics_on_edge_cases():
    text = "a: yes\nb: 1e3\nc: 0o17\nd: 2007-06-08\ne: ~\nf: '1.0'\ng: .inf\nh: [1, 2]\n"
    assert yaml.load(text, Loader=catalog._YAML_LOADER) == yaml.safe_load(text)
    with pytest.raises(yaml.YAMLError):
        yaml.load("!!python/object:os.system {}", Loader=catalog._YAML_LOADER)
