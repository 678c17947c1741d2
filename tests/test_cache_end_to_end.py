"""Edit a physics constant with warm caches: ``fly`` and ``engage`` must change (issue 10 acceptance).

Numba's own cache keys a compiled kernel on its source file's time stamp only, so an edit of
a constant in ``earth.py`` (inlined into the integrator of ``flight.py``) used to leave the
compiled integrator, and every fly-out table built with it, as it was. Here a copy of the
package is run in fresh processes with its own caches: warm them, edit ``earth.J2`` in the
copy, run again, and the answers must move; then damage every compiled-kernel file and run
again: the answers must be right and a warning must say the kernels were recompiled.

Slow lane: four cold or half-cold processes (Numba compilation, a fly-out table).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

PKG = Path(str(resources.files("shieldsim")))
FLY = ["fly", "sejjil-2", "--from", "semnan", "--to", "40,40", "--json"]
ENGAGE = ["engage", "third_site_2007", "--missile", "iran-irbm", "--from", "semnan", "--to", "berlin", "--trials", "50",
          "--json"]


def _run(root: Path, cache: Path, args: list[str]) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "SHIELDSIM_", "PYTHONPATH"))}
    env.update(PYTHONPATH=str(root), SHIELDSIM_CACHE=str(cache), NUMBA_NUM_THREADS="2")
    code = ("import sys, shieldsim; assert shieldsim.__file__.startswith(sys.argv[1]), shieldsim.__file__; "
            "from shieldsim.cli import main; sys.exit(main(sys.argv[2:]))")
    proc = subprocess.run([sys.executable, "-c", code, str(root), *args], capture_output=True, text=True, env=env,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout), proc.stderr


def _engage_summary(out: dict) -> tuple:
    t = out["threats"][0]
    return tuple((e["launch_s"], e["intercept_s"], e["intercept_altitude_km"]) for e in t["engagements"])


def test_a_constant_edited_with_warm_caches_changes_fly_and_engage(tmp_path):
    root = tmp_path / "src"
    shutil.copytree(PKG, root / "shieldsim", ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    fly0, _ = _run(root, cache, FLY)
    eng0, _ = _run(root, cache, ENGAGE)  # caches now warm: kernels and the GBI fly-out table
    assert any(cache.glob("fan-*.npz")) and any(cache.glob("numba/*/*/*.nbi"))
    assert _engage_summary(eng0), "the reference engagement must have intercepts to compare"

    earth = root / "shieldsim" / "earth.py"
    text = earth.read_text()
    assert "J2 = 1.08262982131e-3" in text
    earth.write_text(text.replace("J2 = 1.08262982131e-3", "J2 = 3.0e-3"))  # about three times Earth's oblateness
    fly1, _ = _run(root, cache, FLY)
    eng1, _ = _run(root, cache, ENGAGE)
    # The impact is the aim point either way (the solver re-aims), so compare the flight itself.
    # (A rerun of unchanged code gives byte-identical JSON, so any change is the edit's.)
    assert abs(fly1["flight_time_s"] - fly0["flight_time_s"]) > 0.01, (fly0, fly1)
    assert abs(fly1["apogee_km"] - fly0["apogee_km"]) > 0.01, (fly0, fly1)
    assert _engage_summary(eng1) != _engage_summary(eng0)

    # Damage every compiled-kernel file of the new code version: recompiled, with a warning, same answer.
    damaged = 0
    for f in cache.glob("numba/*/*/*.nb[ic]"):
        data = f.read_bytes()
        f.write_bytes(data[: len(data) // 2])
        damaged += 1
    assert damaged
    fly2, err = _run(root, cache, FLY)
    assert "CacheWarning" in err and "recompiling" in err
    assert fly2 == fly1
