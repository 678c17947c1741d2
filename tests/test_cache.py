"""Caches that cannot serve stale physics (``shieldsim.cache``, the fly-out table cache).

The end-to-end check (edit a physics constant in a copy of the package with warm caches and
see ``fly`` and ``engage`` change, damaged kernel files recompiled) runs in a subprocess and
lives in ``test_cache_end_to_end.py`` (slow lane).
"""

from __future__ import annotations

import ast
import shutil
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from shieldsim import cache, interceptors

PKG = Path(str(resources.files("shieldsim")))


def _shieldsim_imports(path: Path) -> set[str]:
    """Module files of shieldsim that ``path`` imports at module level (``from . import x``, ``from .x import y``).

    Module level is what a compiled kernel can read (globals are frozen into it); what a
    function imports at run time is either keyed separately (the booster is part of a fly-out
    table's key) or not cached.
    """
    out = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0] + ".py")
            else:
                out.update(a.name + ".py" for a in node.names)
    return out


def _has_kernel(path: Path) -> bool:
    text = path.read_text()
    return "cache=True" in text and ("@njit" in text or "@vectorize" in text or "@guvectorize" in text)


def test_physics_files_cover_every_kernel_module_and_what_it_imports():
    kernel_modules = {p.name for p in PKG.glob("*.py") if _has_kernel(p)}
    kernel_modules |= {str(p.relative_to(PKG)) for p in PKG.glob("*/*.py") if _has_kernel(p)}
    assert kernel_modules, "no compiled kernels found: the scan is broken"
    needed, todo = set(), list(kernel_modules)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        todo.extend(m for m in _shieldsim_imports(PKG / name) if (PKG / m).exists())
    # errors.py holds exception classes and cache.py the keying itself: no value a kernel reads.
    needed -= {"errors.py", "cache.py"}
    missing = needed - set(cache.PHYSICS_FILES)
    assert not missing, f"cache.PHYSICS_FILES misses {sorted(missing)}: a change there would not invalidate caches"
    for name in cache.PHYSICS_FILES:
        assert (PKG / name).is_file(), name
    # Every data file a physics module loads is hashed too.
    for data in PKG.joinpath("data").glob("*.csv"):
        assert f"data/{data.name}" in cache.PHYSICS_FILES


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "shieldsim"
    shutil.copytree(PKG, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


@pytest.mark.parametrize("edit", ["constant", "atmosphere table", "kernel module"])
def test_code_hash_changes_with_any_physics_edit(tmp_path, edit):
    copy = _copy(tmp_path)
    before = cache.hash_files(copy)
    assert before == cache.hash_files(PKG) == cache.code_hash()
    if edit == "constant":
        f = copy / "earth.py"
        f.write_text(f.read_text().replace("J2 = 1.08262982131e-3", "J2 = 1.08262982131e-2"))
    elif edit == "atmosphere table":
        f = copy / "data" / "us76_upper.csv"
        f.write_text(f.read_text().replace("5.612265e-07", "5.612266e-07"))
    else:
        f = copy / "vehicles.py"
        f.write_text(f.read_text() + "\n# an edit\n")
    assert cache.hash_files(copy) != before


def test_every_kernel_is_cached_under_the_code_hash():
    from shieldsim import earth, flight

    for kernel in (flight._integrate_batch, flight._deriv, interceptors._fill_table, earth.gravity_scalar):
        impl = kernel._cache._impl
        assert isinstance(impl.locator, cache._HashLocator), kernel
        assert impl.locator.get_source_stamp() == cache.code_hash()
        assert kernel._cache.cache_path.startswith(cache.numba_dir())
    assert cache.code_hash() in cache.numba_dir()
    ufunc = earth.density._dispatcher.cache._impl
    assert isinstance(ufunc.locator, cache._HashLocator)


def _tiny_table() -> interceptors.FlyoutTable:
    rng = np.random.default_rng(0)
    shape = (3, 4, 5)
    return interceptors.FlyoutTable(np.arange(3.0), np.arange(4.0), np.arange(5.0),
                                    *(rng.random(shape).astype(np.float32) for _ in range(3)), 100.0, 7000.0, 1500.0)


def test_a_saved_table_loads_back_only_under_its_own_key(tmp_path):
    path = tmp_path / "fan-abc.npz"
    table = _tiny_table()
    assert interceptors.save_table(path, "abc", table)
    back = interceptors.load_table(path, "abc")
    assert back is not None
    np.testing.assert_array_equal(back.t_s, table.t_s)
    assert back.burnout_speed_m_s == table.burnout_speed_m_s
    with pytest.warns(cache.CacheWarning, match="key does not match"):
        assert interceptors.load_table(path, "another-code-version") is None
    assert interceptors.load_table(tmp_path / "absent.npz", "abc") is None


@pytest.mark.parametrize("damage", ["truncated", "garbage", "flipped byte", "old format"])
def test_a_damaged_table_file_is_rebuilt_with_a_warning(tmp_path, damage):
    path = tmp_path / "fan-abc.npz"
    interceptors.save_table(path, "abc", _tiny_table())
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a table" * 10)
    elif damage == "flipped byte":
        i = len(data) // 3
        path.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])
    else:  # a table written before tables carried their key
        t = _tiny_table()
        np.savez_compressed(path, az=t.az_rad, d=t.d_m, h=t.h_m, t=t.t_s, vd=t.v_down, vu=t.v_up, tb=1.0, vb=1.0,
                            tmax=1.0)
    with pytest.warns(cache.CacheWarning, match="unusable"):
        assert interceptors.load_table(path, "abc") is None


def test_an_unwritable_cache_is_reported_and_bypassed(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    with pytest.warns(cache.CacheWarning, match="not cached"):
        assert not interceptors.save_table(blocker / "fan-abc.npz", "abc", _tiny_table())
    assert not cache.writable_dir(blocker / "numba")


def test_no_warning_on_a_healthy_cache(tmp_path):
    path = tmp_path / "fan-abc.npz"
    with warnings.catch_warnings():
        warnings.simplefilter("error", cache.CacheWarning)
        interceptors.save_table(path, "abc", _tiny_table())
        assert interceptors.load_table(path, "abc") is not None
