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
    assert len(p.srcs) + page.count('class="shieldsim-map"') >= 5
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


# --- one number, one value (issue 11) ------------------------------------------------------------
def _headline(demo_dir):
    return json.loads((demo_dir / "results.json").read_text())


def _visible(page):
    import html
    import re

    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_each_headline_figure_is_stated_once_and_the_same_everywhere(demo_dir):
    """results.json states each headline figure once (``headline``); every place the report
    marks it (answers, tables) shows exactly that text, the speed chart's annotations are those
    numbers, the reach table's lowest threshold is the first engageable speed, the sentences
    that restate a figure agree with it, and the README's block writes the same texts."""
    import html
    import re

    r = _headline(demo_dir)
    h = r["headline"]
    page = (demo_dir / "report.html").read_text()
    marked = re.findall(r'<(?:span|td)[^>]*data-figure="([^"]+)"[^>]*>([^<]*)<', page)
    assert marked
    for key, shown in marked:
        assert key in h, key
        assert html.unescape(shown) in (h[key]["text"], h[key]["digits"]), (key, shown, h[key])
    core = ["defended_pct", "reachable_points", "reach_pairs", "reach_pairs_engageable", "raid_expected_leakers",
            "raid_p_no_leak"] + [f"{k}:{t['threat']}" for t in r["engage"]["threats"] for k in ("shots", "p_kill")]
    for key in core:
        assert f'data-figure="{key}"' in page, key
    first, half = h["first_engageable_speed_km_s"], h["half_engageable_speed_km_s"]
    alts = [html.unescape(a) for a in re.findall(r'alt="([^"]*)"', page)]
    flip = [a for a in alts if "first engageable" in a]
    if first["value"] is not None:
        assert len(flip) == 1 and f"first engageable {first['text']}" in flip[0]
        lowest = min(p["min_burnout_speed_km_s"] for p in r["reach"]["pairs"] if p["min_burnout_speed_km_s"] is not None)
        assert round(lowest, 2) == first["value"]
        text = _visible(page)
        for said in re.findall(r"(?:first becomes engageable at|first from|first engageable) (\d+\.\d+) km/s", text):
            assert float(said) == first["value"]
    if half["value"] is not None:
        assert f"half engageable at {half['text']}" in flip[0]
    text = _visible(page)
    for said in re.findall(r"(\d+) % of (?:the )?[\d,]+ aim points", text):
        assert int(said) == h["defended_pct"]["value"]
    root = Path(__file__).resolve().parents[1]
    spec = importlib_util_spec(root)
    block = spec.readme_block((root / "README.md").read_text())
    for key in ["defended_pct", "reach_pairs_engageable", *(f"p_kill:{t['threat']}" for t in r["engage"]["threats"]
                                                           if t["shot_opportunities"])]:
        assert h[key]["text"] in block, key
    if first["value"] is not None:
        assert first["text"] in block
    for b in r["defence"]["batteries"]:
        assert h[f"flown_burnout_speed_km_s:{b['name']}"]["text"] in block


def importlib_util_spec(root):
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_headline", root / "tools" / "readme_headline.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_fire_control_figures_name_their_model(demo_dir):
    r = _headline(demo_dir)
    h = r["headline"]
    for t in r["engage"]["threats"]:
        assert h[f"fire_control_s:{t['threat']}"]["model"] == "fire-control surrogate"
        assert h[f"tracker_fire_control_s:{t['threat']}"]["model"] == "tracker"
    fc = {x["threat"]: x for x in r["fire_control"]["threats"]}
    for o in r["observe"]["threats"]:
        got = fc[o["threat"]]["tracker_s"]
        assert (got is None) == (o["fire_control_s"] is None)
        assert got is None or abs(got - o["fire_control_s"]) <= 0.01
    text = _visible((demo_dir / "report.html").read_text())
    assert "surrogate" in text and "tracker" in text


def test_every_reason_not_to_engage_is_given(demo_dir):
    r = _headline(demo_dir)
    for p in r["reach"]["pairs"]:
        assert p["reason"] != "engageable" or p["feasible"]
        if p["reason"] == "too_late":
            assert abs(p["too_late_s"] + p["margin_s"]) <= 0.11
    for t in r["engage"]["threats"]:
        if t["shot_opportunities"] == 0:
            assert t["why_not"] and all(w["why"] for w in t["why_not"].values())
    for c in r["cities"]:
        if c["reachable"] and not c["defended"]:
            assert c["why_not"]


def test_provenance_and_figure_files(demo_dir):
    import shieldsim

    r = _headline(demo_dir)
    p = r["provenance"]
    assert p["shieldsim_version"] == shieldsim.__version__ and p["seed"] == r["seed"] == 2007
    assert "git_commit" in p and "command_line" in p
    assert p["scenario"]["name"] == "third_site_2007" and p["scenario"]["batteries"][0]["site"] == "redzikowo"
    page = (demo_dir / "report.html").read_text()
    assert f"shieldsim {shieldsim.__version__}" in page and "How to reproduce this run" in page
    assert r["figures"] and all((demo_dir / f).is_file() for f in r["figures"])
    assert "figures/speed-flip.png" in r["figures"]


def test_the_2007_report_names_poland_where_its_battery_is(demo_dir):
    text = _visible((demo_dir / "report.html").read_text())
    assert "Redzikowo (Poland)" in text


def test_demo_report_maps_in_chromium(demo_dir):
    """The real demo report in headless Chromium: both maps inline, legends distinct, no label
    over another (the checks of tests/test_report_browser.py; skipped without chromium/playwright)."""
    import importlib.util

    from tests import test_report_browser as rb

    if importlib.util.find_spec("playwright") is None or rb.CHROMIUM is None:
        pytest.skip("needs playwright and Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=rb.CHROMIUM, args=rb.LAUNCH_ARGS)
        try:
            maps, outside = rb._render(browser, demo_dir / "report.html")
        finally:
            browser.close()
    assert outside == []
    kinds = [m["map"] for m in maps]
    assert "footprint" in kinds and "ground-tracks" in kinds, kinds
    for m in maps:
        rb._check_map(m, expect_reach_legend=m["map"] == "footprint")
