"""The exchange on PostgreSQL through the same code: a throwaway cluster in a temporary directory
(``initdb`` + ``pg_ctl``, a unix socket only), skipped with the reason when it cannot start."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile

import pytest

from shieldsim.exchange import client
from shieldsim.exchange.policy import builtin_policy, release, policies
from shieldsim.exchange.store import Conflict, Store

from ._server import Server, free_port, synthetic_events, token

pytestmark = pytest.mark.slow  # a cluster and a server start: about 10 s


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return versions[-1] if versions else None


@pytest.fixture(scope="module")
def pg_url():
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("the psycopg driver is not installed (pip install 'psycopg[binary]')")
    base = tempfile.mkdtemp(prefix="shieldsim-pg-")
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as an unprivileged user
        runuser = shutil.which("runuser")
        if runuser is None:
            shutil.rmtree(base, ignore_errors=True)
            pytest.skip("running as root without runuser: initdb refuses root")
        shutil.chown(base, "nobody")
        os.chmod(base, 0o755)
        run_as = [runuser, "-u", "nobody", "--"]
    data, port = os.path.join(base, "data"), free_port()
    r = subprocess.run([*run_as, initdb, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"initdb failed as this user: {r.stderr.strip()[-200:]}")
    r = subprocess.run([*run_as, pg_ctl, "-D", data, "-l", os.path.join(base, "pg.log"), "-w", "-t", "60", "-o",
                        f"-k {base} -c listen_addresses='' -p {port} -c fsync=off", "start"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"pg_ctl could not start the cluster: {r.stderr.strip()[-200:]}")
    try:
        yield f"postgresql://postgres@/postgres?host={base}&port={port}"
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_store_on_postgresql_is_idempotent_and_refuses_a_changed_event(pg_url):
    store = Store(pg_url)
    table = policies()
    e = synthetic_events(1, 1)[0]
    first, views = store.publish(e, table, "us")
    again, _ = store.publish(e, table, "us")
    assert first.stored and not again.stored and again.seq == first.seq
    assert set(views) == {"us", "nato", "russia", "public"}
    with pytest.raises(Conflict):
        store.publish(e.model_copy(update={"sequence": 7}), table, "us")
    assert store.event_count() == 1
    store.close()


def test_real_server_on_postgresql_streams_each_partner_its_view(pg_url):
    toks = {p: token(pg_url, p) for p in ("us", "russia")}
    events = synthetic_events()
    with Server(pg_url) as srv:
        for e in events:
            client.publish(srv.url, toks["us"], e.to_json(), retry_s=0)
        expected = [v.to_json() for v in (release(e, builtin_policy("russia")) for e in events) if v is not None]
        got = []
        client.watch(srv.url, toks["russia"], got.append, until_idle_s=20,
                     until=lambda v: v["event_id"] == expected[-1]["event_id"])
    # (the first test stored the same first event: publishing it again stored nothing)
    assert got == expected
