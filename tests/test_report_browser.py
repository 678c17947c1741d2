"""The report's maps as Chromium renders them (issue 11, acceptance: "renders the report in
Chromium and checks the map legends ... and that no label box overlaps another").

The maps go into the report as inline SVG (``report.maps.report_map``), drawn with text as
paths, so the browser lays out exactly what matplotlib measured: each label is a group
``<map>-maplabel-<k>`` and each legend entry a text group ``<map>-legend-text-<words>`` beside
its key ``<map>-legend-key-<words>``. The page is served from loopback to Debian's headless
Chromium through Playwright; every request is routed, and any that leaves loopback is
aborted and fails the test. Skipped, with the reason, where Playwright (the Python package)
or a chromium executable is missing; ``playwright install`` is never run (it downloads).
"""

import functools
import http.server
import itertools
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from shieldsim.report.html import write_report
from shieldsim.report.maps import LEGEND_OUT_OF_REACH, LEGEND_UNDEFENDED, report_map
from tests._browser import CHROMIUM, LAUNCH_ARGS, LOOPBACK, NEEDS_CHROMIUM

pytestmark = NEEDS_CHROMIUM

# Everything measured in the page, per inline map.
MEASURE_JS = """
() => Array.from(document.querySelectorAll('svg.shieldsim-map')).map(svg => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const groups = sel => Array.from(svg.querySelectorAll(sel));
  return {
    map: svg.dataset.map, aria: svg.getAttribute('aria-label') || '', frame: box(svg),
    labels: groups('g[id*="-maplabel-"]').map(g => ({id: g.id, box: box(g)})),
    legendTexts: groups('g[id*="-legend-text-"]').map(g => ({id: g.id, box: box(g)})),
    legendKeys: groups('g[id*="-legend-key-"]').map(g => {
      const shape = g.querySelector('path, use');
      return {id: g.id, box: box(g), fill: shape ? getComputedStyle(shape).fill : ''};
    }),
  };
})
"""


def _slug(words):
    return "-".join("".join(c if c.isalnum() else " " for c in words.lower()).split())


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _render(browser, page_path: Path):
    """Serve ``page_path``'s folder on loopback, open the page, return the maps' measurements
    and the requests that tried to leave loopback (each one aborted)."""
    handler = functools.partial(_Quiet, directory=str(page_path.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    outside = []
    try:
        page = browser.new_page(viewport={"width": 1000, "height": 800})

        def route(r):
            host = urlparse(r.request.url).hostname
            if r.request.url.startswith("data:") or host in LOOPBACK:
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        response = page.goto(f"http://127.0.0.1:{server.server_address[1]}/{page_path.name}", wait_until="load")
        assert response is not None and response.ok
        maps = page.evaluate(MEASURE_JS)
        page.close()
    finally:
        server.shutdown()
        server.server_close()
    return maps, outside


def _overlap(a, b):
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.01 and min(a[3], b[3]) - max(a[1], b[1]) > 0.01


def _check_map(m, expect_reach_legend: bool):
    labels = m["labels"]
    assert labels, f"map {m['map']}: no labels found in the rendered SVG"
    for a, b in itertools.combinations(labels, 2):
        assert not _overlap(a["box"], b["box"]), f"map {m['map']}: {a['id']} overlaps {b['id']}"
    for lab in labels:  # every label rendered, with a size, inside its map
        x0, y0, x1, y1 = lab["box"]
        assert x1 - x0 > 2 and y1 - y0 > 2
        f = m["frame"]
        assert f[0] - 0.5 <= x0 and x1 <= f[2] + 0.5 and f[1] - 0.5 <= y0 and y1 <= f[3] + 0.5
    texts = {t["id"].split("-legend-text-", 1)[1]: t for t in m["legendTexts"]}
    keys = {k["id"].split("-legend-key-", 1)[1]: k for k in m["legendKeys"]}
    for a, b in itertools.combinations(m["legendTexts"], 2):
        assert not _overlap(a["box"], b["box"]), f"legend entries {a['id']} and {b['id']} overlap"
    if expect_reach_legend:
        out, undefended = _slug(LEGEND_OUT_OF_REACH), _slug(LEGEND_UNDEFENDED)
        assert out in texts and undefended in texts, sorted(texts)
        assert out in keys and undefended in keys, sorted(keys)
        assert keys[out]["fill"] and keys[undefended]["fill"]
        assert keys[out]["fill"] != keys[undefended]["fill"], (keys[out], keys[undefended])
        assert LEGEND_OUT_OF_REACH in m["aria"] and LEGEND_UNDEFENDED in m["aria"]


def test_synthetic_report_maps_in_chromium(browser, tmp_path):
    from tests.test_maps import BASES, CITIES, DEFENCE, _footprint_grid, _tracks
    from shieldsim.report.maps import plot_footprint, plot_ground_tracks

    lat, lon, reachable, defended, shots = _footprint_grid(1.0)
    footprint = plot_footprint(lat, lon, defended, shots, sites=DEFENCE[:3], launch=["semnan", "tabriz"],
                               title="Defended area", reachable=reachable)
    sites = (DEFENCE + [{"name": b, "lat_deg": la, "lon_deg": lo, "kind": "launch"} for b, la, lo in BASES]
             + [{"name": c, "lat_deg": la, "lon_deg": lo, "kind": "target"} for c, la, lo in CITIES])
    polar = plot_ground_tracks(_tracks(), sites, [{"lat_deg": 54.48, "lon_deg": 17.1, "radius_km": 3000.0,
                                                   "label": "Redzikowo: 600 s fly-out"}],
                               title="Russian ICBM ground tracks", projection="north_polar", label_tracks=False)
    path = write_report(tmp_path / "report.html", "Maps", ["Two maps."],
                        [{"heading": "Defended area", "figures": [report_map(footprint, "footprint")]},
                         {"heading": "Russian ICBMs", "figures": [report_map(polar, "polar")]}])
    maps, outside = _render(browser, path)
    assert outside == []
    assert [m["map"] for m in maps] == ["footprint", "ground-tracks"]
    _check_map(maps[0], expect_reach_legend=True)
    _check_map(maps[1], expect_reach_legend=False)
    names = {lab["id"] for lab in maps[1]["labels"]}
    assert len(names) >= len(BASES) + len(CITIES) + 2
