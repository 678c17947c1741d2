"""Fuzz, slow lane: the full corpus out of process under a 2 GB cap, and ``run`` on a sample.

``test_the_corpus_through_check_and_observe``: the first 2,000 generated files (``DEFAULT_N``;
``SHIELDSIM_FUZZ_N=10000`` for the full corpus) through ``scenario check`` in two worker
processes, each with its address space capped at 2 GB (``resource.setrlimit(RLIMIT_AS)``), with a per-file timeout to catch hangs;
each accepted file then runs ``observe`` (the cheapest command that flies, senses and tracks).
Acceptance (issue 16): 0 tracebacks, 0 hangs, 0 blow-ups, every exit-2 message one line
under 200 characters naming the field, and every file ``check`` accepts runs. The table of
outcomes is written to ``$SHIELDSIM_FUZZ_TABLE`` when set.

``test_accepted_files_complete_run``: ``run`` on a deterministic sample of accepted files.
"""

from __future__ import annotations

import collections
import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fuzz_corpus import Worker, message_problem, mutant, run_cli  # noqa: E402

SLOW_SEED = 16
CHECK_TIMEOUT_S = 120
#: ``observe`` of a file whose battery stands somewhere new builds that site's fly-out table
#: first (40-55 s of CPU, measured at 54.5 and 89.9 deg N; several minutes of wall time on two
#: loaded cores), so its timeout is long: what it catches is a command that never ends.
COMMAND_TIMEOUT_S = 900


def table_rows(records: list[dict]) -> list[dict]:
    """The issue's table from per-file records: tried / clean refusals / tracebacks /
    hangs-blowups / accepted-but-impossible, for ``scenario check`` and the cheap command."""
    rows = []
    for step, key in (("scenario check", "check"), ("observe on accepted files", "cheap")):
        got = [r for r in records if key in r]
        c = collections.Counter(r[key] for r in got)
        bad_msgs = sum(1 for r in got if r.get(f"{key}_msg_problem"))
        rows.append({"tried": f"{len(got):,} {'scenario files through ' if key == 'check' else ''}{step}",
                     "clean_refusals": c["refused"] - bad_msgs, "tracebacks": c["traceback"],
                     "hangs_blowups": c["hang"] + c["blowup"], "bad_messages": bad_msgs,
                     "accepted_but_impossible": (sum(1 for r in records if r.get("check") == "ok"
                                                     and r.get("cheap") not in ("ok", None)) if key == "check" else "")})
    return rows


def _run_share(tmp_path, n: int, k: int, workers: int) -> list[dict]:
    """Files k, k + workers, ... of the corpus through one capped worker process."""
    worker = Worker()
    records = []
    try:
        for i in range(k, n, workers):
            text, kinds = mutant(SLOW_SEED, i)
            f = tmp_path / f"f{i}.yaml"
            f.write_text(text, encoding="utf-8", errors="surrogatepass")
            r = worker.run(["scenario", "check", str(f), "--json"], CHECK_TIMEOUT_S)
            rec = {"i": i, "kinds": kinds, "check": r["outcome"], "err": r["err"][-800:]}
            if r["outcome"] == "refused":
                rec["check_msg_problem"] = message_problem(r["err"])
            if r["outcome"] == "ok":
                c = worker.run(["observe", str(f), "--json", "-q"], COMMAND_TIMEOUT_S)
                rec["cheap"], rec["cheap_err"] = c["outcome"], c["err"][-800:]
                if c["outcome"] == "refused":
                    rec["cheap_msg_problem"] = message_problem(c["err"])
            records.append(rec)
            f.unlink()
    finally:
        worker.close()
    return records


#: Files in the slow lane's run. The whole suite must stay well under 15 minutes on CI's two
#: cores and a file costs ~0.17 s (check, and observe on the ~10 % that check accepts), so the
#: slow lane runs the first 2,000 files of the corpus on two worker processes (~3 min);
#: ``SHIELDSIM_FUZZ_N=10000`` runs the issue's full corpus (~15 min on two cores), as was done
#: for the closing note's table.
DEFAULT_N = 2000


@pytest.mark.slow
def test_the_corpus_through_check_and_observe(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    n = int(os.environ.get("SHIELDSIM_FUZZ_N", str(DEFAULT_N)))
    workers = 2
    with ThreadPoolExecutor(workers) as pool:
        shares = list(pool.map(lambda k: _run_share(tmp_path, n, k, workers), range(workers)))
    records = sorted((r for share in shares for r in share), key=lambda r: r["i"])
    rows = table_rows(records)
    if os.environ.get("SHIELDSIM_FUZZ_TABLE"):
        Path(os.environ["SHIELDSIM_FUZZ_TABLE"]).write_text(json.dumps({"rows": rows}, indent=1))
    failures = [r for r in records if r["check"] in ("traceback", "hang", "blowup") or r.get("check_msg_problem")
                or (r["check"] == "ok" and r.get("cheap") != "ok")]
    assert not failures, (rows, [(r["i"], r["kinds"], r.get("check"), r.get("cheap"), r["err"][-300:],
                                  r.get("cheap_err", "")[-300:]) for r in failures[:10]])


#: Files of the sample that ``run`` completes, and the modest sizes it runs them at: the
#: first accepted files of the corpus (deterministic, and varied: each is a different built-in
#: with different mutations). A full ``run`` is a minute or more on two loaded cores, so three
#: of them, at 200 Monte Carlo trials, raids up to 3 and 5-degree footprint grids, keep the
#: test under about three minutes; key_assumptions (one extra run per assumption) is skipped.
RUN_SAMPLE = 3
RUN_SIZES = ["--set", "analysis.trials=200", "--set", "analysis.raid.trials=200", "--set", "analysis.raid.max_size=3",
             "--set", "analysis.raid.headline_size=3", "--set", "analysis.footprint.resolution_deg=5",
             "--set", "analysis.compare_resolution_deg=5"]


@pytest.mark.slow
def test_accepted_files_complete_run(tmp_path):
    """``run --skip key_assumptions --figures svg`` completes on the first accepted files of the
    corpus (the sample and sizes are explained at ``RUN_SAMPLE``)."""
    done = []
    i = 0
    while len(done) < RUN_SAMPLE and i < 2000:
        text, kinds = mutant(SLOW_SEED, i)
        f = tmp_path / f"f{i}.yaml"
        f.write_text(text, encoding="utf-8", errors="surrogatepass")
        outcome, _, _, err = run_cli(["scenario", "check", str(f)])
        if outcome == "ok":
            args = ["run", str(f), "-o", str(tmp_path / f"out{i}"), "--skip", "key_assumptions", "--figures", "svg",
                    "--json", "-q", *RUN_SIZES]
            outcome, rc, out, err = run_cli(args)
            if outcome == "refused" and any(s in err for s in ("analysis.raid", "analysis.trials", "resolution_deg")):
                pass  # the file's own analysis settings clash with the modest sizes: not a finding
            else:
                assert outcome == "ok", (i, kinds, err[-1500:])
                assert (tmp_path / f"out{i}" / "results.json").is_file() and "threats" in json.loads(out)
                done.append(i)
        i += 1
    assert len(done) == RUN_SAMPLE, done
