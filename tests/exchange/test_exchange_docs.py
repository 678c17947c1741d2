"""docs/exchange.md: its two-terminal walk-through runs (slow lane: the replay observes and tracks the
2007 scenario), and its example view is what the Russia policy releases."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from ._server import Server, free_port

DOC = Path(__file__).resolve().parents[2] / "docs" / "exchange.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCK = re.compile(r"<!-- walkthrough: terminal (\d)[^>]*-->\s*```console\n(.*?)```", re.S)


def walkthrough() -> dict[int, list[list[str]]]:
    out = {}
    for n, body in BLOCK.findall(TEXT):
        out[int(n)] = [shlex.split(ln.removeprefix("$ ")) for ln in body.splitlines() if ln.startswith("$ ")]
    return out


def test_the_walkthrough_has_two_terminals_serve_then_token_replay_watch():
    steps = walkthrough()
    assert sorted(steps) == [1, 2]
    assert [c[:3] for c in steps[1]] == [["shieldsim", "exchange", "serve"]]
    assert [c[2] for c in steps[2]] == ["token", "token", "replay", "watch"]


def test_the_example_view_is_what_the_russia_policy_releases():
    from shieldsim.exchange.messages import ALWAYS
    from shieldsim.exchange.policy import builtin_policy

    view = json.loads(re.search(r"```json\n(.*?)```", TEXT, re.S).group(1))
    assert set(view) <= set(ALWAYS) | set(builtin_policy("russia").fields)
    assert view["impact_area"]["semi_major_km"] == 100.0 and "sensor" not in view


@pytest.mark.slow
def test_the_two_terminal_walkthrough_runs(tmp_path):
    """Run as written, in a temporary directory, with three changes a script needs: a free port
    for 8707, the printed tokens for US_TOKEN and RUSSIA_TOKEN, and --speed 1000 for 10."""
    steps = walkthrough()
    port = str(free_port())

    def argv(cmd, tokens):
        args = [a.replace("8707", port) for a in cmd[1:]]
        args = [tokens.get(a, a) for a in args]
        if "--speed" in args:
            args[args.index("--speed") + 1] = "1000"
        return [sys.executable, "-m", "shieldsim.cli", *args]

    serve = argv(steps[1][0], {})
    db = serve[serve.index("--db") + 1]
    srv = Server(f"sqlite:///{tmp_path / db.removeprefix('sqlite:///')}", int(port))
    srv.start()  # terminal 1 (the database path made absolute under tmp_path)
    try:
        tokens, outputs = {}, []
        for cmd in steps[2]:
            r = subprocess.run(argv(cmd, tokens), capture_output=True, text=True, timeout=600, cwd=tmp_path)
            assert r.returncode == 0, f"{' '.join(cmd)}: {r.stderr.strip()[-400:]}"
            if cmd[2] == "token":
                tokens[f"{cmd[3].upper()}_TOKEN"] = r.stdout.split()[-1]
            outputs.append(r.stdout)
        assert re.search(r"third_site_2007: (\d+) notifications, \1 stored, 0 already there", outputs[2]), outputs[2]
        views = [json.loads(ln) for ln in outputs[3].splitlines()]
        assert views and all("sensor" not in v for v in views)
        assert {v["kind"] for v in views} == {"launch", "track", "outcome"}
    finally:
        srv.stop()
