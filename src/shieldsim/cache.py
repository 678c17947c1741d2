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
  :class:`CacheWarning` and rebuilt; a cache directory that cannot be written is reported
  and bypassed (kernels compiled in memory, tables computed and not saved). Nothing read
  from a cache is trusted without its key.

The cache root is ``$SHIELDSIM_CACHE``, else ``~/.cache/shieldsim``; ``$NUMBA_CACHE_DIR``,
when set, takes the compiled kernels instead (CI points it at a workspace folder).
"""

from __future__ import annotations

import functools
import hashlib
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
PHYSICS_FILES = ("earth.py", "vehicles.py", "flight.py", "interceptors.py", "data/us76_upper.csv")


class CacheWarning(UserWarning):
    """A cache file or directory could not be used; shieldsim rebuilt or bypassed it."""


def cache_root() -> Path:
    """Where shieldsim keeps its caches: ``$SHIELDSIM_CACHE`` or ``~/.cache/shieldsim``."""
    d = os.environ.get("SHIELDSIM_CACHE")
    return Path(d) if d else Path.home() / ".cache" / "shieldsim"


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


def writable_dir(path: Path) -> bool:
    """Create ``path`` if needed and check a file can be written there."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
        return True
    except OSError:
        return False


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

    cls._load_index, cls._load_data = _load_index, _load_data
    cls._shieldsim_guarded = True


_install_numba_guard()
