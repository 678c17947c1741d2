"""Writing results to disk safely, and turning results into JSON.

Every file shieldsim writes goes through here. A write is atomic: the bytes go to a
temporary file in the same directory, are flushed and fsynced, and the temporary file
then replaces the target with ``os.replace`` (atomic on POSIX and Windows). A reader
sees either the old file or the complete new one, never a torn file; a writer that
fails half-way leaves the old file untouched and no temporary file behind. That is what
lets an interrupted sweep resume from the files it finds.

JSON follows the output contract of DESIGN.md: numpy scalars and arrays become plain
numbers and lists, and "never" (NaN, infinities, ``None``) becomes ``null``.
"""

from __future__ import annotations

import contextlib
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
    "dumps_json",
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
    """Keep an existing file's permissions; a new file gets 0o666 minus the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


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
