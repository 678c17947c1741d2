"""Debian's Chromium for the browser tests (Playwright drives it; never `playwright install`)."""

from __future__ import annotations

import importlib.util
import shutil

import pytest

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
#: Skip marks for a test module that needs the browser.
NEEDS_CHROMIUM = [
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None,
                       reason="playwright (pip install playwright) is not installed; never `playwright install`"),
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium executable (Debian: apt-get install chromium)"),
]
#: Headless flags that give WebGL through SwiftShader offline (../shared/ECOSYSTEM.md, browser).
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run", "--disable-sync"]
#: Hosts a page may reach: anything else is aborted and counted.
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
