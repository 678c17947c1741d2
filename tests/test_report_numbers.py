"""One number, one value; why not engageable; provenance; the run's parts; the report's words.

Fast unit tests of the single source of stated numbers (``analyses.numbers``), of the
binding-constraint kernel (``analyses.diagnose.binding_constraint``) on constructed
feasibility grids where each reason must come out, of ``run_scenario``'s keyword checks,
of provenance without git, and of the report's place words. The slow tests at the end build
the report of EPAA and of the 2007 scenario with its battery moved to Romania and check
that neither says "Poland"; ``tests/test_demo_report.py`` checks the demo's figures agree
everywhere they appear.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from shieldsim.analyses.diagnose import REASONS, binding_constraint
from shieldsim.analyses.numbers import (
    DECIMALS,
    half_speed,
    headline_numbers,
    number,
    percent,
    speed_thresholds,
    step_curve,
)
from shieldsim.errors import ScenarioError


# --- one number, one value ------------------------------------------------------------------------
@pytest.mark.parametrize("value, unit, digits, text", [
    (6.5199, "km/s", "6.52", "6.52 km/s"),
    (8.0, "km/s", "8.00", "8.00 km/s"),
    (186.58, "s", "187", "187 s"),
    (768.9, "km", "769", "769 km"),
    (0.9613, "", "0.96", "0.96"),
    (0.2051, "warheads", "0.21", "0.21 warheads"),
    (3, "count", "3", "3"),
    (None, "s", "—", "never"),
    (float("nan"), "km/s", "—", "none"),
])
def test_a_number_is_rounded_and_written_in_one_place(value, unit, digits, text):
    n = number("k", value, unit)
    assert (n.digits, n.text) == (digits, text)
    if n.value is not None:
        assert float(n.digits) == n.value  # the value every output shows is the one written


def test_percent_rounds_once_to_whole_percent():
    n = percent("defended_pct", 0.6517)
    assert (n.value, n.text) == (65, "65 %")
    assert DECIMALS["%"] == 0


def test_speed_chart_marks_are_the_stated_thresholds():
    """The speed chart's "first engageable" and "half engageable" marks (plots.speed_flip on
    the step curve) are the stated first-threshold and half-threshold speeds to the digit."""
    from shieldsim.report.plots import speed_flip

    pairs = [{"launch": "a", "target": t, "feasible": False, "min_burnout_speed_km_s": v,
              "min_burnout_speed_below_grid": False} for t, v in
             (("x", 6.5199), ("y", 7.2), ("z", None), ("w", 8.731), ("v", 9.0))]
    th = speed_thresholds(pairs, 4.0)
    assert th[("a", "x")] == 6.52 and math.isinf(th[("a", "z")])
    speeds, frac = step_curve(th)
    flip = speed_flip(speeds, frac)
    assert f"{flip['first_some_km_s']:.2f}" == number(None, min(v for v in th.values()), "km/s").digits == "6.52"
    assert f"{flip['half_km_s']:.2f}" == number(None, half_speed(th), "km/s").digits == "8.73"


def test_headline_numbers_cover_each_section_and_skip_missing_ones():
    results = {
        "defence": {"batteries": [{"name": "b", "interceptor": "gbi", "burnout_speed_km_s": 6.299,
                                   "nominal_burnout_speed_km_s": 6.3, "burnout_speed_set_by": "batteries.0"}]},
        "footprint": {"defended_fraction": 0.6517, "reachable_points": 1160,
                      "missiles": [{"missile": "m", "aim_points": 10, "defended_fraction": 0.5}]},
        "reach": {"speeds_km_s": [4.0, 10.0], "pairs": [
            {"launch": "k", "target": "w", "feasible": False, "min_burnout_speed_km_s": 7.991,
             "min_burnout_speed_below_grid": False},
            {"launch": "k", "target": "s", "feasible": False, "min_burnout_speed_km_s": None,
             "min_burnout_speed_below_grid": False}]},
        "engage": None, "raid": None,
    }
    h = headline_numbers(results)
    assert h["flown_burnout_speed_km_s:b"].text == "6.30 km/s"
    assert h["nominal_burnout_speed_km_s:b"].text == "6.30 km/s"
    assert h["defended_pct"].text == "65 %" and h["defended_pct:m"].text == "50 %"
    assert h["first_engageable_speed_km_s"].value == 7.99
    assert (h["reach_pairs"].value, h["reach_pairs_engageable"].value, h["reach_pairs_faster"].value,
            h["reach_pairs_never"].value) == (2, 0, 1, 1)
    assert not any(k.startswith(("shots:", "raid_")) for k in h)


def test_surrogate_and_tracker_figures_say_which_model():
    results = {"engage": {"threats": [{"threat": "t", "shot_opportunities": 1, "p_kill": 0.8, "fire_control_s": 186.6,
                                       "engagements": [{"intercept_s": 647.0, "intercept_altitude_km": 769.0,
                                                        "closing_speed_km_s": 9.07}]}]},
               "observe": {"threats": [{"threat": "t", "fire_control_s": 256.0}]}}
    h = headline_numbers(results)
    assert h["fire_control_s:t"].model == "fire-control surrogate" and h["fire_control_s:t"].text == "187 s"
    assert h["tracker_fire_control_s:t"].model == "tracker" and h["tracker_fire_control_s:t"].text == "256 s"


# --- why not engageable --------------------------------------------------------------------------
def _grid(n_ok: slice | None, k=10, base=-np.inf, t0=0.0):
    row = np.full(k, base)
    if n_ok is not None:
        row[n_ok] = t0 + np.arange(k)[n_ok]
    return row


@pytest.mark.parametrize("case, reach, closing, full, commit, expected", [
    ("nothing reachable", None, None, None, 0.0, "out_of_reach"),
    ("reachable, closing too slow", slice(2, 6), None, None, 0.0, "closing_speed"),
    ("never committed", slice(2, 6), slice(2, 6), None, math.nan, "no_fire_control"),
    ("no radar track there", slice(2, 6), slice(2, 6), None, 0.0, "no_track"),
    ("too late", slice(2, 6), slice(2, 6), slice(2, 6), 8.0, "too_late"),
    ("engageable", slice(2, 6), slice(2, 6), slice(2, 6), 3.0, "engageable"),
])
def test_each_binding_constraint_comes_out(case, reach, closing, full, commit, expected):
    reason, late = binding_constraint(_grid(reach)[None], _grid(closing)[None], _grid(full)[None], np.array([commit]))
    assert reason[0] == expected, case
    if expected == "too_late":
        assert late[0] == pytest.approx(8.0 - 5.0)  # latest launch 5 s, commit 8 s
    else:
        assert np.isnan(late[0])


def test_binding_constraint_is_per_threat_in_a_batch():
    reach = np.stack([_grid(None), _grid(slice(0, 3)), _grid(slice(0, 3))])
    full = np.stack([_grid(None), _grid(slice(0, 3)), _grid(slice(0, 3))])
    reason, late = binding_constraint(reach, reach, full, np.array([0.0, 10.0, 1.0]))
    assert reason.tolist() == ["out_of_reach", "too_late", "engageable"]
    assert late[1] == pytest.approx(8.0)
    assert set(reason) <= set(REASONS)


def test_too_late_is_the_battle_space_margin():
    """too_late_s is the negative of ``engagement.battle_space``'s launch margin."""
    from shieldsim.analyses.context import load_context
    from shieldsim.analyses.diagnose import diagnose
    from shieldsim.analyses.threats import fly_threat_specs

    ctx = load_context("third_site_2007")
    flown = fly_threat_specs(ctx.threat_specs)
    a = ctx.defence.assess(flown.trajectory, ctx.rng(2), flown.names)
    dg = diagnose(ctx.defence, flown.trajectory, a)
    margin = a.spaces[0].margin_s
    for i in range(flown.trajectory.n):
        assert (dg.reason[i, 0] == "engageable") == bool(a.spaces[0].feasible[i])
        if dg.reason[i, 0] == "too_late":
            assert dg.too_late_s[i, 0] == pytest.approx(-margin[i])
    assert "shahab-ankara" in flown.names and dg.reason[flown.names.index("shahab-ankara"), 0] != "engageable"


# --- the run's keywords --------------------------------------------------------------------------
def test_unknown_parts_and_formats_are_refused_naming_the_flag():
    from shieldsim.analyses.run import PARTS, figure_format_list, selected_parts

    with pytest.raises(ScenarioError) as e:
        selected_parts(skip=["reach", "raids"])
    assert e.value.field == "--skip" and "raids" in e.value.reason and all(p in e.value.reason for p in PARTS)
    with pytest.raises(ScenarioError) as e:
        selected_parts(only=["footprints"])
    assert e.value.field == "--only"
    assert selected_parts(skip=["reach"]) == [p for p in PARTS if p != "reach"]
    assert selected_parts(only=["raid", "engage"], skip=["raid"]) == ["engage"]
    with pytest.raises(ScenarioError) as e:
        figure_format_list(["svg", "jpg"])
    assert e.value.field == "--figures"
    assert figure_format_list("svg,pdf,svg") == ["svg", "pdf"]


def test_run_refuses_a_bad_part_before_writing(tmp_path):
    from shieldsim.analyses.run import run_scenario

    with pytest.raises(ScenarioError):
        run_scenario("third_site_2007", tmp_path / "out", progress=False, skip=["nope"])
    with pytest.raises(ScenarioError):
        run_scenario("third_site_2007", tmp_path / "out", progress=False, figure_formats=("gif",))
    assert not (tmp_path / "out").exists()


# --- provenance ----------------------------------------------------------------------------------
def test_git_state_outside_a_checkout_is_none(tmp_path):
    from shieldsim.analyses.provenance import git_state

    (tmp_path / "__init__.py").write_text("")
    assert git_state(tmp_path) == {"git_commit": None, "git_dirty": None}


def test_git_state_without_git_is_none(monkeypatch):
    from shieldsim.analyses import provenance

    monkeypatch.setenv("PATH", "")
    assert provenance.git_state() == {"git_commit": None, "git_dirty": None}


def test_provenance_records_version_seed_command_and_resolved_scenario():
    from shieldsim import __version__
    from shieldsim.analyses.provenance import provenance
    from shieldsim.scenario import load_scenario

    sc = load_scenario("third_site_2007", ["doctrine.sspk=0.7"])
    p = provenance(sc, seed=5, command_line=["shieldsim", "run", "x"], overrides=["doctrine.sspk=0.7"])
    assert p["shieldsim_version"] == __version__ and p["seed"] == 5
    assert p["command_line"] == ["shieldsim", "run", "x"]
    assert p["scenario"]["doctrine"]["sspk"] == 0.7 and p["scenario"]["threats"][0]["from"] == "semnan"
    assert p["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", p["git_commit"])
    assert provenance(sc, seed=5)["command_line"] is None


# --- the report's words and markup ---------------------------------------------------------------
def test_places_are_named_with_their_country_or_the_sea():
    from shieldsim.report.build import place_text

    assert place_text("redzikowo", 54.4789, 17.1075) == "Redzikowo (Poland)"
    assert place_text("deveselu", 44.0786, 24.4146) == "Deveselu (Romania)"
    assert place_text("34.0,26.0", 34.0, 26.0) == "34.0\u00b0 N, 26.0\u00b0 E (at sea)"


def test_reach_question_names_the_scenarios_own_batteries():
    from shieldsim.report.build import reach_words

    results = {"defence": {"batteries": [{"name": "romania", "site": "deveselu", "lat_deg": 44.0786,
                                          "lon_deg": 24.4146}]},
               "reach": {"missile": "ss-27", "pairs": [{"launch": "kozelsk", "target": "washington"}]}}
    q = reach_words(results)["question"]
    assert "Deveselu (Romania)" in q and "Poland" not in q and "Polish" not in q
    assert "1 Russian ICBM bases" in q or "Kozelsk" in q


def test_stated_numbers_are_marked_in_tables():
    from shieldsim.report.html import html_table

    page = html_table([{"speed_km_s": number("first_engageable_speed_km_s", 7.991, "km/s"), "n": 3}])
    assert '<td class="num" data-figure="first_engageable_speed_km_s">7.99</td>' in page


def test_figure_alt_text_carries_the_charts_annotations(tmp_path):
    from shieldsim.report.html import build_report, save_figures
    from shieldsim.report.plots import plot_speed_flip

    fig = plot_speed_flip([6.0, 7.0, 8.0], [0.0, 0.5, 1.0], title="Speed")
    page = build_report("t", [], [{"heading": "h", "figures": [fig]}])
    assert re.search(r'alt="Speed\. Marked on the chart: [^"]*first engageable 7\.00 km/s', page)
    written = save_figures([("speed-flip", fig)], tmp_path / "figures", ["svg", "pdf", "png"])
    assert written == ["figures/speed-flip.svg", "figures/speed-flip.pdf", "figures/speed-flip.png"]
    assert (tmp_path / "figures" / "speed-flip.pdf").read_bytes().startswith(b"%PDF")


def test_raid_curves_that_coincide_are_said_to():
    from shieldsim.report.build import raid_curves_coincide

    same = {"curves": [{"p_no_leak": [0.9, 0.5], "expected_leakers": [0.1, 1.0]},
                       {"p_no_leak": [0.9, 0.505], "expected_leakers": [0.1, 1.004]}]}
    differ = {"curves": [same["curves"][0], {"p_no_leak": [0.7, 0.3], "expected_leakers": [0.3, 1.5]}]}
    assert raid_curves_coincide(same) and not raid_curves_coincide(differ)


# --- the slow lane: reports of other scenarios ------------------------------------------------
TINY = ["analysis.reach.speeds_km_s=[6.0]", "analysis.reach.launches=[kozelsk]",
        "analysis.reach.targets=[washington]", "analysis.trials=200"]


def _visible_without_sources(page: str) -> str:
    """The page's text, without the bibliography (whose entries quote their publications)."""
    page = re.sub(r'<ol class="sources">.*?</ol>', "", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


@pytest.mark.slow  # two runs (engage and a one-pair reach table), about a minute on 2 cores
@pytest.mark.parametrize("scenario, overrides, site", [
    ("epaa_2011", [], "Deveselu (Romania)"),
    ("third_site_2007", ["batteries.0.site=deveselu"], "Deveselu (Romania)"),
])
def test_a_report_names_its_own_sites_and_not_poland(tmp_path, scenario, overrides, site):
    from shieldsim.analyses.run import run_scenario

    run_scenario(scenario, tmp_path, overrides=TINY + overrides, progress=False, only=["engage", "reach"],
                 figure_formats=())
    text = _visible_without_sources((tmp_path / "report.html").read_text())
    assert site in text
    assert "Poland" not in text and "Polish" not in text
    assert "not computed (skipped)" in text.lower()
