"""Sweep resume trusts nothing it has not checked (issue 16, item 2).

A cell's key hashes the scenario as resolved for that cell and the code version, not the
scenario's name or path; a cell file is merged only if it is complete and carries its own key.
(The full killed-and-resumed sweep on Dask is tests/test_sweep_resume.py, slow lane.)
"""

from __future__ import annotations

import json

import yaml

from shieldsim.analyses import sweep
from shieldsim.scenario import load_scenario

CELLS = [{"doctrine.sspk": 0.5}, {"doctrine.sspk": 0.8}]


def _keys(path) -> list[str]:
    resolved = sweep._validate_cells(str(path), CELLS, (), None)
    return [sweep.cell_key(r, c, None) for r, c in zip(resolved, CELLS)]


def _scenario_file(tmp_path, edit=None):
    from importlib import resources

    text = resources.files("shieldsim").joinpath("scenarios/third_site_2007.yaml").read_text()
    data = yaml.safe_load(text)
    if edit:
        edit(data)
    path = tmp_path / "my_scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_an_edited_scenario_file_at_the_same_path_gets_new_keys(tmp_path):
    path = _scenario_file(tmp_path)
    before = _keys(path)
    assert len(set(before)) == 2 and before == _keys(path)  # deterministic, one per cell

    def fewer_interceptors(d):
        d["batteries"][0]["inventory"] = 3

    _scenario_file(tmp_path, fewer_interceptors)
    after = _keys(path)
    assert load_scenario(str(path)).batteries[0].inventory == 3
    assert not set(after) & set(before)


def test_the_same_content_under_another_name_keeps_its_keys(tmp_path):
    a = _keys(_scenario_file(tmp_path))
    assert a == _keys("third_site_2007")  # the built-in with the same content


def test_a_cell_file_is_merged_only_complete_and_under_its_own_key(tmp_path):
    row = {"doctrine.sspk": 0.5, "defended_fraction": 0.65}
    good = tmp_path / "k1.json"
    good.write_text(json.dumps({**row, "cell_key": "k1"}))
    assert sweep.read_cell(good, "k1") == row
    assert sweep.read_cell(good, "k2") is None  # foreign: another cell's or another version's file
    text = good.read_text()
    good.write_text(text[: len(text) // 2])  # truncated
    assert sweep.read_cell(good, "k1") is None
    old = tmp_path / "old.json"
    old.write_text(json.dumps(row))  # written before cells carried their key
    assert sweep.read_cell(old, "k1") is None
    assert sweep.read_cell(tmp_path / "missing.json", "k1") is None
