"""The ``shieldsim serve`` workbench: a local page with a 3-D globe whose knobs are the disputed numbers.

``create_app`` builds the FastAPI application (``app.py``: the JSON API under ``/api/`` and the
static page at ``/``); ``serve`` runs it with uvicorn on loopback. CesiumJS 1.145.0 (Apache-2.0)
is vendored under ``static/vendor/cesium`` (served at ``/vendor/cesium/``; ``tools/vendor_cesium.sh``),
with its offline Natural Earth imagery: the page loads nothing from the internet.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app", "serve"]


def serve(scenario: str | None = None, host: str = "127.0.0.1", port: int = 8000, open_browser: bool = False,
          log_level: str = "warning") -> None:
    """Run the workbench until interrupted; ``open_browser`` opens the page in the default browser."""
    import threading
    import webbrowser

    import uvicorn

    from ..listen import check_port

    app = create_app(scenario)
    check_port(host, port)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    print(f"shieldsim workbench: {url} (Ctrl+C to stop)", flush=True)
    threading.Thread(target=_warm, args=(app,), daemon=True).start()
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(app, host=host, port=port, log_level=log_level)


def _warm(app) -> None:
    """The default view, computed once in the background (the first call compiles kernels and
    builds the fly-out tables: tens of seconds on a busy two-core machine)."""
    import contextlib

    from .app import scene

    with contextlib.suppress(Exception):
        scene(scenario=None, set=[], interceptor_speed=None, seed=None, wb=app.state.workbench)
