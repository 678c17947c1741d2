"""Fuzz, fast lane: mutated scenario files through ``scenario check`` in this process (issue 16).

Hypothesis picks files of the seeded corpus (``tests/fuzz_corpus.py``: type swaps, extreme and
non-finite numbers, unicode and long strings, removed/duplicated/unknown keys, YAML 1.1 forms,
alias bombs, deep nesting, empty lists...). Every outcome must be a clean one: exit 0, or exit
2 with one line under 200 characters naming the field; never a traceback (only
``ScenarioError``/``ShieldsimError`` may stop a command). The first few accepted files also
run ``observe``, the cheapest command that flies, senses and tracks them: a file ``check``
accepts must run. The full corpus (10,000 files, out of process, under a 2 GB cap) is the slow
lane, ``tests/test_fuzz_corpus.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from fuzz_corpus import message_problem, mutant, run_cli  # noqa: E402

FAST_SEED = 1616
#: Accepted files that also run ``observe`` (1-4 s each): enough to catch a file ``check``
#: passes and a command refuses, few enough to keep the fast lane fast.
CHEAP_RUNS = 3
_cheap_done: list[int] = []


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0, max_value=10**6))
def test_mutated_scenarios_are_accepted_or_refused_in_one_line(tmp_path_factory, i):
    text, kinds = mutant(FAST_SEED, i)
    f = tmp_path_factory.mktemp("fuzz") / f"m{i}.yaml"
    f.write_text(text, encoding="utf-8", errors="surrogatepass")
    outcome, rc, out, err = run_cli(["scenario", "check", str(f), "--json"])
    assert outcome != "traceback", (i, kinds, err)
    if outcome == "refused":
        assert message_problem(err) is None, (i, kinds, err)
        return
    assert outcome == "ok" and '"valid": true' in out, (i, kinds, out, err)
    if len(_cheap_done) < CHEAP_RUNS:
        _cheap_done.append(i)
        outcome, rc, out, err = run_cli(["observe", str(f), "--json", "-q"])
        assert outcome == "ok", (i, kinds, "accepted by check, then:", err)


def test_the_corpus_is_seeded_and_reproducible():
    """File i of a seed is the same text every time, and other seeds give other files."""
    assert mutant(FAST_SEED, 7) == mutant(FAST_SEED, 7)
    assert len({mutant(FAST_SEED, i)[0] for i in range(30)}) > 25
    assert mutant(FAST_SEED, 7) != mutant(FAST_SEED + 1, 7)
