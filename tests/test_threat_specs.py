"""Threats are frozen specs; choosing one threat derives a new context, never edits one."""

import dataclasses

import pytest

from shieldsim import catalog
from shieldsim.analyses.commands import select_threat
from shieldsim.analyses.context import Context
from shieldsim.analyses.threats import ThreatSpec, adhoc_threat_specs
from shieldsim.errors import ScenarioError


def _spec(name):
    return ThreatSpec(name, "shahab-3", catalog.missile("shahab-3"), catalog.site("tabriz"), catalog.site("ankara"))


def test_a_threat_spec_cannot_be_changed_in_place():
    with pytest.raises(dataclasses.FrozenInstanceError):
        _spec("a").name = "b"


def test_select_threat_leaves_the_context_it_was_given_as_it_was():
    ctx = Context(None, None, (_spec("a"), _spec("b")), 1)
    one = select_threat(ctx, "b")
    assert [s.name for s in one.threat_specs] == ["b"]
    assert [s.name for s in ctx.threat_specs] == ["a", "b"]
    assert select_threat(ctx, None) is ctx
    with pytest.raises(ScenarioError, match="threats: a, b"):
        select_threat(ctx, "c")


def test_an_adhoc_threat_reports_an_unreachable_aim_point_on_to():
    (spec,) = adhoc_threat_specs("shahab-3", "tabriz", "berlin")
    assert spec.field_to == "--to" and spec.target.name == "berlin" and spec.trajectory == "minimum-energy"
