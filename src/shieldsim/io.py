"""Writing results to disk safely, and turning results into JSON.

Every file shieldsim writes goes through here. A write is atomic: the bytes go to a
temporary file in the same directory, are flushed and fsynced, and the temporary file
then replaces the target with ``os.replace`` (atomic on POSIX and Windows). A reader
sees either the old file or the complete new one, never a torn file; a writer that
fails half-way leaves the old file untouched and no temporary file behind. That is what
lets an interrupted sweep resume from the files it finds.

An output folder (``run -o DIR``) is written as a whole the same way (``output_dir``): into a
temporary sibling ``.DIR.partial-PID-RAND``, renamed to DIR only when complete, under a lock
(``.DIR.lock``, ``fcntl.flock``) that refuses a second writer; ``check_output_path`` refuses
an impossible ``-o`` before any work.

JSON follows the output contract of DESIGN.md: numpy scalars and arrays become plain
numbers and lists, and "never" (NaN, infinities, ``None``) becomes ``null``.
"""

from __future__ import annotations

import contextlib
import errno
import dataclasses
import datetime as dt
import enum
import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = [
    "atomic_open",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_parquet",
    "atomic_write_text",
    "check_output_path",
    "dumps_json",
    "output_dir",
    "output_lock",
    "to_jsonable",
    "write_json",
]


def _fsync_directory(directory: Path) -> None:
    """Persist the rename itself (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _default_mode(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets 0o666 minus the umask. Never
    world-writable (nor set-id), whatever the umask or the old file's mode."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    return mode & ~0o002


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    For writers that insist on a file name (``pyarrow.parquet.write_table``,
    ``simplekml.Kml.save``). If the block raises, the temporary file is removed, the old
    ``path`` (if any) is left as it was, and the exception propagates.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _default_mode(target))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_directory(target.parent)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", encoding: str = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; it replaces ``path`` on success.

    ``mode`` is ``"w"`` (text, ``encoding``, ``\\n`` line endings) or ``"wb"``. A
    block that raises leaves the old file untouched and no temporary file behind.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', not {mode!r}")
    with atomic_path(path) as tmp:
        if mode == "w":
            fh = open(tmp, "w", encoding=encoding, newline="\n")
        else:
            fh = open(tmp, "wb")
        with fh:
            yield fh


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (``\\n`` line endings); returns the path."""
    with atomic_open(path, "w", encoding=encoding) as fh:
        fh.write(text)
    return Path(path)


def to_jsonable(obj: Any) -> Any:
    """Convert results into plain JSON values.

    numpy scalars → Python numbers, arrays → (nested) lists, NaN and ±inf → ``None``
    (JSON ``null``, the contract's "never"), mappings → dicts with string keys,
    tuples and sets → lists, dataclasses → dicts, objects with ``to_dict()`` → that
    dict, datetimes and dates → ISO 8601, paths → strings, enums → their value.
    Anything else raises ``TypeError`` rather than being stringified silently.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)) and not isinstance(obj, np.bool_):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, np.ndarray):
        kind = obj.dtype.kind
        if kind == "f":
            as_object = obj.astype(object)
            as_object[~np.isfinite(obj)] = None
            return as_object.tolist()
        if kind in "biuU":
            return obj.tolist()
        if kind == "M":
            return to_jsonable(obj.astype("datetime64[us]").astype(object).tolist())
        if kind == "c":
            raise TypeError("to_jsonable: complex arrays have no JSON form")
        return to_jsonable(obj.tolist())
    if isinstance(obj, Mapping):
        return {str(k.value if isinstance(k, enum.Enum) else k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = sorted(obj, key=repr) if isinstance(obj, (set, frozenset)) else obj
        return [to_jsonable(v) for v in items]
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, (dt.datetime, dt.date, dt.time)):
        return obj.isoformat()
    if isinstance(obj, np.datetime64):
        return to_jsonable(obj.astype("datetime64[us]").astype(object))
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return to_jsonable(to_dict())
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    raise TypeError(f"to_jsonable: cannot convert {type(obj).__name__} to JSON")


def dumps_json(obj: Any, indent: int | None = 2) -> str:
    """``obj`` as JSON text (through ``to_jsonable``; strict: no NaN tokens)."""
    return json.dumps(to_jsonable(obj), indent=indent, ensure_ascii=False, allow_nan=False)


def write_json(path: str | os.PathLike[str], obj: Any, indent: int | None = 2) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically, converted with ``to_jsonable``."""
    text = dumps_json(obj, indent=indent)
    return atomic_write_text(path, text + "\n")


def atomic_write_parquet(
    path: str | os.PathLike[str],
    table_or_dict_of_arrays: Any,
    *,
    compression: str = "zstd",
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write a ``pyarrow.Table`` or a dict of equal-length 1-D arrays to Parquet atomically.

    ``metadata`` (strings) is stored in the file's schema metadata, e.g. units or the
    scenario name. Float NaN stays NaN (Parquet has no trouble with it); ``None`` in a
    list becomes a null.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = table_or_dict_of_arrays
    if isinstance(table, Mapping):
        columns = {str(k): (np.asarray(v) if not isinstance(v, (pa.Array, pa.ChunkedArray)) else v)
                   for k, v in table.items()}
        lengths = {k: len(v) for k, v in columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"atomic_write_parquet: columns differ in length: {lengths}")
        for name, col in columns.items():
            if isinstance(col, np.ndarray) and col.ndim != 1:
                raise ValueError(f"atomic_write_parquet: column {name!r} is {col.ndim}-D, expected 1-D")
        table = pa.table(columns)
    if not isinstance(table, pa.Table):
        raise TypeError("atomic_write_parquet: expected a pyarrow.Table or a dict of arrays")
    if metadata:
        merged = dict(table.schema.metadata or {})
        merged.update({str(k).encode(): str(v).encode() for k, v in metadata.items()})
        table = table.replace_schema_metadata(merged)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression=compression)
    return Path(path)


# --- output folders: checked, locked, written aside and renamed into place ---------------------
#: Errors of the disk, not of the program: the output folder cannot take the files (full, read-only,
#: over a file-size limit, not ours to write). They become one line naming ``-o``.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG,
                         errno.ENAMETOOLONG})
#: What shieldsim writes into an output folder (run, demo, sensitivity, sweep); ``--force``
#: replaces these and carries anything else (the user's own files) into the new folder.
OUR_NAMES = ("results.json", "report.html", "figures", "trajectories.*", "footprint.*", "reach.parquet",
             "sensitivity.json", "tornado*", "sobol*", "cells", "sweep.*", ".*.tmp", ".*.tmp.*")
#: Longest name kept whole in the names of the partial folder and the lock beside DIR.
_KEEP_NAME = 120


def _name_max(directory: Path) -> int:
    try:
        return int(os.pathconf(directory, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return 255


def _nearest_existing(path: Path) -> Path:
    for p in (path, *path.parents):
        if os.path.lexists(p):
            return p
    return Path("/")


def _short(text: object, n: int = 80) -> str:
    s = str(text)
    return s if len(s) <= n else s[: n - 3] + "..."


def _short_path(path: object, n: int = 80) -> str:
    """A path of at most ``n`` characters, keeping its end (the folder's own name)."""
    s = str(path)
    return s if len(s) <= n else "..." + s[-(n - 3):]


def check_output_path(path: str | os.PathLike[str], flag: str = "-o", *, kind: str = "dir") -> Path:
    """The absolute path of an output ``kind`` ("dir" or "file"), or a ScenarioError naming ``flag``.

    Refused before any work: the root folder (``-o /``), a file where a folder is asked for (and
    a folder where a file is), a name longer than the file system allows, a path longer than
    ``PATH_MAX``, and a place whose nearest existing folder is not a writable folder. A symlink
    to a folder stands for that folder."""
    from .errors import ScenarioError

    raw = os.fspath(path)
    if not raw or "\0" in raw:
        raise ScenarioError(flag, "give a path")
    target = Path(os.path.abspath(raw))
    if target == target.parent:
        raise ScenarioError(flag, f"{_short(raw)} is the root folder; give a folder of its own")
    if len(os.fsencode(target)) >= 4000:
        raise ScenarioError(flag, f"the path is too long ({len(os.fsencode(target))} bytes)")
    anchor = _nearest_existing(target.parent)
    limit = _name_max(anchor if anchor.is_dir() else anchor.parent)
    for part in target.parts[1:]:
        if len(os.fsencode(part)) > limit:
            raise ScenarioError(flag, f"the name {_short(part, 40)!r} is too long ({len(os.fsencode(part))} "
                                      f"bytes; this file system allows {limit})")
    if kind == "dir" and target.is_symlink() and target.is_dir():
        target = target.resolve()
        if target == target.parent:
            raise ScenarioError(flag, f"{_short(raw)} is the root folder; give a folder of its own")
    if kind == "dir" and target.exists() and not target.is_dir():
        raise ScenarioError(flag, f"{_short(raw)} is a file, not a directory")
    if kind == "file" and target.is_dir():
        raise ScenarioError(flag, f"{_short(raw)} is a directory, not a file")
    if not anchor.is_dir():
        raise ScenarioError(flag, f"{_short_path(anchor, 60)} is a file, so {_short_path(raw, 60)} cannot be "
                                  "created")
    if not os.access(anchor, os.W_OK | os.X_OK):
        raise ScenarioError(flag, f"cannot write in {_short_path(anchor)} (permission denied)")
    return target


def _sibling(target: Path, tag: str) -> Path:
    """``.NAME.TAG`` beside ``target`` (a long NAME shortened, with a hash keeping it unique)."""
    import hashlib

    name = target.name
    if len(name) > _KEEP_NAME:
        name = name[:_KEEP_NAME] + "-" + hashlib.sha256(os.fsencode(target.name)).hexdigest()[:8]
    return target.parent / f".{name}.{tag}"


def disk_error(exc: OSError, target: Path, flag: str = "-o", partial: Path | None = None):
    """A ScenarioError naming ``flag`` for an error of the disk, or None for any other OSError."""
    from .errors import ScenarioError

    if exc.errno not in DISK_ERRNOS:
        return None
    why = "file too large for this process's limit" if exc.errno == errno.EFBIG else (exc.strerror or str(exc))
    kept = f"; partial output in {partial.name}" if partial is not None and partial.exists() else ""
    return ScenarioError(flag, f"cannot write {_short_path(target, 60)}: {why}; previous results untouched{kept}")


@contextlib.contextmanager
def output_lock(target: Path, flag: str = "-o") -> Iterator[Path]:
    """Hold an exclusive ``fcntl.flock`` on ``.NAME.lock`` beside ``target`` (the OS releases
    it when the process dies, so no stale lock survives a crash); a second holder is refused
    at once with a ScenarioError naming ``flag``. Creates the parent folders."""
    import fcntl

    from .errors import ScenarioError

    lock = _sibling(target, "lock")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise ScenarioError(flag, f"{_short_path(target, 80)} is being written by another shieldsim "
                                          "process; wait for it or choose another directory") from None
            try:  # the lock file may have been removed by its last holder: lock the one in place
                if os.stat(lock).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
    except OSError as exc:
        raise (disk_error(exc, target, flag) or ScenarioError(flag, f"cannot create {_short_path(target, 80)}: "
                                                                    f"{exc.strerror or exc}")) from None
    try:
        yield lock
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def foreign_entries(directory: Path) -> list[str]:
    """The names in ``directory`` that shieldsim does not write (``OUR_NAMES``)."""
    import fnmatch

    return sorted(n for n in os.listdir(directory) if not any(fnmatch.fnmatch(n, p) for p in OUR_NAMES))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def _publish(stage: Path, target: Path) -> None:
    """Put the complete ``stage`` at ``target``; an old ``target`` is swapped out, then removed."""
    import shutil
    import uuid

    if not os.path.lexists(target):
        os.rename(stage, target)
    elif _exchange(stage, target):  # stage now holds the old folder
        shutil.rmtree(stage, ignore_errors=True)
    else:
        old = _sibling(target, f"old-{os.getpid()}-{uuid.uuid4().hex[:6]}")
        os.rename(target, old)
        os.rename(stage, target)
        shutil.rmtree(old, ignore_errors=True)
    _fsync_directory(target.parent)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)  # no copy of a large file of the user's
    except OSError:
        import shutil

        shutil.copy2(src, dst)


def _carry(src: Path, dst: Path) -> None:
    """Put ``src`` (a file or a folder) at ``dst`` too: hard links where possible, else copies."""
    import shutil

    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        shutil.copytree(src, dst, symlinks=True, copy_function=_link_or_copy)
    elif src.is_file():
        _link_or_copy(str(src), str(dst))


@contextlib.contextmanager
def output_dir(path: str | os.PathLike[str], *, flag: str = "-o", check=None, keep=(),
               announce=None) -> Iterator[Path]:
    """A transactional output folder: yields a temporary sibling ``.NAME.partial-PID-RAND`` to
    write into, renamed to ``path`` only when the block completes.

    While the block runs, ``path`` is locked (``output_lock``: a second writer is refused);
    ``check(target)`` runs under the lock (the emptiness check of ``run -o``) and may return
    names to carry over: those and the names in ``keep`` found in an existing ``path`` are
    copied into the temporary folder first. An old
    ``path`` is swapped out by rename and removed. If the block raises or the process is
    killed, ``path`` is left exactly as it was and the partial folder stays, named as such
    (``announce(partial)`` is told where at the start); an error of the disk (full, read-only,
    a file-size limit) becomes one ScenarioError naming ``flag`` and the folder."""
    import shutil
    import uuid

    target = check_output_path(path, flag)
    with output_lock(target, flag):
        carried = list(keep) + list((check(target) if check is not None else None) or ())
        stage = _sibling(target, f"partial-{os.getpid()}-{uuid.uuid4().hex[:6]}")
        try:
            stage.mkdir()
            for name in carried:
                _carry(target / name, stage / name)
            if announce is not None:
                announce(stage)
            yield stage
            _publish(stage, target)
        except OSError as exc:
            err = disk_error(exc, target, flag, stage)
            if err is None:
                raise
            raise err from None


@contextlib.contextmanager
def output_files(path: str | os.PathLike[str], *, flag: str = "-o") -> Iterator[Path]:
    """Several files beside ``path`` (``footprint -o FILE.geojson`` and its Parquet grid), written
    together: the block writes them into a temporary folder ``.NAME.partial-PID-RAND`` (same
    names as their targets), then each replaces its target, ``path`` itself last, so a complete
    ``path`` is never beside a stale companion from an interrupted run. Locked and checked like
    ``output_dir``; a killed run leaves the old files and the partial folder."""
    import shutil
    import uuid

    target = check_output_path(path, flag, kind="file")
    with output_lock(target, flag):
        stage = _sibling(target, f"partial-{os.getpid()}-{uuid.uuid4().hex[:6]}")
        try:
            stage.mkdir()
            yield stage
            names = sorted(os.listdir(stage), key=lambda n: n == target.name)
            for name in names:
                os.replace(stage / name, target.parent / name)
            _fsync_directory(target.parent)
            shutil.rmtree(stage, ignore_errors=True)
        except OSError as exc:
            err = disk_error(exc, target, flag, stage)
            if err is None:
                raise
            raise err from None
