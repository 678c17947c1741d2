"""Whether a server can listen: ``shieldsim serve`` and ``shieldsim exchange serve`` check the port
before uvicorn starts, so a port in use is one line naming ``--port`` (exit 2), not uvicorn's log."""

from __future__ import annotations

import socket

from .errors import ScenarioError


def check_port(host: str, port: int) -> None:
    """Raise ``ScenarioError("--port", ...)`` unless ``host:port`` can be bound now (as uvicorn binds
    it: ``SO_REUSEADDR`` on, so a port left in TIME_WAIT counts as free)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise ScenarioError("--host", f"cannot resolve {host[:80]!r}: {e.strerror}") from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as e:
            raise ScenarioError("--port", f"cannot listen on {host[:80]}:{port}: {e.strerror or e}; "
                                          "choose another --port") from None
