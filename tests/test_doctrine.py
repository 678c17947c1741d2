"""Shot doctrine, battle manager and Monte Carlo: behaviour and input checks."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shieldsim.doctrine import (
    Doctrine,
    Outcome,
    assign,
    expected_interceptors_shoot_look_shoot,
    p_kill_salvo,
    p_kill_shoot_look_shoot,
    plan,
    salvo_sizes,
    simulate,
    wilson_interval,
)
from shieldsim.errors import ScenarioError


def rng(seed=2007):
    return np.random.default_rng(seed)


# --- doctrine validation -------------------------------------------------------------

@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(kind="salvo", salvo_size=1, sspk=1.3), "doctrine.sspk"),
        (dict(kind="salvo", salvo_size=1, sspk=-0.1), "doctrine.sspk"),
        (dict(kind="salvo", salvo_size=1, sspk=float("nan")), "doctrine.sspk"),
        (dict(kind="salvo", salvo_size=0, sspk=0.8), "doctrine.salvo_size"),
        (dict(kind="salvo", salvo_size=1.5, sspk=0.8), "doctrine.salvo_size"),
        (dict(kind="salvo", salvo_size=True, sspk=0.8), "doctrine.salvo_size"),
        (dict(kind="shoot-shoot-look", salvo_size=1, sspk=0.8), "doctrine.kind"),
        (dict(kind="salvo", salvo_size=1, sspk=0.8, p_discriminate=2.0), "doctrine.p_discriminate"),
        (dict(kind="salvo", salvo_size=1, sspk=0.8, kill_assessment_s=-5.0), "doctrine.kill_assessment_s"),
        (dict(kind="salvo", salvo_size=2, sspk=0.8, max_shots_per_threat=1), "doctrine.max_shots_per_threat"),
        (dict(kind="salvo", salvo_size=1, sspk=0.8, discrimination="psychic"), "doctrine.discrimination"),
    ],
)
def test_bad_doctrine_names_the_field(kwargs, field):
    with pytest.raises(ScenarioError) as err:
        Doctrine(**kwargs)
    assert err.value.field == field
    assert field in str(err.value)


def test_unknown_doctrine_word_lists_the_known_ones():
    with pytest.raises(ScenarioError, match="shoot-look-shoot"):
        Doctrine("sls", 1, 0.8)


def test_doctrine_is_frozen():
    d = Doctrine("salvo", 2, 0.8)
    with pytest.raises(AttributeError):
        d.sspk = 0.5


# --- closed forms --------------------------------------------------------------------

def test_p_kill_salvo_values():
    assert p_kill_salvo(0.8, 1) == pytest.approx(0.8)
    assert p_kill_salvo(0.8, 2) == pytest.approx(0.96)
    assert p_kill_salvo(0.5, 3) == pytest.approx(0.875)
    assert p_kill_salvo(0.5, 0) == 0.0


def test_salvo_sizes_truncated_by_inventory_and_allowance():
    assert salvo_sizes(2, 4).tolist() == [2, 2, 2, 2]
    assert salvo_sizes(2, 4, inventory=5).tolist() == [2, 2, 1, 0]
    assert salvo_sizes(3, 3, max_shots=4).tolist() == [3, 1, 0]
    assert salvo_sizes(1, 0).tolist() == []


def test_shoot_look_shoot_closed_form_without_limits():
    p, s, k = 0.6, 2, 3
    q = (1 - p) ** s
    assert p_kill_shoot_look_shoot(p, s, k) == pytest.approx(1 - (1 - p) ** (s * k), abs=1e-14)
    assert expected_interceptors_shoot_look_shoot(p, s, k) == pytest.approx(s * (1 - q**k) / (1 - q), abs=1e-12)


def test_shoot_look_shoot_with_no_opportunity_fires_nothing():
    assert p_kill_shoot_look_shoot(0.9, 1, 0) == 0.0
    assert expected_interceptors_shoot_look_shoot(0.9, 1, 0) == 0.0


def test_blind_single_look_hits_the_warhead_one_time_in_d_plus_one():
    """No discrimination (q = 0): one salvo picks one of d + 1 objects uniformly."""
    for model in ("per-look", "persistent"):
        p = p_kill_shoot_look_shoot(0.8, 1, 1, p_discriminate=0.0, decoys=4, discrimination=model)
        assert p == pytest.approx(0.8 / 5, abs=1e-12)


def test_one_decoy_two_blind_looks_by_hand():
    """q = 0, 1 decoy, SSPK p, 2 looks. Look 1 kills the warhead with p/2; it destroys the decoy
    with p/2 (then look 2 sees only the warhead: p); a miss (1-p) leaves both (p/2 again):
    P = p/2 + (p/2) p + (1-p) p/2 = p. Hand derivation, not the code's recursion."""
    for p in (0.3, 0.8, 1.0):
        assert p_kill_shoot_look_shoot(p, 1, 2, p_discriminate=0.0, decoys=1) == pytest.approx(p, abs=1e-12)


def test_decoys_change_the_answer_unless_discrimination_is_perfect():
    none = p_kill_shoot_look_shoot(0.8, 1, 2)
    assert p_kill_shoot_look_shoot(0.8, 1, 2, p_discriminate=0.5, decoys=4) < none - 0.05
    assert p_kill_shoot_look_shoot(0.8, 1, 2, p_discriminate=1.0, decoys=4) == pytest.approx(none)
    # more decoys, or worse discrimination, never help the defence
    pk = [p_kill_shoot_look_shoot(0.8, 1, 3, p_discriminate=0.5, decoys=d) for d in range(6)]
    assert all(a >= b for a, b in zip(pk, pk[1:]))
    pq = [p_kill_shoot_look_shoot(0.8, 1, 3, p_discriminate=q, decoys=4) for q in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert all(a <= b for a, b in zip(pq, pq[1:]))


def test_decoys_without_discrimination_loss_change_nothing():
    assert p_kill_shoot_look_shoot(0.8, 1, 2, p_discriminate=1.0, decoys=10) == pytest.approx(0.96)
    assert p_kill_shoot_look_shoot(0.8, 1, 2, p_discriminate=0.5, decoys=0) == pytest.approx(0.96)


def test_wilson_interval_of_zero_successes_in_ten():
    """Wilson (1927) 95 % interval of 0/10 is [0, 0.2775] (standard tabulated value)."""
    low, high = wilson_interval(0, 10, 0.95)
    assert low == pytest.approx(0.0, abs=1e-12)
    assert high == pytest.approx(0.2775, abs=1e-4)


# --- battle manager ------------------------------------------------------------------

def test_inventory_exhaustion_fifteen_threats_ten_interceptors_leaks_five():
    out = simulate(np.ones((15, 1), dtype=int), [10], Doctrine("salvo", 1, 0.9), 2000, rng())
    assert out.interceptors_used.sum(axis=1).max() == 10
    assert out.leakers.min() >= 5
    assert out.engaged.sum(axis=1).max() == 10


def test_perfect_interceptors_against_fifteen_threats_kill_exactly_ten():
    out = simulate(np.ones((15, 1), dtype=int), [10], Doctrine("shoot-look-shoot", 1, 1.0), 50, rng())
    assert np.all(out.killed.sum(axis=1) == 10)
    assert np.all(out.killed[:, :10]) and not np.any(out.killed[:, 10:])


@pytest.mark.parametrize("kind", ["salvo", "shoot-look-shoot"])
def test_salvo_of_two_against_ten_interceptors_engages_at_most_five(kind):
    out = simulate(np.full((8, 1), 3), [10], Doctrine(kind, 2, 0.7), 3000, rng())
    assert out.engaged.sum(axis=1).max() <= 5
    assert out.interceptors_used.sum(axis=1).max() <= 10


def test_assignment_is_earliest_first_and_respects_inventory():
    times = np.array([[300.0], [100.0], [200.0], [50.0]])
    a = assign(np.ones((4, 1), dtype=int), [4], Doctrine("salvo", 2, 0.8), times_s=times)
    assert a.first_battery.tolist() == [-1, 0, -1, 0]
    assert a.first_salvo.tolist() == [0, 2, 0, 2]
    assert a.p_kill_first_salvo.tolist() == pytest.approx([0.0, 0.96, 0.0, 0.96])


def test_priority_breaks_ties_between_simultaneous_threats():
    a = assign(np.ones((3, 1), dtype=int), [1], Doctrine("salvo", 1, 0.8), priority=[0, 5, 1])
    assert a.first_battery.tolist() == [-1, 0, -1]


def test_last_interceptors_are_fired_as_a_short_salvo():
    a = assign(np.ones((3, 1), dtype=int), [5], Doctrine("salvo", 2, 0.8))
    assert a.first_salvo.tolist() == [2, 2, 1]


def test_rounds_fire_every_first_salvo_before_any_second_look():
    # 3 threats, 2 looks each, 4 interceptors, all shots miss: first looks take 3, one second look.
    a = assign(np.full((3, 1), 2), [4], Doctrine("shoot-look-shoot", 1, 0.5))
    assert a.max_interceptors.tolist() == [2, 1, 1]


def test_second_shot_only_after_a_miss():
    opp = np.full((4, 1), 3)
    sure = simulate(opp, [100], Doctrine("shoot-look-shoot", 2, 1.0), 100, rng())
    assert np.all(sure.interceptors_used == 2)
    never = simulate(opp, [100], Doctrine("shoot-look-shoot", 2, 0.0), 100, rng())
    assert np.all(never.interceptors_used == 6) and not never.killed.any()


def test_salvo_doctrine_fires_once_even_with_more_opportunities():
    out = simulate(np.full((3, 1), 4), [100], Doctrine("salvo", 2, 0.0), 100, rng())
    assert np.all(out.interceptors_used == 2)


def test_max_shots_per_threat_caps_commitment():
    out = simulate(np.full((2, 1), 5), [100], Doctrine("shoot-look-shoot", 2, 0.0, max_shots_per_threat=3), 50, rng())
    assert np.all(out.interceptors_used == 3)


def test_layered_batteries_take_over_when_the_first_is_empty():
    # Threat 0 is engageable by an empty battery 0 first, then by battery 1.
    a = assign([[1, 1]], [0, 4], Doctrine("salvo", 2, 0.9), times_s=[[10.0, 20.0]])
    assert a.first_battery.tolist() == [1]


def test_plan_orders_looks_in_time_and_spaces_them_by_kill_assessment():
    s = plan([[2, 1], [1, 0]], times_s=[[100.0, 50.0], [10.0, 0.0]], kill_assessment_s=30.0)
    assert s.threat.tolist() == [1, 0, 0, 0]
    assert s.battery.tolist() == [0, 1, 0, 0]
    assert s.time_s.tolist() == [10.0, 50.0, 100.0, 130.0]
    assert s.shot_opportunities.tolist() == [3, 1]


def test_unengageable_threat_always_leaks():
    out = simulate([[0], [2]], [10], Doctrine("shoot-look-shoot", 1, 0.9), 500, rng())
    assert out.p_kill[0] == 0.0 and not out.engaged[:, 0].any()
    assert out.p_leak[0] == 1.0


# --- Monte Carlo mechanics -----------------------------------------------------------

def test_same_seed_same_outcome_other_seed_other_outcome():
    args = (np.full((10, 2), 2), [10, 6], Doctrine("shoot-look-shoot", 1, 0.7, p_discriminate=0.8))
    a = simulate(*args, 5000, rng(1), decoys=3)
    b = simulate(*args, 5000, rng(1), decoys=3)
    c = simulate(*args, 5000, rng(2), decoys=3)
    assert np.array_equal(a.killed, b.killed) and np.array_equal(a.interceptors_used, b.interceptors_used)
    assert not np.array_equal(a.killed, c.killed)


def test_outcome_shapes_and_raid_figures_agree():
    out = simulate(np.full((6, 1), 2), [10], Doctrine("shoot-look-shoot", 1, 0.6), 4000, rng())
    assert out.killed.shape == out.interceptors_used.shape == (4000, 6)
    assert out.expected_leakers == pytest.approx(out.p_leak.sum())
    assert out.p_no_leak <= out.p_kill.min()
    lo, hi = out.p_kill_ci()
    assert np.all(lo <= out.p_kill) and np.all(out.p_kill <= hi)
    lo, hi = out.p_no_leak_ci()
    assert lo <= out.p_no_leak <= hi


def test_to_dict_has_the_engage_fields_and_is_json():
    d = simulate([[1], [1]], [2], Doctrine("salvo", 1, 0.8), 100, rng()).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["trials"] == 100
    assert {"p_no_leak", "expected_leakers", "threats"} <= set(d)
    assert {"threat", "p_kill", "p_leak", "interceptors_used_mean"} <= set(d["threats"][0])


def test_to_frame_has_a_row_per_threat():
    pytest.importorskip("pandas")
    frame = simulate([[1], [1], [0]], [2], Doctrine("salvo", 1, 0.8), 100, rng()).to_frame()
    assert len(frame) == 3 and "p_kill" in frame.columns


@pytest.mark.parametrize(
    "args, field",
    [
        (dict(opportunities=[[-1]], inventories=[10]), "opportunities"),
        (dict(opportunities=[[1.5]], inventories=[10]), "opportunities"),
        (dict(opportunities=[[1, 1]], inventories=[10]), "inventories"),
        (dict(opportunities=[[1]], inventories=[-2]), "inventories"),
        (dict(opportunities=[[1]], inventories=[10], decoys=-1), "decoys"),
        (dict(opportunities=[[1]], inventories=[10], n_trials=0), "trials"),
        (dict(opportunities=[[1], [1]], inventories=[10], times_s=[1.0, 2.0, 3.0]), "times_s"),
        (dict(opportunities=[[1]], inventories=[10], times_s=[[float("nan")]]), "times_s"),
        (dict(opportunities=[[1], [1]], inventories=[10], priority="high"), "priority"),
    ],
)
def test_bad_simulate_input_names_the_field(args, field):
    kwargs = dict(doctrine=Doctrine("salvo", 1, 0.8), n_trials=10, rng=rng())
    kwargs.update(args)
    with pytest.raises(ScenarioError) as err:
        simulate(**kwargs)
    assert err.value.field == field


def test_simulate_refuses_the_global_random_state():
    with pytest.raises(TypeError):
        simulate([[1]], [1], Doctrine("salvo", 1, 0.8), 10, np.random)


@settings(max_examples=40, deadline=None)
@given(
    opp=st.lists(st.lists(st.integers(0, 3), min_size=2, max_size=2), min_size=1, max_size=6),
    inv=st.lists(st.integers(0, 6), min_size=2, max_size=2),
    kind=st.sampled_from(["salvo", "shoot-look-shoot"]),
    salvo=st.integers(1, 3),
    sspk=st.floats(0.0, 1.0),
    p_d=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_invariants_of_any_raid(opp, inv, kind, salvo, sspk, p_d, seed):
    opp = np.array(opp)
    doctrine = Doctrine(kind, salvo, sspk, p_discriminate=p_d)
    out: Outcome = simulate(opp, inv, doctrine, 64, np.random.default_rng(seed), decoys=1)
    used = out.interceptors_used
    assert np.all(used.sum(axis=1) <= sum(inv))
    assert not np.any(out.killed & ~out.engaged)
    assert np.all((used > 0) == out.engaged)
    assert np.all(used <= salvo * opp.sum(axis=1))
    if kind == "salvo":
        assert np.all(used <= salvo)
    assert not np.any(out.engaged[:, opp.sum(axis=1) == 0])
