"""The partner's side: publish notifications and watch a stream (standard library only).

``watch`` reads the Server-Sent Events stream and, when the connection drops or the server
goes away, reconnects with ``Last-Event-ID`` set to the last event it got, so it misses
nothing and gets nothing twice (the server resumes strictly after that event). It stops after
``until_idle_s`` seconds without a new event, if given. ``publish`` retries a refused or
dropped connection for up to ``retry_s`` seconds (an event is stored once however often it is
sent: publishing is idempotent on the event id).
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlencode, urlsplit

from ..errors import ShieldsimError


class HTTPError(ShieldsimError):
    def __init__(self, status: int, detail: str):
        self.status = status
        super().__init__(f"the exchange answered {status}: {detail[:200]}")


def _conn(url: str, timeout: float):
    u = urlsplit(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        from ..errors import ScenarioError

        raise ScenarioError("--url", f"expected http://HOST:PORT, got {url[:80]!r}")
    cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
    return cls(u.hostname, u.port, timeout=timeout), u.path.rstrip("/")


def _detail(resp) -> str:
    raw = resp.read().decode("utf-8", "replace")
    try:
        return str(json.loads(raw).get("detail", raw))
    except (ValueError, AttributeError):
        return raw


def request(url: str, token: str | None, method: str, path: str, body: dict | None = None,
            timeout: float = 30.0) -> tuple[int, dict]:
    conn, base = _conn(url, timeout)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, base + path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw) if raw else {}
    except ValueError:
        return resp.status, {"detail": raw.decode("utf-8", "replace")}


def publish(url: str, token: str, event: dict, retry_s: float = 30.0) -> dict:
    """POST one event; retry while the server cannot be reached. Returns the server's answer."""
    deadline = time.monotonic() + retry_s
    while True:
        try:
            status, out = request(url, token, "POST", "/api/events", event)
        except (OSError, http.client.HTTPException):
            if time.monotonic() > deadline:
                raise ShieldsimError(f"--url: cannot reach the exchange at {url[:80]} (gave up after {retry_s:g} s)") \
                    from None
            time.sleep(0.2)
            continue
        if status in (200, 201):
            return out
        raise HTTPError(status, str(out.get("detail", out)))


def history(url: str, token: str, since: str | None = None, limit: int = 1000) -> list[dict]:
    q = {"limit": limit} | ({"since": since} if since else {})
    status, out = request(url, token, "GET", "/api/events?" + urlencode(q))
    if status != 200:
        raise HTTPError(status, str(out.get("detail", out)))
    return out["events"]


def _sse_events(resp) -> Iterator[tuple[str | None, str]]:
    """(id, data) of each message of an open SSE response; comments yield (None, '') so the
    caller can check its idle clock."""
    eid, data = None, []
    while True:
        line = resp.readline()
        if not line:
            return
        line = line.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                yield eid, "\n".join(data)
            eid, data = None, []
        elif line.startswith(":"):
            yield None, ""
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "id":
                eid = value
            elif name == "data":
                data.append(value)


def watch(url: str, token: str, on_event: Callable[[dict], None], *, since: str | None = None,
          until_idle_s: float | None = None, reconnect_s: float = 0.5,
          until: Callable[[dict], bool] | None = None) -> str | None:
    """Follow the partner's stream, calling ``on_event`` with each view, reconnecting after a drop
    (with the last event id). Returns the last event id when idle for ``until_idle_s``, or as soon
    as ``until(view)`` is true."""
    last = since
    last_news = time.monotonic()
    read_timeout = min(until_idle_s, 5.0) if until_idle_s else 30.0

    def idle() -> bool:
        return until_idle_s is not None and time.monotonic() - last_news >= until_idle_s

    while True:
        if idle():
            return last
        try:
            conn, base = _conn(url, read_timeout)
            headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
            if last:
                headers["Last-Event-ID"] = last
            conn.request("GET", base + "/api/stream", headers=headers)
            resp = conn.getresponse()
            if resp.status != 200:
                detail = _detail(resp)
                conn.close()
                raise HTTPError(resp.status, detail)
            try:
                for eid, data in _sse_events(resp):
                    if eid is not None:
                        last = eid
                        last_news = time.monotonic()
                        view = json.loads(data)
                        on_event(view)
                        if until is not None and until(view):
                            return last
                    elif idle():
                        return last
            finally:
                conn.close()
        except HTTPError:
            raise
        except (OSError, http.client.HTTPException):
            pass  # dropped, refused or timed out: reconnect from the last event
        if idle():
            return last
        time.sleep(reconnect_s)
