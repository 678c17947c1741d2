"""The command line in a terminal: tables fit 80 columns, progress on stderr, `run`'s directory.

Issue 11, "The command line": every table a command prints fits 80 columns (each command
runs here with `COLUMNS=80`, which Rich reads); `catalog show` stays valid YAML folded to
the width; progress bars (with the time left) go to stderr and `--quiet` silences them;
`run` refuses a non-empty `-o DIR` unless `--force`, passes `--skip/--only/--figures` and
its command line to the run; the Dask cluster leaves no scratch directory and warns of no
busy port. Inputs are small (`--trials 200`, 5 degree grids, one reach pair and speed).
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import subprocess
import sys

import pytest
import yaml
from rich.cells import cell_len

from shieldsim.cli import main

SCENARIO = "third_site_2007"
WIDTH = 80
ONE_REACH = ["--set", "analysis.reach.speeds_km_s=[6.0]", "--set", "analysis.reach.launches=[kozelsk]",
             "--set", "analysis.reach.targets=[washington]"]
# compare's headline figures at their cheapest: a coarse grid, one reach pair, a raid of 2.
CHEAP_HEADLINE = ["--set", "analysis.compare_resolution_deg=10", "--set", "analysis.raid.max_size=2",
                  "--set", "analysis.raid.headline_size=2", "--set", "analysis.raid.trials=100",
                  "--set", "analysis.trials=100", *ONE_REACH]


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(args))
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _terminal_80(monkeypatch):
    monkeypatch.setenv("COLUMNS", str(WIDTH))


def too_wide(text: str, words_may_overflow: bool = False) -> list[str]:
    """Lines wider than the terminal; with ``words_may_overflow``, a line that is one
    unbreakable word (a web address) may."""
    wide = [line for line in text.splitlines() if cell_len(line.rstrip()) > WIDTH]
    if words_may_overflow:
        wide = [line for line in wide if len(line.split()) > 1]
    return wide


def ok(*args: str) -> tuple[str, str]:
    rc, out, err = cli(*args)
    assert rc == 0, f"shieldsim {' '.join(args)} exited {rc}: {err}"
    return out, err


# --- 80 columns ------------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ["fly", "shahab-3", "--from", "tabriz", "--to", "ankara"],
    ["catalog"],
    ["catalog", "--kind", "sensor"],
    ["scenario", "list"],
    ["observe", SCENARIO, "--missile", "shahab-3", "--from", "tabriz", "--to", "ankara"],
    ["engage", SCENARIO, "--trials", "200"],
    ["reach", SCENARIO, *ONE_REACH],
    ["footprint", SCENARIO, "--launch", "semnan", "--resolution-deg", "5"],
], ids=lambda a: " ".join(a[:2]))
def test_tables_fit_80_columns(args):
    out, _ = ok(*args, "--quiet") if args[0] not in ("fly", "catalog", "scenario") else ok(*args)
    assert out.strip(), "printed nothing"
    assert too_wide(out) == []


def test_engage_names_every_threat_and_battery_in_full():
    out, _ = ok("engage", SCENARIO, "--trials", "200", "--quiet")
    for name in ("irbm-berlin", "icbm-washington", "sejjil-bucharest", "redzikowo"):
        assert name in out
    assert "…" not in out  # nothing cut off


@pytest.mark.parametrize("name", ["tpy2-forward", "iran-irbm", "redzikowo"])
def test_catalog_show_is_yaml_folded_to_the_width(name):
    out, _ = ok("catalog", "show", name)
    assert too_wide(out, words_may_overflow=True) == []
    entry_yaml = out.split("\nSources (")[0]
    shown = yaml.safe_load(entry_yaml)  # folded lines are still one valid YAML document
    assert shown["name"] == name
    full = json.loads(ok("catalog", "show", name, "--json")[0])
    assert shown["title"] == full["title"]  # long strings survive the folding whole


@pytest.fixture(scope="module")
def compared():
    """One cheap compare, not quiet: (stdout, stderr)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLUMNS", str(WIDTH))
        return ok("compare", SCENARIO, *CHEAP_HEADLINE)


def test_compare_fits_80_columns_with_headers_in_words(compared):
    out, _ = compared
    assert too_wide(out) == []
    assert "_" not in out.replace(SCENARIO, "")  # no snake_case field names
    assert "defended area" in out and "raid" in out and "irbm-berlin" in out  # the raid names its threat


def test_compare_shows_progress_per_scenario_on_stderr(compared):
    out, err = compared
    assert f"compare: {SCENARIO}" in err and "━" not in out


# --- progress -----------------------------------------------------------------------------------
def test_progress_goes_to_stderr_with_the_time_left_and_quiet_silences_it():
    args = ["footprint", SCENARIO, "--launch", "semnan", "--resolution-deg", "10", "--json"]
    out, err = ok(*args)
    json.loads(out)  # stdout: the one JSON object, no bars
    assert "footprint aim points" in err and "left" in err
    out_q, err_q = ok(*args, "--quiet")
    assert err_q == "" and json.loads(out_q)["aim_points"] == json.loads(out)["aim_points"]


def test_an_error_inside_a_progress_bar_is_still_one_line():
    rc, out, err = cli("footprint", SCENARIO, "--launch", "no-such-site", "--resolution-deg", "5")
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and "no-such-site" in err


# --- run: the output directory, the parts, the command line -------------------------------------
@pytest.fixture(scope="module")
def forced_run(tmp_path_factory):
    """`run --force` into a directory holding a file of the user's: (dir, stdout, results)."""
    d = tmp_path_factory.mktemp("run")
    (d / "notes.txt").write_text("mine")
    args = ["run", SCENARIO, "-o", str(d), "--force", "--only", "engage", "--figures", "svg", "--quiet",
            "--set", "analysis.trials=200"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLUMNS", str(WIDTH))
        out, _ = ok(*args)
    return d, args, out, json.loads((d / "results.json").read_text())


def test_run_table_fits_80_columns(forced_run):
    _, _, out, _ = forced_run
    assert "irbm-berlin" in out and too_wide(out) == []


def test_run_records_its_command_line_and_parts(forced_run):
    d, args, _, results = forced_run
    assert results["provenance"]["command_line"] == ["shieldsim", *args]
    assert results["parts"]["computed"] == ["engage"] and results["footprint"] is None
    assert any(p.suffix == ".svg" for p in (d / "figures").iterdir())
    assert (d / "notes.txt").read_text() == "mine"  # --force writes beside, not instead of, the user's files


def test_run_refuses_a_non_empty_directory_naming_o(tmp_path):
    (tmp_path / "old.txt").write_text("x")
    rc, out, err = cli("run", SCENARIO, "-o", str(tmp_path))
    assert rc == 2 and out == "" and err.startswith("error: -o:") and "--force" in err
    assert len(err.strip().splitlines()) == 1 and [p.name for p in tmp_path.iterdir()] == ["old.txt"]
    rc, _, err = cli("run", SCENARIO, "-o", str(tmp_path / "old.txt"))
    assert rc == 2 and err.startswith("error: -o:")


@pytest.mark.parametrize("args, flag", [
    (["--skip", "reach", "--only", "engage"], "--only"),
    (["--skip", "reach,no-such-part"], "--skip"),
    (["--only", "no-such-part"], "--only"),
    (["--figures", "svg,gif"], "--figures"),
])
def test_run_part_and_figure_flags_are_checked_first(tmp_path, args, flag):
    rc, _, err = cli("run", SCENARIO, "-o", str(tmp_path / "new"), *args)
    assert rc == 2 and err.startswith(f"error: {flag}:"), err
    assert not (tmp_path / "new").exists()


def test_a_directory_of_sensitivity_output_is_accepted(tmp_path):
    from shieldsim.cli import _check_out_dir

    (tmp_path / "sensitivity.json").write_text("{}")
    (tmp_path / "tornado-defended_fraction.svg").write_text("<svg/>")
    _check_out_dir(str(tmp_path), force=False)  # run keeps a fuller sensitivity.json it finds


# --- Dask: no scratch directory left, no busy-port warning ---------------------------------------
DASK_RUN = """
from shieldsim.analyses.sweep import dask_client
with dask_client(None, 1) as client:
    assert client.submit(sum, [1, 2]).result() == 3
"""


def test_the_local_dask_cluster_leaves_no_scratch_and_no_port_warning(tmp_path):
    with contextlib.ExitStack() as stack:
        try:  # the dashboard's usual port, taken: Dask warned about it on every run
            s = stack.enter_context(socket.socket())
            s.bind(("127.0.0.1", 8787))
            s.listen()
        except OSError:
            pass
        p = subprocess.run([sys.executable, "-c", DASK_RUN], cwd=tmp_path, capture_output=True, text=True,
                           timeout=180)
    assert p.returncode == 0, p.stderr
    assert "in use" not in p.stderr and "Port" not in p.stderr, p.stderr
    assert list(tmp_path.iterdir()) == []  # no dask-scratch-space / dask-worker-space here


# --- sensitivity (slow lane) ---------------------------------------------------------------------
@pytest.mark.slow
def test_sensitivity_table_fits_80_columns(tmp_path):
    out, _ = ok("sensitivity", SCENARIO, "--param", "doctrine.require_track", "--quiet", *CHEAP_HEADLINE)
    assert too_wide(out) == []
