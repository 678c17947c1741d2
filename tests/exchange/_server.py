"""A real exchange server for tests: ``shieldsim exchange serve`` in a subprocess on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from shieldsim.exchange.messages import Area, Event


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "shieldsim.cli", *args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"shieldsim {' '.join(args)} exited {r.returncode}: {r.stderr.strip()[-500:]}")
    return r


def token(db: str, partner: str) -> str:
    """A new token for the partner (in-process: what ``shieldsim exchange token`` does)."""
    from shieldsim.exchange.store import Store

    store = Store(db)
    try:
        return store.create_token(partner)
    finally:
        store.close()


class Server:
    def __init__(self, db: str, port: int | None = None, *extra: str):
        self.db, self.port = db, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra = extra
        self.proc = None

    def start(self, timeout: float = 60) -> "Server":
        self.proc = subprocess.Popen([sys.executable, "-m", "shieldsim.cli", "exchange", "serve", "--db", self.db,
                                      "--port", str(self.port), *self.extra],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the server exited {self.proc.returncode}: {self.proc.stderr.read()[-800:]}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("the server did not answer /health in time")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers run."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def call(url: str, path: str, token: str | None = None, method: str = "GET", body=None, headers=None):
    """(status, JSON body) of one request."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url + path, data=data, method=method, headers=dict(headers or {}))
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def listening_addresses(port: int) -> list[str]:
    """Local addresses (hex, as /proc/net/tcp{,6} print them) of sockets listening on ``port``."""
    out = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            f = ln.split()
            addr, p = f[1].split(":")
            if int(p, 16) == port and f[3] == "0A":  # 0A: LISTEN
                out.append(addr)
    return out


def synthetic_events(n_threats: int = 2, updates: int = 4) -> list[Event]:
    """Launch, track and outcome notifications of made-up threats, with every field set."""
    events = []
    for k in range(n_threats):
        tid = f"Tsyn{k}"
        rows = [dict(kind="launch", source_class="infrared", sensor="sbirs", sensor_sigma_km=5.0,
                     launch_area=Area(lat_deg=35.23 + k, lon_deg=53.92, semi_major_km=10.73, semi_minor_km=10.73,
                                      orientation_deg=0, confidence=0.9))]
        for u in range(updates):
            rows.append(dict(kind="track", source_class="radar", sensor="tpy2-forward", sensor_sigma_km=0.3 / (u + 1),
                             impact_area=Area(lat_deg=52.5213 + 0.01 * u, lon_deg=13.3961, semi_major_km=400.0 / 2 ** u,
                                              semi_minor_km=37.3 / 2 ** u, orientation_deg=47.3, confidence=0.9)))
        rows.append(dict(kind="outcome", outcome="impact", impact_area=Area(lat_deg=52.52, lon_deg=13.405)))
        for seq, r in enumerate(rows):
            t = 44.42 + 30.0 * seq + k
            events.append(Event(event_id=f"{tid}-{seq:03d}", threat_id=tid, sequence=seq, missile_class="IRBM",
                                launch_time_s=1.7 + k, released_at_s=t, **r))
    return sorted(events, key=lambda e: (e.released_at_s, e.event_id))
