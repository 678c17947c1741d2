"""``shieldsim demo`` end to end: the report and every export a new user gets.

Runs the real console command once (module fixture) in a temporary directory, then opens
report.html (self-contained, every figure present), validates the GeoJSON (shapely) and
the CZML (czml3's own models), and checks results.json carries every contract section.
"""

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the real demo, cold tables: `pytest -m slow` runs it


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("demo")
    exe = Path(sys.executable).with_name("shieldsim")
    proc = subprocess.run([str(exe), "demo"], cwd=cwd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return cwd / "shieldsim-out"


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs, self.links = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.srcs.append(a.get("src", ""))
        for k in ("src", "href"):
            if k in a and tag != "img":
                self.links.append(a[k])


def test_report_is_self_contained_with_every_figure(demo_dir):
    page = (demo_dir / "report.html").read_text()
    p = _Images()
    p.feed(page)
    # defended-area map, Russian ground tracks, speed flip, engagement timeline, raid curves
    assert len(p.srcs) >= 5
    assert all(s.startswith("data:image/") for s in p.srcs)
    assert all(link.startswith(("#", "data:")) for link in p.links)
    for heading in ("defended", "Russian ICBMs", "Engagements", "raid", "sensors"):
        assert heading.lower() in page.lower()


def test_results_json_has_every_contract_section(demo_dir):
    r = json.loads((demo_dir / "results.json").read_text())
    for key in ("threats", "observe", "engage", "footprint", "reach", "raid"):
        assert key in r
    assert {"trials", "seed", "threats"} <= set(r["engage"])
    t = r["engage"]["threats"][0]
    assert {"threat", "shot_opportunities", "battle_space_s", "engagements", "p_kill", "p_leak",
            "interceptors_used_mean"} <= set(t)
    assert {"launch", "aim_points", "defended_fraction", "seconds"} <= set(r["footprint"])
    assert {"launch", "target", "battery", "interceptor", "feasible", "margin_s", "min_burnout_speed_km_s",
            "intercept_altitude_km"} <= set(r["reach"]["pairs"][0])


def test_geojson_exports_are_valid(demo_dir):
    from shapely.geometry import shape

    for name in ("footprint.geojson", "trajectories.geojson"):
        fc = json.loads((demo_dir / name).read_text())
        assert fc["type"] == "FeatureCollection" and fc["features"]
        for f in fc["features"]:
            if f["geometry"] is not None:
                assert shape(f["geometry"]).is_valid


def test_czml_validates_with_czml3_models(demo_dir):
    from czml3 import Packet

    packets = json.loads((demo_dir / "trajectories.czml").read_text())
    assert packets[0]["id"] == "document"
    models = [Packet.model_validate(p) for p in packets]
    tracks = [m for m in models if m.position is not None and m.path is not None]
    assert len(tracks) >= 5  # one per scenario threat


def test_parquet_grid_has_the_contract_columns(demo_dir):
    import pyarrow.parquet as pq

    cols = set(pq.read_table(demo_dir / "footprint.parquet").column_names)
    assert {"lat_deg", "lon_deg", "defended", "shot_opportunities", "intercept_altitude_km"} <= cols


def test_readme_headline_comes_from_the_run(demo_dir):
    """The README's "What the 2007 scenario says" block is exactly what tools/readme_headline.py
    makes of this demo run: a physics change that moves a headline number fails here until the
    README is regenerated (`python tools/readme_headline.py shieldsim-out --write README.md`)."""
    import importlib.util

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("readme_headline", root / "tools" / "readme_headline.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    expected = mod.headline_markdown(demo_dir)
    got = mod.readme_block((root / "README.md").read_text())
    assert got == expected, "README headline is stale; regenerate it with tools/readme_headline.py"
