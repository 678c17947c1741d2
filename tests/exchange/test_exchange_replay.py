"""The 2007 scenario replayed into a real exchange and watched as Russia and as NATO (slow lane:
the scenario's observation and tracking take tens of seconds on two cores)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from shieldsim.exchange import client
from shieldsim.exchange.policy import builtin_policy, release
from shieldsim.exchange.replay import notifications
from shieldsim.exchange.store import Store

from ._server import Server, token

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scenario_events():
    events, note = notifications("third_site_2007")  # computed once; the replay command reuses the cache
    return events, note


def replay_cmd(url, tok, speed, *extra):
    return [sys.executable, "-m", "shieldsim.cli", "exchange", "replay", "third_site_2007", "--url", url,
            "--token", tok, "--speed", str(speed), "--json", *extra]


def watch_cmd(url, tok, idle):
    return [sys.executable, "-m", "shieldsim.cli", "exchange", "watch", "--url", url, "--token", tok, "--json",
            "--until-idle", str(idle)]


def test_replay_2007_watched_as_russia_and_nato_each_sees_its_policy(tmp_path, scenario_events):
    events, note = scenario_events
    kinds = {e.kind for e in events}
    assert kinds == {"launch", "track", "outcome"} and len(note["threats"]) == 5
    db = f"sqlite:///{tmp_path / 'x.db'}"
    toks = {p: token(db, p) for p in ("us", "nato", "russia")}
    with Server(db) as srv:
        watchers = {p: subprocess.Popen(watch_cmd(srv.url, toks[p], 15), stdout=subprocess.PIPE, text=True)
                    for p in ("russia", "nato")}
        r = subprocess.run(replay_cmd(srv.url, toks["us"], 400), capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["published"] == len(events) and out["duplicates"] == 0
        for p, w in watchers.items():
            got = [json.loads(ln) for ln in w.communicate(timeout=120)[0].splitlines()]
            expected = [v.to_json() for v in (release(e, builtin_policy(p)) for e in events) if v is not None]
            assert got == expected, p
        # the impact areas shrink as the tracks improve (as NATO sees them)
        tid = note["threat_ids"]["irbm-berlin"]
        sizes = [v.impact_area.semi_major_km for v in (release(e, builtin_policy("nato")) for e in events)
                 if v.threat_id == tid and v.kind == "track" and v.impact_area is not None]
        assert len(sizes) >= 3 and sizes[-1] < sizes[0] / 4
        r = subprocess.run(replay_cmd(srv.url, toks["us"], 1e6), capture_output=True, text=True, timeout=300)
        assert json.loads(r.stdout)["published"] == 0  # a rerun publishes no duplicates


def test_sigkill_mid_replay_then_restart_a_resuming_watcher_gets_every_event_once(tmp_path, scenario_events):
    events, _ = scenario_events
    db = f"sqlite:///{tmp_path / 'k.db'}"
    us, nato = token(db, "us"), token(db, "nato")
    srv = Server(db).start()
    got = []
    rep = subprocess.Popen(replay_cmd(srv.url, us, 200, "--retry-s", "60"), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not client.history(srv.url, nato) and time.monotonic() < deadline:  # the replay has begun
        time.sleep(0.1)
    # idle longer than a server restart takes on two loaded cores
    w = threading.Thread(target=lambda: client.watch(srv.url, nato, got.append, until_idle_s=20, reconnect_s=0.2))
    w.start()
    deadline = time.monotonic() + 60
    while len(got) < len(events) // 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    srv.kill()
    assert rep.poll() is None, "the replay ended before the server was killed"
    restarted = Server(db, srv.port).start()
    try:
        out, err = rep.communicate(timeout=300)
        assert rep.returncode == 0, err
        w.join(120)
        assert [v["event_id"] for v in got] == [e.event_id for e in events]
        r = subprocess.run(replay_cmd(restarted.url, us, 1e6), capture_output=True, text=True, timeout=300)
        assert json.loads(r.stdout)["published"] == 0
    finally:
        restarted.stop()
    store = Store(db)
    assert store.event_count() == len(events)
    store.close()
