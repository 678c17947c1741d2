"""Sweeps: the headline figures of a scenario over a grid of parameters, on Dask.

``--vary PATH=V1,V2,...`` (repeatable) spans a cartesian grid; every cell is the scenario
with those ``--set`` overrides (``interceptor_speed_km_s`` as a PATH means
``--interceptor-speed``). Cells run on a Dask cluster (a ``LocalCluster`` by default, or
the scheduler at ``--dask ADDRESS``); each finished cell is written atomically to
``DIR/cells/<key>.json`` the moment it completes, and ``DIR/sweep.parquet`` is rebuilt
from the cell files in grid order. A cell's key hashes the scenario as resolved for that cell
and the code version (``cell_key``), and its file carries the key: a rerun into the same DIR
computes only the cells without a complete file of their own key, so an interrupted sweep
resumes without recomputing finished cells and ends with the same Parquet (timings aside:
only columns ending in ``_wall_s`` differ), while an edited scenario or a new shieldsim
recomputes, and a truncated or foreign cell file is recomputed, never merged.
"""

from __future__ import annotations

from contextlib import contextmanager

import hashlib
import itertools
import json
import time
from pathlib import Path

import numpy as np

from ..errors import ScenarioError, ShieldsimError
from ..io import atomic_write_parquet, write_json
from ..scenario import load_yaml

SPEED_PATH = "interceptor_speed_km_s"
#: Most local Dask worker processes (``--workers``). Our own limit, not a Dask one: more
#: single-threaded processes than this only thrash a workstation.
MAX_WORKERS = 64


def parse_vary(items) -> list[tuple[str, list]]:
    out = []
    seen = set()
    for item in items:
        if "=" not in item:
            raise ScenarioError("--vary", f"expected PATH=V1,V2,..., got {item!r}")
        path, vals = item.split("=", 1)
        path = path.strip()
        if not path or path in seen:
            raise ScenarioError("--vary", f"bad or repeated PATH in {item!r}")
        seen.add(path)
        values = [load_yaml(v.strip(), "--vary") for v in vals.split(",") if v.strip() != ""]
        if not values:
            raise ScenarioError("--vary", f"no values in {item!r}")
        out.append((path, values))
    if not out:
        raise ScenarioError("--vary", "give at least one --vary PATH=V1,V2,...")
    return out


def cell_key(resolved: dict, cell: dict, interceptor_speed) -> str:
    """A cell's key: the scenario as resolved for that cell (every value used, not its name or
    path), the cell, the interceptor speed and the code version (``cache.package_hash``). An
    edited scenario file or a new version of shieldsim gives new keys, so nothing stale is reused."""
    from ..cache import package_hash

    payload = json.dumps({"scenario": resolved, "cell": cell, "speed": interceptor_speed, "code": package_hash()},
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def read_cell(path: Path, key: str) -> dict | None:
    """A finished cell's row if ``path`` is a complete cell file written under ``key``; else None.

    A truncated, unreadable or foreign file (another key inside) is never merged: the cell is
    recomputed and the file replaced."""
    try:
        row = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(row, dict) or row.get("cell_key") != key:
        return None
    row.pop("cell_key")
    return row


def compute_cell(scenario: str, cell: dict, overrides, seed, interceptor_speed) -> dict:
    """One cell's headline figures (runs on a Dask worker)."""
    from .context import load_context
    from .run import headline

    t0 = time.perf_counter()
    speed = cell.get(SPEED_PATH, interceptor_speed)
    ov = list(overrides) + [f"{k}={v}" for k, v in cell.items() if k != SPEED_PATH]
    ctx = load_context(scenario, ov, seed, speed)
    h = headline(ctx)
    h.pop("name", None)
    return {**cell, **h, "cell_wall_s": round(time.perf_counter() - t0, 3)}


def _validate_cells(scenario, cells, overrides, seed) -> list[dict]:
    """Fail fast, in one line, on a bad PATH or value before any work is sent out; return each
    cell's scenario as resolved (for its key)."""
    from ..scenario import load_scenario

    resolved = []
    for cell in cells:
        ov = list(overrides) + [f"{k}={v}" for k, v in cell.items() if k != SPEED_PATH]
        sc = load_scenario(scenario, overrides=ov, seed=seed)
        resolved.append(sc.model_dump(mode="json", by_alias=True, exclude_none=True))
        sp = cell.get(SPEED_PATH)
        if sp is not None and not (isinstance(sp, (int, float)) and 0.5 <= sp <= 15):
            raise ScenarioError("--vary", f"{SPEED_PATH} must be a speed in 0.5-15 km/s, got {sp!r}")
    return resolved


def assemble(out: Path, cells: list[dict], keys: list[str]) -> Path:
    rows = [read_cell(out / "cells" / f"{k}.json", k) for k in keys]
    if any(r is None for r in rows):
        raise ShieldsimError(f"sweep: a cell file in {out / 'cells'} changed while the sweep ran; run it again")
    cols: dict[str, list] = {}
    for r in rows:
        for k in r:
            cols.setdefault(k, [])
    table = {}
    for k in cols:
        vals = [r.get(k) for r in rows]
        if all(isinstance(v, bool) for v in vals):
            table[k] = np.array(vals, dtype=bool)
        elif all(isinstance(v, (int, float)) and not isinstance(v, bool) or v is None for v in vals):
            table[k] = np.array([np.nan if v is None else v for v in vals], dtype=float)
        else:
            table[k] = np.array([str(v) for v in vals])
    path = out / "sweep.parquet"
    atomic_write_parquet(path, table)
    return path


def check_workers(n_workers, address=None, flag: str = "--workers") -> None:
    """A local cluster of 1 to ``MAX_WORKERS`` processes (ignored with ``--dask ADDRESS``): 0 or
    fewer would wait forever for a worker, so they are refused in one line."""
    if address is not None:
        return
    if isinstance(n_workers, bool) or not isinstance(n_workers, (int, np.integer)) \
            or not 1 <= n_workers <= MAX_WORKERS:
        raise ScenarioError(flag, f"must be a whole number of local workers from 1 to {MAX_WORKERS}, "
                                  f"got {str(n_workers)[:40]}")


def run_sweep(scenario: str, vary, out, *, address: str | None = None, overrides=(), seed=None, interceptor_speed=None,
              n_workers: int = 2, progress: bool = True) -> dict:
    """The sweep into DIR ``out``, locked against a second writer (``io.output_lock``; a second
    sweep or run into DIR is refused in one line naming ``-o``); the cell files are atomic."""
    from ..io import check_output_path, disk_error, output_lock

    check_workers(n_workers, address)
    grid = parse_vary(vary)
    names = [p for p, _ in grid]
    cells = [dict(zip(names, combo)) for combo in itertools.product(*[v for _, v in grid])]
    resolved = _validate_cells(scenario, cells, overrides, seed)
    target = check_output_path(out, "-o")
    with output_lock(target):
        try:
            return _sweep_into(scenario, cells, resolved, Path(out), address, overrides, seed, interceptor_speed,
                               n_workers, progress)
        except OSError as exc:
            err = disk_error(exc, target)
            if err is None:
                raise
            raise err from None


def _sweep_into(scenario, cells, resolved, out, address, overrides, seed, interceptor_speed, n_workers,
                progress) -> dict:
    (out / "cells").mkdir(parents=True, exist_ok=True)
    keys = [cell_key(r, c, interceptor_speed) for r, c in zip(resolved, cells)]
    todo = [i for i, k in enumerate(keys) if read_cell(out / "cells" / f"{k}.json", k) is None]
    t0 = time.perf_counter()
    if todo:
        _compute(scenario, cells, keys, todo, out, address, overrides, seed, interceptor_speed, n_workers, progress)
    assemble(out, cells, keys)
    res = {"cells": len(cells), "computed": len(todo), "reused": len(cells) - len(todo),
           "parquet": str(out / "sweep.parquet"), "sweep_wall_s": round(time.perf_counter() - t0, 2)}
    write_json(out / "sweep.json", res)
    return res


@contextmanager
def dask_client(address, n_workers: int):
    """A Dask client: on ``address`` (``--dask``), or on a LocalCluster of ``n_workers``
    single-threaded processes bound to 127.0.0.1, closed on exit. Shared by sweep and sensitivity.

    The local cluster keeps its scratch space (worker files, spilled data) in a temporary
    directory of its own, removed on exit, so no ``dask-scratch-space`` is left in the working
    or the output directory. No dashboard
    is started and nothing binds port 8787, so a busy one draws no warning."""
    import tempfile

    import dask
    from dask.distributed import Client, LocalCluster

    check_workers(n_workers, address)
    with tempfile.TemporaryDirectory(prefix="shieldsim-dask-", ignore_cleanup_errors=True) as tmp, \
            dask.config.set({"temporary-directory": tmp, "distributed.worker.daemon": False}):
        cluster = None
        if address is None:
            # No dashboard; the scheduler's small HTTP server (health, metrics) would still
            # take port 8787 and warn when it is busy, so it takes any free port instead.
            cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, dashboard_address=None,
                                   scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                   host="127.0.0.1", local_directory=tmp, silence_logs=40)
            client = Client(cluster)
        else:
            try:
                client = Client(address, timeout="20s")
            except Exception as exc:  # noqa: BLE001 - any connection failure is the user's address
                raise ScenarioError("--dask", f"cannot reach the Dask scheduler at {address}: {exc}") from None
        try:
            yield client
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def _compute(scenario, cells, keys, todo, out, address, overrides, seed, interceptor_speed, n_workers, progress):
    from dask.distributed import as_completed

    from .run import Progress

    with dask_client(address, n_workers) as client:
        futs = {client.submit(compute_cell, scenario, cells[i], list(overrides), seed, interceptor_speed,
                              key=f"cell-{keys[i]}", pure=False): i for i in todo}
        with Progress(progress) as pg:
            tick = pg.task("sweep cells", len(todo))
            for fut in as_completed(futs):
                i = futs[fut]
                write_json(out / "cells" / f"{keys[i]}.json", {**fut.result(), "cell_key": keys[i]})
                tick()
