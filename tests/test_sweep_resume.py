"""An interrupted sweep resumes (issue acceptance).

"A sweep killed half-way and restarted finishes with the same Parquet as an uninterrupted
one, and recomputes none of the finished cells." Driven through the real CLI in
subprocesses on a local Dask cluster (2 workers), with cheap settings (10 deg footprint,
one Russian pair at one speed, small raid and Monte Carlo; the reach speed is the
scenario's 6.3 km/s so its fly-out table is shared): a 3 x 2 grid runs once
uninterrupted into A; a second run into B is killed with SIGKILL (its whole process group:
the CLI, the scheduler and the worker processes) once at least one but not all cell files
exist; the rerun into B must compute exactly the missing cells, leave the finished cell
files untouched, and end with a ``sweep.parquet`` equal to A's in every column not ending
in ``_wall_s`` (exact equality: every cell is seeded).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

CELL_FILE = re.compile(r"^[0-9a-f]{16}\.json$")
N_CELLS = 6
ARGS = [
    "sweep", "third_site_2007",
    "--vary", "doctrine.sspk=0.5,0.7,0.9",
    "--vary", "interceptor_speed_km_s=6.3,8.0",
    "--set", "analysis.compare_resolution_deg=10",
    "--set", "analysis.reach.speeds_km_s=[6.3]",
    "--set", "analysis.reach.launches=[kozelsk]",
    "--set", "analysis.reach.targets=[washington]",
    "--set", "analysis.raid.max_size=3",
    "--set", "analysis.raid.trials=500",
    "--set", "analysis.raid.decoys=[0]",
    "--set", "analysis.trials=500",
    "--json",
]


def _cli() -> list[str]:
    exe = Path(sys.executable).with_name("shieldsim")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("shieldsim")
    if found:
        return [found]
    return [sys.executable, "-c", "from shieldsim.cli import main; main()"]


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ)
    (tmp_path / "dask-tmp").mkdir(exist_ok=True)
    env["DASK_TEMPORARY_DIRECTORY"] = str(tmp_path / "dask-tmp")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _sweep(out: Path, tmp_path: Path, timeout: float = 300) -> dict:
    p = subprocess.run(_cli() + ARGS + ["-o", str(out)], cwd=tmp_path, env=_env(tmp_path), capture_output=True,
                       text=True, timeout=timeout, check=False)
    assert p.returncode == 0, f"sweep failed ({p.returncode}):\n{p.stderr[-3000:]}"
    return json.loads(p.stdout)


def _cells(out: Path) -> dict[str, tuple[int, bytes]]:
    d = out / "cells"
    if not d.is_dir():
        return {}
    found = {}
    for f in d.iterdir():
        if CELL_FILE.match(f.name):
            try:
                found[f.name] = (f.stat().st_mtime_ns, f.read_bytes())
            except FileNotFoundError:
                pass
    return found


def _live_members(pgid: int) -> list[int]:
    """Processes of a process group that are still running (zombies left to their reaper aside)."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            pids.append(int(d.name))
    return pids


def _kill_group(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    """SIGKILL the whole process group started with ``start_new_session`` and wait until none of it runs."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=timeout)
    if not Path("/proc/self/stat").exists():  # no procfs: the leader's exit is all we can see
        return
    deadline = time.monotonic() + timeout
    while (left := _live_members(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"processes {left} of the killed sweep survived SIGKILL"


def _frame(path: Path) -> pd.DataFrame:
    df = pd.read_parquet(path)
    return df[[c for c in df.columns if not c.endswith("_wall_s")]]


@pytest.mark.slow  # a sweep on a Dask cluster, killed and resumed: a minute
def test_killed_sweep_resumes_to_the_same_parquet(tmp_path):
    a, b = tmp_path / "A", tmp_path / "B"

    # Uninterrupted.
    res_a = _sweep(a, tmp_path)
    assert (res_a["cells"], res_a["computed"], res_a["reused"]) == (N_CELLS, N_CELLS, 0)
    assert len(_cells(a)) == N_CELLS

    # Killed half-way: SIGKILL of the whole process group once some but not all cells are on disk.
    proc = subprocess.Popen(_cli() + ARGS + ["-o", str(b)], cwd=tmp_path, env=_env(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None and not _cells(b):
            time.sleep(0.02)
        assert proc.poll() is None, f"the sweep ended before it could be killed:\n{proc.stderr.read()[-3000:]}"
        assert _cells(b), "no cell finished within the time limit"
    finally:
        _kill_group(proc)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    done = _cells(b)
    assert 1 <= len(done) < N_CELLS, f"{len(done)} of {N_CELLS} cells finished before the kill"
    assert not (b / "sweep.parquet").exists()

    # Restarted: only the missing cells are computed; the finished ones are reused untouched.
    res_b = _sweep(b, tmp_path)
    assert res_b["cells"] == N_CELLS
    assert res_b["computed"] == N_CELLS - len(done), res_b
    assert res_b["reused"] == len(done), res_b
    after = _cells(b)
    assert len(after) == N_CELLS and set(after) == set(_cells(a))
    for name, (mtime, data) in done.items():
        assert after[name] == (mtime, data), f"finished cell {name} was rewritten by the rerun"

    # Same Parquet as the uninterrupted sweep, timings aside.
    fa, fb = _frame(a / "sweep.parquet"), _frame(b / "sweep.parquet")
    assert list(fa.columns) == list(fb.columns)
    assert {"doctrine.sspk", "interceptor_speed_km_s", "defended_fraction", "raid_p_no_leak"} <= set(fa.columns)
    assert len(fa) == N_CELLS
    pd.testing.assert_frame_equal(fa, fb, check_exact=True)
    # The timing column exists (it is the only thing allowed to differ).
    assert any(c.endswith("_wall_s") for c in pd.read_parquet(b / "sweep.parquet").columns)
