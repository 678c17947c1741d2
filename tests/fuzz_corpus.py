"""A seeded generator of mutated scenario files, and the harness that runs them (issue 16).

``corpus(n, seed)`` yields ``n`` YAML texts, each a built-in scenario with one to three
mutations: type swaps, extreme and non-finite numbers, unicode and very long strings, removed,
duplicated and unknown keys, YAML 1.1 forms (``010``, ``yes``, ``1_000``, ``1:30``), alias
bombs, deep nesting, complex keys, empty and duplicated list items, control characters and
``]]>`` in names. File ``i`` of seed ``s`` depends on ``(s, i)`` only, so any file of a failing
run can be regenerated alone (``mutant(s, i)``).

``run_cli(args)`` runs one ``shieldsim`` command in this process and classifies the outcome:
``ok`` (exit 0), ``refused`` (exit 2 with a message), or ``traceback`` (any other exception,
with its text). ``message_problem(msg)`` says what is wrong with an exit-2 message (None when
it is one line under 200 characters naming a field).
"""

from __future__ import annotations

import contextlib
import copy
import io
import random
import re
import traceback
from functools import lru_cache

import yaml

BUILTINS = ("third_site_2007", "epaa_2011", "gabala_2007")

#: Values a type swap or an extreme number puts in place of a scalar.
EXTREMES = [0, -1, 1, 2**63, -(2**63), 10**400, 1e308, -1e308, 5e-324, 1e-9, float("nan"), float("inf"),
            float("-inf"), True, False, None, "", "x", "1e308", "nan", [], {}, [1, 2], {"a": 1}, 0.5, 1e6,
            "semnan", "90,0", "89.9,0", "-89.9,180", "0,0,1e308", "50,20,-5", "1e308,0", "ss-27", "gbi-2stage"]
#: Strings for names and free text.
STRINGS = ["]]>", "<script>alert(1)</script>", "a\x00b", "tab\there", "line\nbreak", "\u202e\u0635\u0648\u062a",
           "é" * 50, "😀" * 20, "x" * 81, "y" * 10_000, "&amp;", "\x1b[31mred", "  ", "\ud7ff", "\u2028",
           "name with spaces", "../../etc/passwd", "CON", "a" * 300]
#: YAML 1.1 forms and other scalar surprises, written into the text as they are.
YAML11 = ["010", "0o17", "0x1F", "yes", "no", "on", "off", "y", "n", "1_000", "1:30", "190:20:30", "2007-01-01",
          "~", ".inf", "-.inf", ".nan", "1e3", "1.0e+3", "+12", "0b101", "=", "<<"]


def _scalars_and_parents(node, path=()):
    """(path, parent, key) of every value of the tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield path + (k,), node, k
            yield from _scalars_and_parents(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield path + (i,), node, i
            yield from _scalars_and_parents(v, path + (i,))


@lru_cache(maxsize=None)
def _builtin_text(name: str) -> str:
    from shieldsim.scenario import scenario_yaml

    return scenario_yaml(name)


def _deep(depth: int):
    out: object = 1
    for _ in range(depth):
        out = [out]
    return out


def _dump(data) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000)
    except RecursionError:  # mutations nested inside nested mutations: too deep for the dumper
        return "version: 1\nname: deep\ndescription: " + "[" * 500 + "]" * 500 + "\n"


def _structure_mutation(data: dict, rng: random.Random) -> str:
    spots = list(_scalars_and_parents(data))
    path, parent, key = rng.choice(spots)
    kind = rng.choice(["swap", "swap", "extreme", "string", "remove", "unknown", "empty", "dup_item", "deep",
                       "long_list", "name"])
    if kind in ("swap", "extreme"):
        parent[key] = copy.deepcopy(rng.choice(EXTREMES))
    elif kind == "string":
        parent[key] = rng.choice(STRINGS)
    elif kind == "remove":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    elif kind == "unknown":
        target = parent[key] if isinstance(parent[key], dict) else (parent if isinstance(parent, dict) else data)
        target[rng.choice(["extra", "missle", "Name", "batteries_", "x" * 200])] = 1
    elif kind == "empty":
        parent[key] = rng.choice([[], {}, "", None])
    elif kind == "dup_item":
        lists = [(p, k) for _, p, k in spots if isinstance(p[k], list) and p[k]]
        if lists:
            p, k = rng.choice(lists)
            p[k].append(copy.deepcopy(rng.choice(p[k])))
    elif kind == "deep":
        parent[key] = _deep(rng.choice([5, 20, 40, 60]))  # deeper nesting: the text mutation deep_text
    elif kind == "long_list":
        lists = [(p, k) for _, p, k in spots if isinstance(p[k], list) and p[k]]
        if lists:
            p, k = rng.choice(lists)
            p[k] = p[k] * rng.choice([2, 10, 60])
    elif kind == "name":
        named = [p for _, p, k in spots if isinstance(p, dict) and k == "name"]
        if named:
            rng.choice(named)["name"] = rng.choice(STRINGS)
    return kind


def _text_mutation(text: str, rng: random.Random) -> tuple[str, str]:
    kind = rng.choice(["yaml11", "yaml11", "alias_bomb", "dup_key", "complex_key", "deep_text", "alias_ok",
                       "garbage", "tab", "truncate"])
    lines = text.splitlines()
    if kind == "yaml11":
        # Replace the value of a random "key: value" line with a YAML 1.1 form.
        idx = [i for i, ln in enumerate(lines) if re.match(r"^\s*[A-Za-z_]+: \S", ln) and not ln.strip().startswith("#")]
        if idx:
            i = rng.choice(idx)
            head = lines[i].split(": ", 1)[0]
            lines[i] = f"{head}: {rng.choice(YAML11)}"
    elif kind == "alias_bomb":
        width, depth = rng.choice([(9, 9), (10, 6), (4, 12), (2, 30)])
        bomb = ["lol0: &l0 [lol]"] + [f"lol{k}: &l{k} [{', '.join([f'*l{k - 1}'] * width)}]" for k in range(1, depth)]
        where = rng.choice(["top", "description"])
        if where == "top":
            lines = bomb + lines
        else:
            lines = [f"x-anchors: &{'a'}\n  " + "\n  ".join(bomb)] + lines + [f"description: *l{depth - 1}"]
    elif kind == "dup_key":
        idx = [i for i, ln in enumerate(lines) if re.match(r"^[a-z_]+: ", ln)]
        if idx:
            i = rng.choice(idx)
            lines.insert(i + 1, lines[i])
    elif kind == "complex_key":
        lines.append(rng.choice(["? [a, b]\n: 1", "? {a: 1}\n: 2", "[1, 2]: x", "1: one", "null: z", "true: t"]))
    elif kind == "deep_text":
        d = rng.choice([50, 500, 5000])
        lines.append("deep: " + "[" * d + "]" * d)
    elif kind == "alias_ok":
        lines = ["x-base: &b {sspk: 0.7}"] + lines
    elif kind == "garbage":
        i = rng.randrange(len(lines) + 1)
        lines.insert(i, rng.choice(["{", "]", ": :", "- - -", "\t- x", "%YAML 1.1", "!!python/object:os.system x",
                                    "key: !!binary aGVsbG8=", "key: &a *a", "@oops"]))
    elif kind == "tab":
        i = rng.randrange(len(lines)) if lines else 0
        if lines:
            lines[i] = "\t" + lines[i]
    elif kind == "truncate":
        cut = rng.randrange(max(len(text), 1))
        return text[:cut], kind
    return "\n".join(lines) + "\n", kind


def mutant(seed: int, i: int) -> tuple[str, list[str]]:
    """File ``i`` of the corpus of ``seed``: (YAML text, the mutations applied)."""
    rng = random.Random(f"{seed}:{i}")
    base = rng.choice(BUILTINS)
    text = _builtin_text(base)
    data = yaml.safe_load(text)
    kinds: list[str] = []
    n = rng.choice([1, 1, 1, 2, 3])
    text_done = False
    for _ in range(n):
        if rng.random() < 0.7:
            kinds.append(_structure_mutation(data, rng))
        else:
            text_done = True
    text = _dump(data)
    if text_done:
        text, kind = _text_mutation(text, rng)
        kinds.append(kind)
    return text, [base] + kinds


def corpus(n: int, seed: int = 16):
    """``n`` mutated scenario files: (index, text, mutations)."""
    for i in range(n):
        text, kinds = mutant(seed, i)
        yield i, text, kinds


# --- running ------------------------------------------------------------------------------------
ALLOWED = ("ScenarioError", "ShieldsimError")


def run_cli(args: list[str]) -> tuple[str, int | None, str, str]:
    """One ``shieldsim`` command in this process: (outcome, exit code, stdout, stderr or the
    traceback). The outcome is ``ok``, ``refused`` (exit 2) or ``traceback``."""
    from shieldsim import cli

    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = cli.main(list(args))
    except BaseException as exc:  # noqa: BLE001 - anything escaping main is a bug to report
        if isinstance(exc, KeyboardInterrupt):
            raise
        return "traceback", None, out.getvalue(), "".join(traceback.format_exception(exc))[-3000:]
    if rc == 0:
        return "ok", 0, out.getvalue(), err.getvalue()
    if rc == 2:
        return "refused", 2, out.getvalue(), err.getvalue()
    return "traceback", rc, out.getvalue(), err.getvalue()


def message_problem(stderr: str) -> str | None:
    """What is wrong with an exit-2 message: None when it is one line under 200 characters of
    the form ``error: FIELD: reason``."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    if len(lines) != 1:
        return f"{len(lines)} lines"
    line = lines[0]
    if len(line) >= 200:
        return f"{len(line)} characters"
    if not re.match(r"^error: \S[^:]*: \S", line):
        return "does not name a field"
    return None


# --- the out-of-process runner (the slow lane) ------------------------------------------------
#: Address space of the worker process: a command that needs more fails there (MemoryError)
#: instead of taking the machine.
WORKER_MEMORY_BYTES = 2 << 30


def worker() -> None:
    """Read JSON lines ``{"args": [...]}`` on stdin, run each command in this process under
    ``WORKER_MEMORY_BYTES`` of address space, write one JSON line of the outcome per command."""
    import json
    import resource
    import sys

    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, WORKER_MEMORY_BYTES))
    for line in sys.stdin:
        args = json.loads(line)["args"]
        outcome, rc, out, err = run_cli(args)
        if outcome == "traceback" and "MemoryError" in err:
            outcome = "blowup"
        sys.stdout.write(json.dumps({"outcome": outcome, "rc": rc, "err": err[-2000:], "out": out[:2000]}) + "\n")
        sys.stdout.flush()


class Worker:
    """A ``worker()`` subprocess; ``run(args, timeout_s)`` gives its outcome, or ``hang`` (killed
    after ``timeout_s``) or ``blowup`` (the process died), restarting it as needed."""

    def __init__(self):
        self.proc = None

    def _start(self):
        import os
        import subprocess
        import sys

        env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.path.dirname(__file__), *sys.path])}
        self.proc = subprocess.Popen([sys.executable, "-c", "import fuzz_corpus; fuzz_corpus.worker()"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, env=env)

    def run(self, args: list[str], timeout_s: float) -> dict:
        import json
        import select

        if self.proc is None or self.proc.poll() is not None:
            self._start()
        self.proc.stdin.write(json.dumps({"args": args}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        if not ready:
            self.close()
            return {"outcome": "hang", "rc": None, "err": f"no answer in {timeout_s:g} s", "out": ""}
        line = self.proc.stdout.readline()
        if not line:
            self.close()
            return {"outcome": "blowup", "rc": None, "err": "the worker died", "out": ""}
        return json.loads(line)

    def close(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


# --- command lines and API calls with bad arguments ---------------------------------------------
_B = "50,20,100,7,30,45"
#: ``shieldsim`` argument lists that must be refused in one line (exit 2), never a traceback.
BAD_CLI_CALLS = [
    ["fly", "--burnout", _B, "--samples", "1e-6"], ["fly", "--burnout", _B, "--samples", "0"],
    ["fly", "--burnout", _B, "--samples", "nan"], ["fly", "--burnout", _B, "--samples", "-1"],
    ["fly", "--burnout", _B, "--beta", "1e-9"], ["fly", "--burnout", _B, "--beta", "nan"],
    ["fly", "--burnout", _B, "--beta", "-5"], ["fly", "--burnout", "nan,20,100,7,30,45"],
    ["fly", "--burnout", "50,inf,100,7,30,45"], ["fly", "--burnout", "50,20,-1,7,30,45"],
    ["fly", "--burnout", "50,20,0,7,-30,45"], ["fly", "--burnout", "50,20,0.001,7,-30,45"],
    ["fly", "--burnout", "50,20,100,1e308,30,45"], ["fly", "--burnout", "1,2,3"], ["fly", "--burnout", "x" * 10_000],
    ["fly", "--burnout", _B, "--earth", "flat"], ["fly", "ss-27"], ["fly", "nope", "--from", "semnan", "--to", "berlin"],
    ["fly", "iran-irbm", "--from", "semnan", "--to", "0,0"], ["fly", "iran-irbm", "--from", "91,0", "--to", "berlin"],
    ["fly", "iran-irbm", "--from", "semnan", "--to", "berlin", "--trajectory", "loop"],
    ["fly", "iran-irbm", "--from", "semnan", "--to", "berlin", "--samples", "1e-9"],
    ["engage", "third_site_2007", "--trials", "1e300"], ["engage", "third_site_2007", "--trials", "9" * 5000],
    ["engage", "third_site_2007", "--trials", "0"], ["engage", "third_site_2007", "--trials", "1.5"],
    ["engage", "third_site_2007", "--trials", "1e9"], ["engage", "third_site_2007", "--sspk", "2"],
    ["engage", "third_site_2007", "--sspk", "nan"], ["engage", "third_site_2007", "--salvo", "0"],
    ["engage", "third_site_2007", "--salvo", "99999999999999999999"], ["engage", "third_site_2007", "--doctrine", "x"],
    ["engage", "third_site_2007", "--interceptor-speed", "0.5"], ["engage", "third_site_2007", "--interceptor-speed", "nan"],
    ["engage", "third_site_2007", "--interceptor-speed", "1e308"], ["engage", "third_site_2007", "--threat", "x" * 500],
    ["engage", "third_site_2007", "--seed", "-1"], ["engage", "third_site_2007", "--set", "seed=1e400"],
    ["engage", "third_site_2007", "--set", "x" * 100_000], ["engage", "third_site_2007", "--set", "name=" + "n" * 100_000],
    ["engage", "third_site_2007", "--set", "threats.99.name=x"], ["engage", "third_site_2007", "--set", "doctrine=[1"],
    ["engage", "third_site_2007", "--set", "batteries.0.site=50,20,1e308"],
    ["engage", "third_site_2007", "--set", "threats.0.launch_time_s=1e308"],
    ["engage", "third_site_2007", "--missile", "ss-27"], ["engage", "nope.yaml"], ["engage", "/"],
    ["engage", "x" * 5000], ["footprint", "third_site_2007", "--launch", "semnan", "--resolution-deg", "1e-9"],
    ["footprint", "third_site_2007", "--launch", "semnan", "--resolution-deg", "nan"],
    ["footprint", "third_site_2007", "--launch", "nowhere"], ["reach", "third_site_2007", "--launch", "x]]>"],
    ["observe", "third_site_2007", "--sensor", "nope"], ["observe", "third_site_2007", "--sensor", "semnan"],
    ["catalog", "--kind", "x" * 1000], ["catalog", "show", "x\n" * 100], ["scenario", "show", "../etc/passwd"],
    ["scenario", "check", "/dev/null"], ["scenario", "check", "/"], ["compare"],
    ["sensitivity", "third_site_2007", "--method", "x"], ["sensitivity", "third_site_2007", "--samples", "-1"],
    ["sensitivity", "third_site_2007", "--resolution-deg", "1e-9"],
    ["raid", "third_site_2007", "--max-size", "1e9"], ["nope"], ["engage", "third_site_2007", "--nope"],
]


def bad_api_calls():
    """(label, thunk) of Python API calls with bad arguments: each must raise ScenarioError or
    ShieldsimError (never another exception), or return a result."""
    import shieldsim as ss

    nan, inf = float("nan"), float("inf")
    ok = (50.0, 20.0, 100.0, 7.0, 30.0, 45.0)
    calls = []
    for k, bad in [(0, nan), (1, inf), (2, -inf), (3, nan), (4, nan), (5, inf), (0, 91.0), (2, -1.0), (3, -1.0),
                   (3, 1e308), (4, 95.0), (2, 1e308), (0, "x"), (1, None), (3, [])]:
        args = list(ok)
        args[k] = bad
        calls.append((f"free_flight arg{k}={bad!r}", lambda a=args: ss.free_flight(*a)))
    calls += [
        ("free_flight into ground", lambda: ss.free_flight(50, 20, 0, 7, -30, 45)),
        ("free_flight 1 m down", lambda: ss.free_flight(50, 20, 0.001, 7, -30, 45)),
        ("free_flight beta=1e-9", lambda: ss.free_flight(*ok, beta_kg_m2=1e-9)),
        ("free_flight beta=nan", lambda: ss.free_flight(*ok, beta_kg_m2=nan)),
        ("free_flight beta=0", lambda: ss.free_flight(*ok, beta_kg_m2=0)),
        ("free_flight samples=1e-6", lambda: ss.free_flight(*ok, samples=1e-6)),
        ("free_flight samples=nan", lambda: ss.free_flight(*ok, samples=nan)),
        ("free_flight lengths", lambda: ss.free_flight([1, 2], 20, [1, 2, 3], 7, 30, 45)),
        ("free_flight earth=flat", lambda: ss.free_flight(*ok, earth="flat")),
        ("fly unknown missile", lambda: ss.fly("nope", "semnan", "berlin")),
        ("fly to 0,0", lambda: ss.fly("iran-irbm", "semnan", "0,0")),
        ("fly from 91,0", lambda: ss.fly("iran-irbm", "91,0", "berlin")),
        ("fly samples=0", lambda: ss.fly("iran-irbm", "semnan", "berlin", samples=0)),
        ("fly trajectory", lambda: ss.fly("iran-irbm", "semnan", "berlin", "loop")),
        ("engage trials=1e300", lambda: ss.engage("third_site_2007", trials=1e300)),
        ("engage trials=nan", lambda: ss.engage("third_site_2007", trials=nan)),
        ("engage speed=0.5", lambda: ss.engage("third_site_2007", interceptor_speed_km_s=0.5)),
        ("engage set bomb", lambda: ss.engage("third_site_2007", set={"name": "x" * 100_000})),
        ("engage set list", lambda: ss.engage("third_site_2007", set=["seed=[1"])),
        ("footprint res=1e-9", lambda: ss.footprint("third_site_2007", launch="semnan", resolution_deg=1e-9)),
        ("observe unknown", lambda: ss.observe("nope")),
    ]
    return calls


def run_api(thunk) -> tuple[str, str]:
    """(outcome, text): ``ok``, ``refused`` (ScenarioError/ShieldsimError) or ``raw`` (any
    other exception)."""
    from shieldsim.errors import ShieldsimError

    try:
        thunk()
    except ShieldsimError as e:
        return "refused", str(e)
    except Exception as e:  # noqa: BLE001 - a raw Python error is what is being counted
        return "raw", f"{type(e).__name__}: {str(e)[:300]}"
    return "ok", ""
