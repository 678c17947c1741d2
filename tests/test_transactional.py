"""Nothing lost (issue 16, items 1, 5, 6, 7): output folders written as a whole, one writer at a
time, impossible ``-o`` refused up front, caches that never kill a command, no Dask dashboard.

These are the cheap checks (no scenario is run); the killed, disk-full and concurrent runs of
real ``shieldsim run`` processes are in tests/test_faults.py (slow lane).
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import warnings

import numpy as np
import pytest

from shieldsim import cache, interceptors
from shieldsim.errors import ScenarioError
from shieldsim.io import check_output_path, output_dir, output_files, output_lock, write_json


def _complete(directory, seed):
    directory.mkdir()
    write_json(directory / "results.json", {"seed": seed, "complete": True})
    (directory / "report.html").write_text(f"seed {seed}")


# --- output folders ------------------------------------------------------------------------------
def test_a_folder_appears_only_when_complete_and_replaces_the_old_one_whole(tmp_path):
    target = tmp_path / "out"
    _complete(target, 1)
    (target / "figures").mkdir()
    (target / "figures" / "stale.png").write_text("from the old run")
    seen = []
    with output_dir(target, announce=seen.append) as stage:
        assert stage.parent == tmp_path and stage.name.startswith(".out.partial-")
        write_json(stage / "results.json", {"seed": 2, "complete": True})
        assert json.loads((target / "results.json").read_text())["seed"] == 1  # the old one, untouched
    assert seen == [stage]
    assert json.loads((target / "results.json").read_text())["seed"] == 2
    assert sorted(p.name for p in target.iterdir()) == ["results.json"]  # no stale report or figure
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no partial, old or lock left


def test_a_failed_run_leaves_the_old_folder_and_a_partial_one_named_so(tmp_path):
    target = tmp_path / "out"
    _complete(target, 1)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    with pytest.raises(RuntimeError), output_dir(target) as stage:
        write_json(stage / "results.json", {"seed": 2, "complete": False})
        raise RuntimeError("killed half-way")
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    partial = [p for p in tmp_path.iterdir() if p.name != "out"]
    assert [p.name.startswith(".out.partial-") for p in partial] == [True]
    assert json.loads((partial[0] / "results.json").read_text())["complete"] is False


def test_a_disk_error_is_one_line_naming_o_and_the_folder(tmp_path):
    target = tmp_path / "out"
    _complete(target, 1)
    with pytest.raises(ScenarioError) as e, output_dir(target):
        raise OSError(errno.ENOSPC, "No space left on device")
    msg = str(e.value)
    assert msg.startswith("-o: cannot write") and "No space left" in msg and "partial output in .out.partial-" in msg
    assert "\n" not in msg and len(msg) < 200
    assert json.loads((target / "results.json").read_text())["seed"] == 1


def test_a_second_writer_is_refused_at_once(tmp_path):
    target = tmp_path / "out"
    with output_lock(target):
        with pytest.raises(ScenarioError, match="^-o: .*being written by another shieldsim process"):
            with output_dir(target):
                pass
        assert not target.exists()
    with output_dir(target) as stage:  # free again once released
        (stage / "results.json").write_text("{}")
    assert (target / "results.json").exists()


def test_sensitivity_output_found_in_the_folder_is_carried_into_the_new_one(tmp_path):
    from shieldsim.analyses.commands import check_out_dir

    target = tmp_path / "out"
    target.mkdir()
    (target / "sensitivity.json").write_text('{"parameters": [1, 2, 3]}')
    (target / "tornado-reach.svg").write_text("<svg/>")
    with output_dir(target, check=lambda t: check_out_dir(t, False)) as stage:
        assert (stage / "sensitivity.json").read_text() == '{"parameters": [1, 2, 3]}'
        (stage / "results.json").write_text("{}")
    assert sorted(p.name for p in target.iterdir()) == ["results.json", "sensitivity.json", "tornado-reach.svg"]


@pytest.mark.parametrize("case", ["root", "a file", "under a file", "name too long", "path too long"])
def test_an_impossible_o_is_refused_in_one_line(tmp_path, case):
    (tmp_path / "f").write_text("x")
    path = {"root": "/", "a file": tmp_path / "f", "under a file": tmp_path / "f" / "out",
            "name too long": tmp_path / ("x" * 300), "path too long": tmp_path / "/".join(["y" * 200] * 25)}[case]
    with pytest.raises(ScenarioError) as e:
        check_output_path(path)
    assert e.value.field == "-o" and "\n" not in str(e.value) and len(str(e.value)) < 200


def test_force_keeps_the_users_files_and_refuses_the_working_directory(tmp_path, monkeypatch):
    from shieldsim.analyses.commands import check_out_dir

    target = tmp_path / "out"
    _complete(target, 1)
    assert check_out_dir(target, True) == []  # earlier shieldsim output: replaced with --force
    with pytest.raises(ScenarioError, match="not empty"):
        check_out_dir(target, False)
    (target / "notes.txt").write_text("mine")
    (target / "data").mkdir()
    (target / "data" / "x.csv").write_text("1,2")
    with output_dir(target, check=lambda t: check_out_dir(t, True)) as stage:
        write_json(stage / "results.json", {"seed": 2, "complete": True})
    assert sorted(p.name for p in target.iterdir()) == ["data", "notes.txt", "results.json"]  # no old report
    assert (target / "notes.txt").read_text() == "mine" and (target / "data" / "x.csv").read_text() == "1,2"
    monkeypatch.chdir(target)
    with pytest.raises(ScenarioError, match="working directory"):
        check_out_dir(".", True)


def test_a_read_only_place_is_refused_before_any_work(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o555)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as root: permissions do not stop root (tests/test_faults.py mounts a read-only "
                        "tmpfs instead)")
        with pytest.raises(ScenarioError, match="^-o: cannot write in"):
            check_output_path(ro / "out")
    finally:
        os.chmod(ro, 0o755)


def test_footprint_files_are_replaced_together_or_not_at_all(tmp_path):
    geo, pq = tmp_path / "fp.geojson", tmp_path / "fp.parquet"
    geo.write_text("old"), pq.write_text("old")
    with pytest.raises(RuntimeError), output_files(geo) as stage:
        (stage / "fp.parquet").write_text("new")
        raise RuntimeError("killed between the two files")
    assert geo.read_text() == pq.read_text() == "old"
    with output_files(geo) as stage:
        (stage / "fp.parquet").write_text("new")
        (stage / "fp.geojson").write_text("new")
    assert geo.read_text() == pq.read_text() == "new"
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".fp.geojson.partial-")]
    assert len(left) == 1 and [p.name for p in left[0].iterdir()] == ["fp.parquet"]  # the failed one, named so
    with pytest.raises(ScenarioError, match="is a directory"):
        check_output_path(tmp_path, kind="file")


# --- caches ----------------------------------------------------------------------------------------
def _tiny_table() -> interceptors.FlyoutTable:
    rng = np.random.default_rng(0)
    shape = (3, 4, 5)
    return interceptors.FlyoutTable(np.arange(3.0), np.arange(4.0), np.arange(5.0),
                                    *(rng.random(shape).astype(np.float32) for _ in range(3)), 100.0, 7000.0, 1500.0)


def _rewrite(path, **changes):
    """Rewrite a saved table with some arrays changed and its zip CRCs valid (a consistent edit)."""
    with np.load(path) as z:
        arrays = {n: z[n] for n in z.files}
    arrays.update(changes)
    np.savez(path, **arrays)


@pytest.mark.parametrize("change", ["checksum", "nan time", "shape"])
def test_a_table_that_fails_its_checks_is_rebuilt_with_a_warning(tmp_path, change):
    path = tmp_path / "fan-abc.npz"
    table = _tiny_table()
    interceptors.save_table(path, "abc", table)
    if change == "checksum":  # a value changed, the file otherwise consistent
        t = table.t_s.copy()
        t[0, 0, 0] += 1
        _rewrite(path, t=t)
    elif change == "nan time":
        t = table.t_s.copy()
        t[1, 1, 1] = np.nan
        arrays = dict(az=table.az_rad, d=table.d_m, h=table.h_m, t=t, vd=table.v_down, vu=table.v_up,
                      tb=np.asarray(table.burnout_time_s), vb=np.asarray(table.burnout_speed_m_s),
                      tmax=np.asarray(table.t_max_s))
        _rewrite(path, t=t, sum=np.array(cache.checksum(arrays)))  # checksum right, values not
    else:
        _rewrite(path, t=table.t_s[:, :2])
    with pytest.warns(cache.CacheWarning, match="unusable"):
        assert interceptors.load_table(path, "abc") is None


def test_a_full_or_unwritable_cache_only_warns_once(tmp_path, monkeypatch):
    import shieldsim.io as sio

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sio, "atomic_write_bytes", full)
    with pytest.warns(cache.CacheWarning, match="not cached.*No space left") as rec:
        assert not interceptors.save_table(tmp_path / "fan-a.npz", "a", _tiny_table())
        assert not interceptors.save_table(tmp_path / "fan-b.npz", "b", _tiny_table())
    assert len([w for w in rec if issubclass(w.category, cache.CacheWarning)]) == 1


def test_a_full_numba_cache_does_not_stop_compilation(monkeypatch):
    """Numba raises on a failed cache write; in shieldsim's own cache folder it is one warning
    (the kernel stays compiled in memory), elsewhere Numba's error is left alone."""
    from numba.core import caching

    class Full:
        _cache_path = os.path.join(cache.numba_dir(), "somewhere")

        def _load_index(self):
            return {}

        def _data_name(self, i):
            return f"k.{i}.nbc"

        def _save_index(self, overloads):
            raise OSError(errno.ENOSPC, "No space left on device")

    class Foreign(Full):
        _cache_path = "/elsewhere/__pycache__"

    monkeypatch.setattr(cache, "_UNWRITABLE", set())
    with pytest.warns(cache.CacheWarning, match="compiled kernel not cached.*No space left"):
        assert caching.IndexDataCacheFile.save(Full(), "key", b"data") is None
    with pytest.raises(OSError):
        caching.IndexDataCacheFile.save(Foreign(), "key", b"data")


def test_cache_files_are_never_world_writable(tmp_path):
    old = os.umask(0)
    try:
        path = tmp_path / "fan-abc.npz"
        interceptors.save_table(path, "abc", _tiny_table())
    finally:
        os.umask(old)
    assert not stat.S_IMODE(os.stat(path).st_mode) & 0o002
    with warnings.catch_warnings():
        warnings.simplefilter("error", cache.CacheWarning)
        assert interceptors.load_table(path, "abc") is not None


def test_compiled_kernel_files_are_never_world_writable(tmp_path):
    from numba.core import caching

    class Ours:
        _cache_path = os.path.join(cache.numba_dir(), "somewhere")

    old = os.umask(0)
    try:
        with caching.IndexDataCacheFile._open_for_write(Ours(), str(tmp_path / "k.nbi")) as fh:
            fh.write(b"index")
        assert cache.writable_dir(tmp_path / "numba")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "k.nbi").st_mode) == 0o664
    assert not stat.S_IMODE(os.stat(tmp_path / "numba").st_mode) & 0o002


# --- Dask ------------------------------------------------------------------------------------------
def test_workers_zero_or_negative_is_refused_not_a_hang(tmp_path):
    from shieldsim.analyses import commands

    for n in (0, -1):
        with pytest.raises(ScenarioError, match="^--workers: must be a whole number"):
            commands.sweep("third_site_2007", ["doctrine.sspk=0.5"], tmp_path / "sw", workers=n)
    assert not (tmp_path / "sw").exists()


DASK_SOCKETS = """
import psutil
from shieldsim.analyses.sweep import dask_client
with dask_client(None, 1) as client:
    assert client.submit(sum, [1, 2]).result() == 3
    me = psutil.Process()
    listening = [(c.laddr.ip, c.laddr.port) for p in [me, *me.children(recursive=True)]
                 for c in p.net_connections("inet") if c.status == psutil.CONN_LISTEN]
print(sorted(listening))
"""


def test_the_local_cluster_listens_on_loopback_only_and_never_on_8787():
    pytest.importorskip("psutil")
    p = subprocess.run([sys.executable, "-c", DASK_SOCKETS], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    listening = eval(p.stdout.strip().splitlines()[-1])  # noqa: S307 - our own child's list of tuples
    assert listening, "no listening socket found: the scan is broken"
    assert all(ip == "127.0.0.1" for ip, _ in listening), listening
    assert 8787 not in {port for _, port in listening}, listening
