"""The exchange service, for real: uvicorn in a subprocess on 127.0.0.1, a temporary SQLite file."""

from __future__ import annotations

import json
import threading
import time

import pytest

from shieldsim.exchange import client
from shieldsim.exchange.messages import ALWAYS
from shieldsim.exchange.policy import builtin_policy, release
from shieldsim.exchange.store import Store

from ._server import Server, call, cli, listening_addresses, synthetic_events, token

EVENTS = synthetic_events()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('exchange') / 'x.db'}"
    toks = {p: token(db, p) for p in ("us", "nato")}
    toks["russia"] = cli("exchange", "token", "russia", "--db", db).stdout.split()[-1]  # the last word on stdout
    with Server(db) as srv:
        for e in EVENTS:
            client.publish(srv.url, toks["us"], e.to_json(), retry_s=0)
        yield srv, toks


def watch_all(url, tok, since=None, last=None, idle=1.0):
    """Every view after ``since``; stops at the event ``last`` (then ``idle`` is only a safeguard)."""
    got = []
    client.watch(url, tok, got.append, since=since, until_idle_s=idle if last is None else 20.0,
                 until=None if last is None else (lambda v: v["event_id"] == last))
    return got


@pytest.mark.parametrize("partner", ["russia", "nato"])
def test_each_partner_streams_exactly_its_released_view(live, partner):
    srv, toks = live
    policy = builtin_policy(partner)
    expected = [v.to_json() for v in (release(e, policy) for e in EVENTS) if v is not None]
    got = watch_all(srv.url, toks[partner], last=expected[-1]["event_id"])
    assert got == expected
    for v in got:  # the policy's fields only, at its precision (release itself is property-tested)
        assert set(v) <= set(ALWAYS) | set(policy.fields)
    if partner == "russia":
        assert not any("sensor" in v or "sensor_sigma_km" in v for v in got)
        assert {v["impact_area"]["semi_major_km"] for v in got if v["kind"] == "track"} <= {100.0, 200.0, 300.0, 400.0}
    else:
        assert all(v["sensor"] for v in got if v["kind"] != "outcome")
    status, hist = call(srv.url, "/api/events", toks[partner])
    assert status == 200 and hist["events"] == expected and hist["policy"] == f"{partner}@1"


def test_a_stream_resumes_after_the_last_event_id(live):
    srv, toks = live
    last = EVENTS[-1].event_id  # NATO gets every event
    everything = watch_all(srv.url, toks["nato"], last=last)
    cut = everything[4]["event_id"]
    assert watch_all(srv.url, toks["nato"], since=cut, last=last) == everything[5:]


def test_requests_without_a_good_token_or_for_another_partner_are_refused(live):
    srv, toks = live
    assert call(srv.url, "/health")[0] == 200
    for path in ("/api/events", "/api/stream"):
        assert call(srv.url, path)[0] == 401
        assert call(srv.url, path, "not-a-token")[0] == 401
    assert call(srv.url, "/api/events", toks["us"], "POST", EVENTS[0].to_json(),)[0] == 200  # already stored
    assert call(srv.url, "/api/events", None, "POST", EVENTS[0].to_json())[0] == 401
    status, body = call(srv.url, "/api/events", toks["russia"], "POST", EVENTS[0].to_json())
    assert status == 403 and "russia may not publish" in body["detail"]
    status, body = call(srv.url, "/api/events?partner=nato", toks["russia"])
    assert status == 403 and "nato" in body["detail"]
    assert call(srv.url, "/api/stream?partner=us", toks["nato"])[0] == 403


def test_the_server_listens_on_loopback_only(live):
    srv, _ = live
    addrs = listening_addresses(srv.port)
    if not addrs:
        pytest.skip("no /proc/net/tcp to read listening sockets from")
    assert addrs == ["0100007F"]  # 127.0.0.1, nothing on 0.0.0.0 or ::


def test_bad_input_gets_one_clear_error_and_stores_nothing(live):
    srv, toks = live
    store_before = call(srv.url, "/api/events?limit=10000", toks["us"])[1]["events"]
    bad = dict(EVENTS[0].to_json(), event_id="bad-1", impact_area={"lat_deg": 123.0, "lon_deg": 0})
    status, body = call(srv.url, "/api/events", toks["us"], "POST", bad)
    assert status == 422 and body["detail"].startswith("impact_area.lat_deg:") and "\n" not in body["detail"]
    status, body = call(srv.url, "/api/events", toks["us"], "POST", dict(EVENTS[0].to_json(), event_id="bad-2",
                                                                         colour="red"))
    assert status == 422 and body["detail"] == "colour: unknown field"
    status, body = call(srv.url, "/api/events", toks["us"], "POST", b"{not json")
    assert status == 422 and body["detail"] == "body: not JSON"
    status, body = call(srv.url, "/api/events", toks["us"], "POST", dict(EVENTS[0].to_json(), sequence=99))
    assert status == 409  # the same id with other content
    assert call(srv.url, "/api/events?limit=10000", toks["us"])[1]["events"] == store_before


def test_an_unknown_partner_token_exits_2_in_one_line(tmp_path):
    r = cli("exchange", "token", "nosuch", "--db", f"sqlite:///{tmp_path / 'x.db'}", check=False)
    assert r.returncode == 2
    assert r.stderr.strip() == "error: PARTNER: unknown partner 'nosuch'; use one of us, nato, russia, public"
    assert not (tmp_path / "x.db").exists()  # refused before the database is touched


@pytest.mark.slow  # two server starts and a watcher's idle wait: 10-15 s on two loaded cores
def test_sigkill_mid_publication_then_restart_delivers_every_event_exactly_once(tmp_path):
    db = f"sqlite:///{tmp_path / 'k.db'}"
    us, ru = token(db, "us"), token(db, "nato")
    events = synthetic_events(n_threats=3, updates=5)
    srv = Server(db).start()
    got, errors = [], []

    def watcher():
        try:
            client.watch(srv.url, ru, got.append, until_idle_s=4.0, reconnect_s=0.2)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    w = threading.Thread(target=watcher)
    w.start()
    half = len(events) // 2
    for e in events[:half]:
        client.publish(srv.url, us, e.to_json(), retry_s=0)
    deadline = time.monotonic() + 10
    while len(got) < half and time.monotonic() < deadline:
        time.sleep(0.05)
    srv.kill()  # SIGKILL while the watcher is connected and half is published
    restarted = Server(db, srv.port).start()
    try:
        for e in events[half:]:
            client.publish(restarted.url, us, e.to_json(), retry_s=10)
        w.join(60)
        assert not errors, errors
        ids = [v["event_id"] for v in got]
        assert ids == [e.event_id for e in events]  # every event, once, in order
        again = [client.publish(restarted.url, us, e.to_json(), retry_s=0) for e in events]
        assert not any(a["stored"] for a in again)  # a rerun publishes no duplicates
    finally:
        restarted.stop()
    store = Store(db)
    assert store.event_count() == len(events)
    audit = store.audit_rows("nato")
    assert {r["event_id"] for r in audit if r["action"] == "release"} == {e.event_id for e in events}
    assert all(r["policy"] == "nato@1" for r in audit)
    store.close()


def test_watch_cli_prints_one_json_object_per_event(live):
    srv, toks = live
    r = cli("exchange", "watch", "--url", srv.url, "--token", toks["russia"], "--json", "--until-idle", "3")
    lines = [json.loads(ln) for ln in r.stdout.splitlines()]
    assert [v["event_id"] for v in lines] == [e.event_id for e in EVENTS if release(e, builtin_policy("russia"))]
