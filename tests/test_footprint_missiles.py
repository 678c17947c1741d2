"""The footprint with several missiles: each aim point attacked by the shortest-range one that reaches it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shieldsim import catalog
from shieldsim.analyses.context import load_context
from shieldsim.analyses.footprint import CONTRACT_COLUMNS, footprint, missile_order, scenario_footprint
from shieldsim.targeting import aim, azimuth_table

RES = 5.0
MISSILES = "analysis.footprint.missiles=[{missile: iran-irbm}, {missile: shahab-3, launch: tabriz}, sejjil-2]"


@pytest.fixture(scope="module")
def ctx():
    return load_context("third_site_2007", overrides=[MISSILES])


@pytest.fixture(scope="module")
def fp(ctx):
    return scenario_footprint(ctx, resolution_deg=RES)


def _reaches(name, site, lat_deg, lon_deg):
    rk = catalog.missile(name)
    lat0, lon0 = math.radians(site.lat_deg), math.radians(site.lon_deg)
    table = azimuth_table(rk, lat0, lon0, site.alt_km * 1e3)
    sol = aim(rk, lat0, lon0, site.alt_km * 1e3, np.radians(lat_deg), np.radians(lon_deg), interpolate=True,
              range_table=table)
    return sol.feasible & (sol.miss_m < 1000.0)


def test_missiles_are_tried_shortest_range_first(fp):
    assert [m["missile"] for m in fp.missiles] == ["shahab-3", "sejjil-2", "iran-irbm"]
    assert [m["launch"] for m in fp.missiles] == ["tabriz", "semnan", "semnan"]
    r = [m["max_range_km"] for m in fp.missiles]
    assert r == sorted(r)


def test_each_point_gets_the_shortest_range_missile_that_reaches_it(fp):
    """Checked against aiming every reachable point with every missile independently."""
    lat, lon = np.meshgrid(fp.lat_deg, fp.lon_deg, indexing="ij")
    pts = fp.reachable.ravel()
    la, lo = lat.ravel()[pts], lon.ravel()[pts]
    reach = np.stack([_reaches(m["missile"], catalog.parse_place(m["launch"], "launch"), la, lo) for m in fp.missiles])
    assert reach.any(axis=0).all()
    want = np.argmax(reach, axis=0)  # the first (shortest-range) that reaches
    np.testing.assert_array_equal(fp.missile_index.ravel()[pts], want)
    assert (fp.missile_index[~fp.reachable] == -1).all()
    used = {m for m in fp.point_missile.ravel() if m is not None}
    assert used == {"shahab-3", "sejjil-2", "iran-irbm"}


def test_the_grid_and_the_json_keep_the_contract_and_add_the_missile(fp):
    cols = fp.columns()
    assert set(CONTRACT_COLUMNS) | {"reachable", "missile"} <= set(cols)
    assert all(m is None for m in cols["missile"][~cols["reachable"]])
    d = fp.to_dict()
    assert {"launch", "aim_points", "defended_fraction", "seconds", "missiles"} <= set(d)
    assert sum(m["aim_points"] for m in d["missiles"]) == d["reachable_points"]
    assert not fp.defended[~fp.reachable].any()


def test_the_parquet_carries_the_missile_column(fp, tmp_path):
    from shieldsim.export import parquet

    t = parquet.read_table(parquet.write_grid(tmp_path / "fp.parquet", fp.columns()))
    got = [None if m is None else str(m) for m in t["missile"]]
    assert got == list(fp.point_missile.ravel())


def test_missile_forces_one_missile_and_launch_forces_one_place(ctx):
    one = scenario_footprint(ctx, missile="sejjil-2", resolution_deg=RES)
    assert [m["missile"] for m in one.missiles] == ["sejjil-2"] and one.missile == "sejjil-2"
    assert set(one.point_missile[one.reachable]) == {"sejjil-2"}
    every = scenario_footprint(ctx, launch="semnan", resolution_deg=RES)
    assert {m["launch"] for m in every.missiles} == {"semnan"} and every.launch == "semnan"


def test_one_missile_in_a_list_is_the_single_missile_footprint(ctx):
    """The list path with one missile gives exactly the arrays of the one-missile path."""
    from shieldsim.analyses.footprint import EUROPE

    site = catalog.site("semnan")
    rk = catalog.missile("iran-irbm")
    old = footprint(ctx.defence, rk, site, missile_name="iran-irbm", region=EUROPE, resolution_deg=RES,
                    rng=ctx.rng(4), rcs_m2=rk.payload.rcs_m2)
    new = scenario_footprint(ctx, launch="semnan", missile="iran-irbm", resolution_deg=RES)
    for k in ("reachable", "defended", "shot_opportunities"):
        np.testing.assert_array_equal(getattr(new, k), getattr(old, k))
    np.testing.assert_allclose(new.intercept_altitude_km, old.intercept_altitude_km, equal_nan=True)


def test_missile_order_is_by_catalog_range():
    site = catalog.site("semnan")
    ms = [(n, catalog.missile(n), site) for n in ("iran-irbm", "sejjil-2", "shahab-3")]
    assert [m[0] for m in missile_order(ms)] == ["shahab-3", "sejjil-2", "iran-irbm"]


def test_the_reach_prefilter_drops_only_points_aim_cannot_reach(ctx):
    """assess_aim_points skips points beyond the azimuth table's range without flying them;
    its ``reachable`` must equal aiming every point of the grid."""
    from shieldsim.analyses.footprint import EUROPE, assess_aim_points, grid

    lat, lon = grid(EUROPE, RES)
    la, lo = (a.ravel() for a in np.meshgrid(lat, lon, indexing="ij"))
    site = catalog.site("tabriz")
    got, *_ = assess_aim_points(ctx.defence, catalog.missile("sejjil-2"), site, la, lo, ctx.rng(4))
    want = _reaches("sejjil-2", site, la, lo)
    np.testing.assert_array_equal(got, want)
    assert 0 < got.sum() < got.size
