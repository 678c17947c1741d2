"""Fault tests of real ``shieldsim run`` processes (issue 16, item 1): killed at three points, a full
disk, two runs into one folder. Each leaves the previous complete results untouched and no folder
that looks complete but is not; the kill points are found by polling the partial folder's files,
never by sleeping fixed times. (A sweep after a scenario edit recomputing its changed cells is
tests/test_sweep_keys.py.)
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shieldsim.errors import ScenarioError
from shieldsim.io import check_output_path

# A short run: the built-in scenario, its engagements only (200 trials), no figure files.
FAST = ["third_site_2007", "--only", "engage", "--set", "analysis.trials=200", "--figures", ""]
CLI = "import sys; from shieldsim.cli import main; sys.exit(main(sys.argv[1:]))"
POLL_S = 0.01
LIMIT_S = 600  # a generous bound on any one run, so a broken run fails the test instead of hanging


def _start(args, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CLI, "run", *args, "--json"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, **kw)


def _run(args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CLI, "run", *args, "--json"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=LIMIT_S, **kw)


def _partials(parent: Path, name: str = "out") -> list[Path]:
    return sorted(parent.glob(f".{name}.partial-*"))


def _wait_for(proc: subprocess.Popen, condition) -> bool:
    """Poll until ``condition()`` holds (True) or the process has ended (False)."""
    deadline = time.monotonic() + LIMIT_S
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError, IndexError, KeyError):
            if condition():
                return True
        if proc.poll() is not None:
            return False
        time.sleep(POLL_S)
    proc.kill()
    raise AssertionError("the run neither reached the kill point nor ended")


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _assert_nothing_looks_complete_but_the_old(parent: Path, old: dict[str, bytes]):
    assert _snapshot(parent / "out") == old, "the previous complete results changed"
    assert json.loads(old["results.json"])["complete"] is True
    for d in parent.iterdir():
        if d.name != "out" and (d / "results.json").exists():
            assert d.name.startswith(".out.partial-"), d
            assert json.loads((d / "results.json").read_text())["complete"] is False, d


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory) -> Path:
    """One complete run (seed 2007), copied by each test as the previous results."""
    base = tmp_path_factory.mktemp("base")
    p = _run([*FAST, "-o", str(base / "out")])
    assert p.returncode == 0, p.stderr[-3000:]
    return base / "out"


@pytest.fixture
def previous(tmp_path, complete_run) -> tuple[Path, dict[str, bytes]]:
    shutil.copytree(complete_run, tmp_path / "out")
    return tmp_path, _snapshot(tmp_path / "out")


def _results(parent):
    return json.loads((_partials(parent)[0] / "results.json").read_text())


@pytest.mark.slow  # one complete run and three killed ones: about a minute on 2 cores
@pytest.mark.parametrize("point", ["first results.json", "mid-footprint", "report writing"])
def test_a_killed_rerun_leaves_the_previous_results_untouched(previous, point):
    parent, old = previous
    args = {"first results.json": FAST, "report writing": [*FAST[:-2], "--figures", "png"],
            "mid-footprint": [*FAST[:2], "engage,footprint", *FAST[3:]]}[point]
    reached = {"first results.json": lambda: (_partials(parent)[0] / "results.json").exists(),
               # footprint starts right after engage's results are written
               "mid-footprint": lambda: _results(parent)["engage"] is not None,
               "report writing": lambda: (_partials(parent)[0] / "report.html").exists()}[point]
    proc = _start([*args, "--seed", "1", "-o", str(parent / "out"), "--force"])
    try:
        assert _wait_for(proc, reached), f"the run ended before {point}: {proc.stderr.read()[-2000:]}"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    _assert_nothing_looks_complete_but_the_old(parent, old)
    partial = _partials(parent)
    assert len(partial) == 1 and _results(parent)["seed"] == 1  # the partial folder says what it is
    if point == "mid-footprint":
        assert _results(parent).get("footprint") is None  # killed before the footprint was written


@contextlib.contextmanager
def _small_disk(path: Path, size_kb: int, read_only: bool = False):
    """A tmpfs of ``size_kb`` at ``path``, or None where mounting is not allowed."""
    path.mkdir(exist_ok=True)
    opts = f"size={size_kb}k" + (",ro" if read_only else "")
    if shutil.which("mount") is None or os.geteuid() != 0 or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True).returncode != 0:
        yield None
        return
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _limit_file_size(n_bytes: int):
    def preexec():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (n_bytes, n_bytes))
    return preexec


@pytest.mark.slow  # one run into a small disk
def test_a_full_disk_is_one_line_and_leaves_the_previous_results(tmp_path, complete_run):
    old = _snapshot(complete_run)
    used_kb = sum(len(b) for b in old.values()) // 1024
    # Room for the old folder and the new run's first results.json, not for its report.
    with _small_disk(tmp_path / "disk", used_kb + 96) as disk:
        kw = {}
        if disk is None:  # no mount allowed: a file-size limit in the child fails the report's write instead
            disk = tmp_path / "disk"
            big = max(len(b) for b in old.values())
            kw = {"preexec_fn": _limit_file_size(big // 2)}
        shutil.copytree(complete_run, disk / "out")
        p = _run([*FAST, "--seed", "1", "-o", str(disk / "out"), "--force"], **kw)
        assert p.returncode == 2, p.stderr[-3000:]
        errors = [line for line in p.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and errors[0] == p.stderr.strip().splitlines()[-1], p.stderr[-3000:]
        assert errors[0].startswith("error: -o: cannot write ") and "/disk/out: " in errors[0], errors
        assert len(errors[0]) < 200 and ("No space left" in errors[0] or "file too large" in errors[0])
        assert "previous results untouched" in errors[0]
        assert _snapshot(disk / "out") == old
        for d in disk.iterdir():
            if d.name != "out" and (d / "results.json").exists():
                assert json.loads((d / "results.json").read_text())["complete"] is False


def test_a_read_only_disk_is_refused_before_any_work(tmp_path):
    with _small_disk(tmp_path / "ro", 64, read_only=True) as disk:
        if disk is None:
            pytest.skip("cannot mount a read-only tmpfs here (not root, or mounts not allowed)")
        with pytest.raises(ScenarioError, match="^-o: cannot write in .*permission denied"):
            check_output_path(disk / "out")


@pytest.mark.slow  # two runs, one of them refused at once
def test_two_runs_into_one_folder_give_one_success_and_one_clear_error(tmp_path):
    first = _start([*FAST, "-o", str(tmp_path / "out")])
    try:
        assert _wait_for(first, lambda: _partials(tmp_path)), first.stderr.read()[-2000:]
        second = _run([*FAST, "-o", str(tmp_path / "out")])
    finally:
        first.wait(timeout=LIMIT_S)
    assert first.returncode == 0, first.stderr.read()[-3000:]
    assert second.returncode == 2
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: -o: ") and "another shieldsim process" in lines[0]
    assert json.loads((tmp_path / "out" / "results.json").read_text())["complete"] is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no partial folder, no lock left
