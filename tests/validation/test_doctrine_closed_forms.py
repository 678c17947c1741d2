"""Monte Carlo of the battle manager against closed-form kill probabilities.

Reference: the binomial / truncated-geometric laws of independent shots (Wilkening,
"A Simple Model for Calculating Ballistic Missile Defense Effectiveness", Science &
Global Security 8 (2000) 183-215, recalled), written out in each test from the formula (no
reference calls ``shieldsim.doctrine``'s own closed forms: those are checked against these
laws in tests/test_doctrine.py). Tolerance: the Monte Carlo's own 99 % confidence interval
(Wilson for probabilities, normal for mean interceptor counts) must contain the closed form.
Seeds are fixed, so each check is deterministic.
"""

from functools import cache

import numpy as np
import pytest

from shieldsim.doctrine import Doctrine, simulate

TRIALS = 200_000
CONFIDENCE = 0.99


def _inside(value, interval):
    low, high = interval
    return bool(np.all(np.asarray(low) <= value) and np.all(value <= np.asarray(high)))


@pytest.mark.parametrize("p, n", [(0.5, 1), (0.7, 2), (0.3, 4)])
def test_salvo_p_kill_matches_binomial_law(p, n):
    """n independent shots of SSPK p: P_kill = 1 - (1 - p)^n. Tolerance: 99 % Wilson interval, 200,000 trials."""
    out = simulate(np.ones((3, 1), dtype=int), [100], Doctrine("salvo", n, p), TRIALS, np.random.default_rng(11 + n))
    assert _inside(1 - (1 - p) ** n, out.p_kill_ci(CONFIDENCE))
    assert np.all(out.interceptors_used == n)


@pytest.mark.parametrize("p, s, k", [(0.6, 1, 3), (0.4, 2, 3), (0.8, 1, 5)])
def test_shoot_look_shoot_matches_truncated_geometric_law(p, s, k):
    """Shoot-look-shoot, perfect assessment, k opportunities, salvo s: P_kill = 1 - (1-p)^(s k),
    E[interceptors] = s (1 - q^k) / (1 - q), q = (1-p)^s. Tolerance: 99 % intervals, 200,000 trials."""
    out = simulate([[k]], [1000], Doctrine("shoot-look-shoot", s, p), TRIALS, np.random.default_rng(101 * k + s))
    q = (1 - p) ** s
    assert _inside(1 - (1 - p) ** (s * k), out.p_kill_ci(CONFIDENCE))
    assert _inside(s * (1 - q**k) / (1 - q), out.interceptors_used_mean_ci(CONFIDENCE))


def test_shoot_look_shoot_truncated_by_inventory():
    """One threat, 4 looks of salvo 2, 5 interceptors: salvos 2, 2, 1 while the threat survives.
    P_kill = 1 - (1-p)^5; E[interceptors] = 2 + 2 (1-p)^2 + 1 (1-p)^4.
    Tolerance: 99 % intervals, 200,000 trials."""
    p, s, k, inv = 0.5, 2, 4, 5
    out = simulate([[k]], [inv], Doctrine("shoot-look-shoot", s, p), TRIALS, np.random.default_rng(5))
    assert _inside(1 - (1 - p) ** 5, out.p_kill_ci(CONFIDENCE))
    assert _inside(2 + 2 * (1 - p) ** 2 + (1 - p) ** 4, out.interceptors_used_mean_ci(CONFIDENCE))
    assert out.interceptors_used.max() == inv


@pytest.mark.parametrize("model", ["per-look", "persistent"])
def test_decoys_and_discrimination_match_closed_form(model):
    """1 warhead + 4 decoys, identification q = 0.6, SSPK 0.8, 3 looks: a salvo is aimed at the
    warhead with q + (1 - q)/(r + 1), r decoys left (a decoy hit is destroyed); the closed form is
    the exact recursion over r (UCS/MIT, *Countermeasures*, 2000; JASON 2010), written out here
    (``_decoy_law``); persistent discrimination is the mixture q * (always identified) +
    (1 - q) * (never identified). Tolerance: 99 % intervals, 200,000 trials."""
    doctrine = Doctrine("shoot-look-shoot", 1, 0.8, p_discriminate=0.6, discrimination=model)
    out = simulate([[3]], [100], doctrine, TRIALS, np.random.default_rng(31), decoys=4)
    if model == "per-look":
        pk, used = _decoy_law(0.8, 0.6, 4, 3)
    else:
        (pk1, u1), (pk0, u0) = _decoy_law(0.8, 1.0, 4, 3), _decoy_law(0.8, 0.0, 4, 3)
        pk, used = 0.6 * pk1 + 0.4 * pk0, 0.6 * u1 + 0.4 * u0
    assert _inside(pk, out.p_kill_ci(CONFIDENCE))
    assert _inside(used, out.interceptors_used_mean_ci(CONFIDENCE))


@cache
def _decoy_law(p: float, q: float, decoys: int, looks: int) -> tuple[float, float]:
    """P(kill) and E[interceptors] of single shots at a warhead among ``decoys`` decoys.

    Each look aims at the warhead with a = q + (1 - q)/(r + 1); a hit on the warhead ends the
    engagement, a hit on a decoy destroys it (r - 1), a miss leaves r; looks run out.
    """
    if looks == 0:
        return 0.0, 0.0
    a = q + (1 - q) / (decoys + 1)
    k_same, u_same = _decoy_law(p, q, decoys, looks - 1)
    k_less, u_less = _decoy_law(p, q, decoys - 1, looks - 1) if decoys else (0.0, 0.0)
    pk = a * (p + (1 - p) * k_same) + (1 - a) * (p * k_less + (1 - p) * k_same)
    used = 1 + a * (1 - p) * u_same + (1 - a) * (p * u_less + (1 - p) * u_same)
    return pk, used


def test_one_decoy_blind_two_looks_matches_hand_derivation():
    """q = 0, one decoy, SSPK p = 0.7, two looks: P_kill = p/2 + (p/2) p + (1 - p) p/2 = p
    (hand derivation: look 1 picks either object with 1/2; a destroyed decoy leaves only the
    warhead). Tolerance: 99 % Wilson interval, 200,000 trials."""
    doctrine = Doctrine("shoot-look-shoot", 1, 0.7, p_discriminate=0.0)
    out = simulate([[2]], [100], doctrine, TRIALS, np.random.default_rng(41), decoys=1)
    assert _inside(0.7, out.p_kill_ci(CONFIDENCE))


def test_raid_with_ample_inventory_leaks_as_independent_threats():
    """Ten threats, inventory never binding: P(no leak) = P_kill^10, E[leakers] = 10 (1 - P_kill).
    Tolerance: 99 % intervals, 200,000 trials."""
    p, s, k = 0.7, 1, 2
    out = simulate(np.full((10, 1), k), [100], Doctrine("shoot-look-shoot", s, p), TRIALS, np.random.default_rng(7))
    pk = 1 - (1 - p) ** (s * k)
    assert _inside(pk**10, out.p_no_leak_ci(CONFIDENCE))
    assert _inside(10 * (1 - pk), out.expected_leakers_ci(CONFIDENCE))
