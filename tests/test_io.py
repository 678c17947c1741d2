"""Atomic writes and JSON conversion (shieldsim.io)."""

import dataclasses
import json
import math
import os
import stat

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shieldsim.io import (
    atomic_open,
    atomic_path,
    atomic_write_bytes,
    atomic_write_parquet,
    atomic_write_text,
    to_jsonable,
    write_json,
)


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_text_writes_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "out" / "report.txt"
    atomic_write_text(target, "héllo\nworld\n")
    assert target.read_text(encoding="utf-8") == "héllo\nworld\n"
    assert _leftovers(target.parent) == []


def test_atomic_write_bytes_replaces_old_content(tmp_path):
    target = tmp_path / "blob.bin"
    target.write_bytes(b"old")
    atomic_write_bytes(target, b"\x00new\xff")
    assert target.read_bytes() == b"\x00new\xff"
    assert _leftovers(tmp_path) == []


def test_writer_raising_midway_keeps_old_file_and_no_temp(tmp_path):
    target = tmp_path / "results.json"
    target.write_text('{"old": true}')
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_open(target, "w") as fh:
            fh.write('{"new": ')
            fh.flush()
            raise RuntimeError("boom")
    assert target.read_text() == '{"old": true}'
    assert _leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_atomic_path_failure_leaves_no_file_when_none_existed(tmp_path):
    target = tmp_path / "grid.parquet"
    with pytest.raises(ValueError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half a parquet file")
            raise ValueError("writer failed")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_write_json_failure_in_conversion_keeps_old_file(tmp_path):
    target = tmp_path / "results.json"
    write_json(target, {"a": 1})
    with pytest.raises(TypeError):
        write_json(target, {"a": object()})
    assert json.loads(target.read_text()) == {"a": 1}
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_atomic_write_keeps_existing_permissions(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("x")
    os.chmod(target, 0o640)
    atomic_write_text(target, "y")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_new_file_gets_umask_permissions_not_private_temp_mode(tmp_path):
    old = os.umask(0o022)
    try:
        target = atomic_write_text(tmp_path / "new.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644


def test_atomic_open_rejects_read_modes(tmp_path):
    with pytest.raises(ValueError):
        with atomic_open(tmp_path / "x", "r"):
            pass


def test_to_jsonable_converts_numpy_and_never_to_null():
    value = {
        "floats": np.array([1.5, np.nan, np.inf, -np.inf]),
        "ints": np.arange(3, dtype=np.int32),
        "grid": np.array([[1.0, np.nan], [3.0, 4.0]]),
        "scalar": np.float32(2.5),
        "count": np.int64(7),
        "flag": np.bool_(False),
        "nan": float("nan"),
        "pair": (1, None),
        3: "int key",
    }
    out = to_jsonable(value)
    assert out == {
        "floats": [1.5, None, None, None],
        "ints": [0, 1, 2],
        "grid": [[1.0, None], [3.0, 4.0]],
        "scalar": 2.5,
        "count": 7,
        "flag": False,
        "nan": None,
        "pair": [1, None],
        "3": "int key",
    }
    assert type(out["count"]) is int and type(out["flag"]) is bool


def test_to_jsonable_uses_to_dict_and_dataclasses():
    @dataclasses.dataclass
    class Result:
        apogee_km: float
        samples: np.ndarray

    class WithToDict:
        def to_dict(self):
            return {"p_kill": np.float64(0.9)}

    assert to_jsonable(Result(1200.0, np.array([1.0, np.nan]))) == {"apogee_km": 1200.0, "samples": [1.0, None]}
    assert to_jsonable([WithToDict()]) == [{"p_kill": 0.9}]


def test_to_jsonable_refuses_unknown_objects():
    with pytest.raises(TypeError, match="object"):
        to_jsonable({"x": object()})


def test_write_json_is_strict_json(tmp_path):
    target = write_json(tmp_path / "r.json", {"p_leak": np.float64(np.nan), "t_s": np.array([0.0, 1.0])})

    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")

    data = json.loads(target.read_text(), parse_constant=refuse)
    assert data == {"p_leak": None, "t_s": [0.0, 1.0]}


def test_atomic_write_parquet_from_dict_round_trips(tmp_path):
    target = atomic_write_parquet(
        tmp_path / "g.parquet",
        {"lat_deg": np.array([50.0, 50.5]), "defended": np.array([True, False]), "n": np.array([2, 0])},
        metadata={"scenario": "third_site_2007"},
    )
    table = pq.read_table(target)
    assert table.column_names == ["lat_deg", "defended", "n"]
    assert table.column("defended").to_pylist() == [True, False]
    assert table.schema.metadata[b"scenario"] == b"third_site_2007"
    assert _leftovers(tmp_path) == []


def test_atomic_write_parquet_accepts_table_and_checks_lengths(tmp_path):
    atomic_write_parquet(tmp_path / "t.parquet", pa.table({"x": [1.0, math.nan]}))
    assert math.isnan(pq.read_table(tmp_path / "t.parquet").column("x").to_pylist()[1])
    with pytest.raises(ValueError, match="length"):
        atomic_write_parquet(tmp_path / "bad.parquet", {"a": np.zeros(3), "b": np.zeros(2)})
    assert not (tmp_path / "bad.parquet").exists()
