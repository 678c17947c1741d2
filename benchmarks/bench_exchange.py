"""Exchange delivery: 200 concurrent watchers on loopback, the 2007 replay at 10x.

Run: ``.venv/bin/python benchmarks/bench_exchange.py [--watchers 200] [--speed 10] [--partner nato]``.
Starts ``shieldsim exchange serve`` on 127.0.0.1 (a temporary SQLite file), opens N watchers
(threads of ``exchange.client.watch``, one connection each), publishes the 2007 scenario's
notifications at their simulated release times divided by ``--speed``, and measures each
delivery's latency: the watcher's receive time minus the moment the publisher began the POST
(one clock, one machine). Reports p50/p99/max latency, whether every watcher got every event
exactly once, and CPU time (server, this process) beside wall time. Goal (issue 12): p99 under
100 ms on two cores. Writes benchmarks/results/exchange.json.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import finish  # noqa: E402

from shieldsim.exchange import client  # noqa: E402
from shieldsim.exchange.policy import builtin_policy, release  # noqa: E402
from shieldsim.exchange.replay import notifications  # noqa: E402
from tests.exchange._server import Server, token  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--watchers", type=int, default=200)
    ap.add_argument("--speed", type=float, default=10.0)
    ap.add_argument("--partner", default="nato")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "exchange.json"))
    args = ap.parse_args()

    load0 = [round(x, 2) for x in os.getloadavg()]
    events, _ = notifications("third_site_2007")
    expected = [e.event_id for e in events if release(e, builtin_policy(args.partner)) is not None]
    work = Path(tempfile.mkdtemp(prefix="bench-exchange-"))
    db = f"sqlite:///{work / 'x.db'}"
    pub, tok = token(db, "us"), token(db, args.partner)
    srv = Server(db).start()
    sent: dict[str, float] = {}
    received = [[] for _ in range(args.watchers)]
    idle_s = max(5.0, 600 / args.speed)

    def watcher(k):
        client.watch(srv.url, tok, lambda v: received[k].append((v["event_id"], time.time())), until_idle_s=idle_s)

    threads = [threading.Thread(target=watcher, args=(k,), daemon=True) for k in range(args.watchers)]
    for t in threads:
        t.start()
    time.sleep(2.0)  # let every watcher connect
    cpu0, wall0 = time.process_time(), time.perf_counter()
    start, t_first = time.monotonic(), events[0].released_at_s
    for e in events:
        wait = start + (e.released_at_s - t_first) / args.speed - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        sent[e.event_id] = time.time()
        client.publish(srv.url, pub, e.to_json(), retry_s=0)
    publish_wall = time.perf_counter() - wall0
    for t in threads:
        t.join(idle_s + 60)
    client_cpu = time.process_time() - cpu0
    srv.stop()
    server_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    lat = np.array([(t - sent[eid]) * 1e3 for r in received for eid, t in r])
    complete = all([eid for eid, _ in r] == expected for r in received)
    result = {
        "benchmark": "exchange delivery: N watchers on loopback, the 2007 replay",
        "watchers": args.watchers, "partner": args.partner, "speed": args.speed, "events": len(expected),
        "deliveries": int(lat.size), "every_watcher_got_every_event_once_in_order": bool(complete),
        "latency_ms": {"p50": round(float(np.percentile(lat, 50)), 2), "p99": round(float(np.percentile(lat, 99)), 2),
                       "max": round(float(lat.max()), 2)},
        "goal_p99_ms": 100,
        "replay_wall_s": round(publish_wall, 2),
        "cpu_s": {"server": round(server_cpu.ru_utime + server_cpu.ru_stime, 2),
                  "watchers_and_publisher": round(client_cpu, 2)},
        "machine": {"cpus": os.cpu_count(), "load_average_at_start": load0},
    }
    finish(result, args.out, work, {})


if __name__ == "__main__":
    main()
