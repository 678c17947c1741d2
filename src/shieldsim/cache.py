"""On-disk caches that cannot serve stale physics: one code hash keys them all.

shieldsim keeps two kinds of files between runs: Numba's compiled kernels and the
interceptors' fly-out tables (``interceptors.py``). Both must be thrown away when the
physics they were built from changes, and both used to be keyed on too little: Numba keys a
kernel on the modification time of *its own* source file only, so editing a constant in
``earth.py`` (inlined into the flight kernels as a global) or the atmosphere table left the
compiled integrator in ``flight.py`` as it was (documented Numba behaviour: "changes in other
files ... are not detected"); the tables had a hand-bumped version number.

Here every cache is keyed on :func:`code_hash`, a SHA-256 of the bytes of every module that
holds a compiled kernel or a value a kernel reads (``PHYSICS_FILES``), the data files they
load, and the Python, NumPy and Numba versions. ``tests/test_cache.py`` checks that the list
covers every module with a kernel and every shieldsim module those import.

* Numba: :class:`_HashLocator` is put first in Numba's list of cache locators for the files of
  this package. It stores the kernels under ``<cache>/numba/<hash>/`` and gives the code hash
  as each kernel's "source stamp", so any edit to any physics file recompiles every kernel.
* A cache file that cannot be read (truncated, corrupted, foreign) is reported with a
  :class:`CacheWarning` and rebuilt; a cache directory that cannot be written, or fills up
  while a file is written, is reported once (``cache_write_failed``) and bypassed (kernels
  compiled in memory, tables computed and not saved): it never stops a command. Nothing read
  from a cache is trusted without its key; a table also carries a checksum of its arrays and
  is checked (shapes, finite grids and values, ``check_flyout_arrays``) before use.
* Cache files are written with the user's umask (``io._default_mode``), never world-writable.

The cache root is ``$SHIELDSIM_CACHE``, else ``~/.cache/shieldsim``; ``$NUMBA_CACHE_DIR``,
when set, takes the compiled kernels instead (CI points it at a workspace folder).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import platform
import sys
import tempfile
import warnings
from importlib import resources
from pathlib import Path

import numba
import numpy as np

# Every file whose bytes a cached artefact depends on: the modules with compiled kernels, the
# shieldsim modules they import values from, and the data those load. Paths relative to the
# package.
PHYSICS_FILES = ("earth.py", "validate.py", "vehicles.py", "flight.py", "interceptors.py", "engagement.py",
                 "fast_ukf.py", "data/us76_upper.csv")


class CacheWarning(UserWarning):
    """A cache file or directory could not be used; shieldsim rebuilt or bypassed it."""


def cache_root() -> Path:
    """Where shieldsim keeps its caches: ``$SHIELDSIM_CACHE`` or ``~/.cache/shieldsim`` (a
    temporary folder of this user's where there is no home)."""
    d = os.environ.get("SHIELDSIM_CACHE")
    if d:
        return Path(d)
    try:
        return Path.home() / ".cache" / "shieldsim"
    except (RuntimeError, KeyError, OSError):
        return Path(tempfile.gettempdir()) / f"shieldsim-cache-{os.getuid() if hasattr(os, 'getuid') else 0}"


def hash_files(root: Path | resources.abc.Traversable, names=PHYSICS_FILES) -> str:
    """SHA-256 (hex, 20 characters) of the named files under ``root`` and the library versions."""
    h = hashlib.sha256()
    for name in names:
        h.update(name.encode() + b"\0")
        h.update(root.joinpath(name).read_bytes())
        h.update(b"\0")
    h.update(f"{sys.version_info[:2]} numpy {np.__version__} numba {numba.__version__}".encode())
    h.update(platform.machine().encode())
    return h.hexdigest()[:20]


@functools.cache
def code_hash() -> str:
    """The hash every on-disk cache of this installation is keyed on (see the module docstring)."""
    return hash_files(resources.files("shieldsim"))


@functools.cache
def package_hash() -> str:
    """SHA-256 (hex, 20 characters) of every source and data file of the installed package and
    the library versions: the code version that keys results computed from the whole program
    (sweep cells), where ``code_hash`` keys what only the physics decides (kernels, tables)."""
    root = Path(str(resources.files("shieldsim")))
    names = sorted(str(p.relative_to(root)) for p in root.rglob("*")
                   if p.is_file() and "__pycache__" not in p.parts and p.suffix in (".py", ".yaml", ".csv", ".json"))
    return hash_files(root, names)


def warn(message: str) -> None:
    warnings.warn(message, CacheWarning, stacklevel=3)


_UNWRITABLE: set[str] = set()


def cache_write_failed(directory: Path | str, exc: OSError, what: str) -> None:
    """A cache file could not be written (unwritable or full folder): one CacheWarning per
    folder and process, and the command goes on without caching there."""
    key = str(directory)
    if key in _UNWRITABLE:
        return
    _UNWRITABLE.add(key)
    warnings.warn(f"{what} not cached: cannot write in {key} ({exc.strerror or exc}); caching there is off "
                  "for this run", CacheWarning, stacklevel=3)


def writable_dir(path: Path) -> bool:
    """Create ``path`` if needed and check a file can be written there."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        st = path.stat()
        if st.st_mode & 0o002 and st.st_uid == os.getuid():  # a umask of 0: not a folder anyone may fill
            os.chmod(path, st.st_mode & 0o775)
        tempfile.TemporaryFile(dir=path).close()
        return True
    except (OSError, ValueError):
        return False


# --- tables: checked before use ---------------------------------------------------------------
def checksum(arrays: dict) -> str:
    """SHA-256 (hex, 32 characters) of named arrays: their names, dtypes, shapes and bytes.
    Stored with a cached table and compared before use (a zip member's CRC-32 alone misses a
    consistent rewrite, e.g. a table saved from damaged memory or edited in place)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:32]


def check_flyout_arrays(z: dict) -> None:
    """Raise ValueError unless the arrays of a fly-out table are sane: 1-D, finite, increasing
    grids; ``t``, ``vd``, ``vu`` of the grid's shape; times >= 0 or +inf (unreachable), with the
    speeds NaN exactly there and finite elsewhere; finite positive scalars."""
    az, d, h, t, vd, vu = (np.asarray(z[n]) for n in ("az", "d", "h", "t", "vd", "vu"))
    for name, g in (("az", az), ("d", d), ("h", h)):
        if g.ndim != 1 or g.size < 2 or not np.all(np.isfinite(g)) or not np.all(np.diff(g) > 0):
            raise ValueError(f"grid {name} is not a finite increasing 1-D array")
    shape = (az.size, d.size, h.size)
    if not (t.shape == vd.shape == vu.shape == shape):
        raise ValueError(f"table shapes {t.shape}, {vd.shape}, {vu.shape} for grid {shape}")
    reach = np.isfinite(t)
    if np.isnan(t).any() or (t[reach] < 0).any() or (t[~reach] < 0).any():
        raise ValueError("times are NaN, negative or -inf")
    if not (np.isfinite(vd[reach]).all() and np.isfinite(vu[reach]).all()):
        raise ValueError("speeds are not finite where the times are")
    for name in ("tb", "vb", "tmax"):
        v = float(z[name])
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"{name} = {v!r} is not a finite positive number")


# --- Numba ------------------------------------------------------------------------------------
from numba.core import caching as _nc  # noqa: E402  (numba's cache machinery; see below)

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@functools.cache
def numba_dir() -> str:
    """The directory of this code version's compiled kernels (a temporary one if unwritable)."""
    base = os.environ.get("NUMBA_CACHE_DIR")
    root = Path(base) / "shieldsim" if base else cache_root() / "numba"
    path = root / code_hash()
    if writable_dir(path):
        return str(path)
    tmp = tempfile.mkdtemp(prefix="shieldsim-numba-")
    warn(f"cache directory {path} is not writable: compiled kernels go to {tmp} for this run only")
    return tmp


class _HashLocator(_nc._CacheLocator):
    """Numba cache locator for shieldsim's kernels: stored per code hash, stamped with it."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._cache_path = os.path.join(numba_dir(), self.get_suitable_cache_subpath(py_file))

    def get_cache_path(self):
        return self._cache_path

    def get_source_stamp(self):
        return code_hash()

    def get_disambiguator(self):
        return os.path.splitext(os.path.basename(self._py_file))[0]

    @classmethod
    def from_function(cls, py_func, py_file):
        if not os.path.abspath(py_file).startswith(_PACKAGE_DIR + os.sep):
            return None
        self = cls(py_func, py_file)
        try:
            self.ensure_cache_path()
        except OSError:
            return None
        return self


def _ours(cache_file) -> bool:
    return str(getattr(cache_file, "_cache_path", "")).startswith(numba_dir())


def _install_numba_guard() -> None:
    """Put the hash locator first, and read damaged kernel files as missing (with a warning).

    Numba raises on a truncated or corrupted index or data file (it only forgives a missing
    one); for files under shieldsim's own cache directory the read failure becomes a
    :class:`CacheWarning` and a recompilation, which overwrites the file.
    """
    impl = getattr(_nc, "CacheImpl", None) or _nc._CacheImpl  # renamed in Numba 0.60
    if _HashLocator not in impl._locator_classes:
        impl._locator_classes = [_HashLocator, *impl._locator_classes]
    cls = _nc.IndexDataCacheFile
    if getattr(cls, "_shieldsim_guarded", False):
        return
    load_index, load_data = cls._load_index, cls._load_data

    def _load_index(self):
        try:
            return load_index(self)
        except Exception as exc:
            if not _ours(self):
                raise
            warn(f"compiled-kernel index {self._index_path} is unreadable ({type(exc).__name__}); recompiling")
            return {}

    def _load_data(self, name):
        try:
            return load_data(self, name)
        except OSError:
            raise
        except Exception as exc:
            if not _ours(self):
                raise
            warn(f"compiled kernel {name} in {self._cache_path} is unreadable ({type(exc).__name__}); recompiling")
            raise OSError(str(exc)) from exc  # Numba treats an OSError here as "not cached"

    save, open_for_write = cls.save, cls._open_for_write

    @contextlib.contextmanager
    def _open_for_write(self, filepath):
        with open_for_write(self, filepath) as fh:
            if _ours(self):  # the user's umask, but never world-writable (the index is a pickle)
                os.fchmod(fh.fileno(), os.fstat(fh.fileno()).st_mode & 0o775)
            yield fh

    def _save(self, key, data):
        try:
            return save(self, key, data)
        except OSError as exc:  # a full or read-only cache folder: the kernel stays compiled in memory
            if not _ours(self):
                raise
            cache_write_failed(self._cache_path, exc, "compiled kernel")

    cls._load_index, cls._load_data, cls.save, cls._open_for_write = _load_index, _load_data, _save, _open_for_write
    cls._shieldsim_guarded = True


_install_numba_guard()
