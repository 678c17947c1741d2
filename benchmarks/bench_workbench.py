"""Benchmark: the ``shieldsim serve`` workbench's API, route by route (wall and CPU time).

Through FastAPI's ``TestClient`` (the routes' own work, no network), on ``third_site_2007`` with
the scenario's own knobs. Four views a user waits for:

* ``engage_one_threat``: ``/api/engage?threat=irbm-berlin`` (``shieldsim engage --threat``);
* ``reach_one_pair``: ``/api/reach?launch=kozelsk&target=washington``;
* ``footprint_europe_2deg``: ``/api/defended?resolution_deg=2`` (the page's defended area: each
  footprint missile from its own place, over Europe at 2°);
* ``scene``: ``/api/scene``, the globe (engage with ``PAGE_TRIALS`` trials, the CZML, phases
  and sensor coverage).

Each route is called ``--repeat`` + 1 times with the answer cache emptied before every call:
``first`` is the first call in a fresh process (Numba kernels loaded from their cache, fly-out
tables read or built), ``warm`` the best of the rest. The machine is shared: CPU beside wall.

    .venv/bin/python benchmarks/bench_workbench.py [--repeat 2] [--out benchmarks/results/workbench.json]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

from _common import finish  # benchmarks/_common.py (scripts run from this folder)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_flyout_table import ROOT, machine  # noqa: E402

sys.path.insert(0, str(ROOT / "src"))

ROUTES = {
    "engage_one_threat": ("/api/engage", {"threat": "irbm-berlin"}),
    "reach_one_pair": ("/api/reach", {"launch": "kozelsk", "target": "washington"}),
    "footprint_europe_2deg": ("/api/defended", {"resolution_deg": 2}),
    "scene": ("/api/scene", {}),
}


def _call(client, url: str, params: dict) -> dict:
    client.app.state.results.cache.clear()  # time the work, not the answer cache
    c0, w0 = time.process_time(), time.perf_counter()
    r = client.get(url, params=params)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    if r.status_code != 200:
        raise SystemExit(f"{url} {params}: HTTP {r.status_code}: {r.text[:200]}")
    return {"wall_s": round(wall, 4), "cpu_s": round(cpu, 4), "bytes": len(r.content)}


def run(repeat: int) -> dict:
    from fastapi.testclient import TestClient

    from shieldsim.web import create_app

    t0 = time.perf_counter()
    client = TestClient(create_app())
    out = {"create_app_s": round(time.perf_counter() - t0, 3), "routes": {}}
    for name, (url, params) in ROUTES.items():
        first = _call(client, url, params)
        warm = {"wall_s": math.inf, "cpu_s": math.inf}
        for _ in range(repeat):
            t = _call(client, url, params)
            warm = {"wall_s": min(warm["wall_s"], t["wall_s"]), "cpu_s": min(warm["cpu_s"], t["cpu_s"]),
                    "bytes": t["bytes"]}
        out["routes"][name] = {"url": url, "params": params, "first": first, "warm": warm if repeat else None}
        print(f"{name:24s} first {first['wall_s']:7.2f} s wall ({first['cpu_s']:.2f} s CPU)"
              + (f", warm {warm['wall_s']:7.2f} s wall ({warm['cpu_s']:.2f} s CPU)" if repeat else ""),
              file=sys.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2, help="warm calls per route (best is reported)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "workbench.json"))
    args = ap.parse_args()
    result = {"machine": machine(), "client": "fastapi.testclient.TestClient", "scenario": "third_site_2007",
              "repeat": args.repeat, **run(args.repeat)}
    finish(result, args.out, Path(tempfile.mkdtemp(prefix="bench-workbench-")), {})


if __name__ == "__main__":
    main()
