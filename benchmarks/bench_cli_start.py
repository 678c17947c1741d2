"""Benchmark: start-up, ``shieldsim --help`` and a warm ``shieldsim fly``, before vs after.

What changed: ``earth.py``'s ``@vectorize`` array functions are built on first use
(``earth._LazyUfunc``) instead of at import, and the catalog YAML is parsed with libyaml
(``yaml.CSafeLoader``: PyYAML's safe constructor and resolver, so the same values) instead of
the pure-Python ``yaml.safe_load``. "Before" is this checkout's package with exactly those two
changes undone in a copy (the decorators back to ``@vectorize(..., cache=True)``, the loader
back to ``yaml.SafeLoader``), so nothing else differs.

Each command runs ``--repeat`` times in child processes (after one warm-up run that compiles the
kernels into the variant's own cache folder); CPU time is the children's rusage
(``resource.getrusage(RUSAGE_CHILDREN)``, user + system, interpreter start-up included), wall
time beside it; the median is reported. The ``fly`` JSON must be identical in both variants.

    .venv/bin/python benchmarks/bench_cli_start.py [--repeat 7]

Prints JSON and writes ``benchmarks/results/cli_start.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import finish  # benchmarks/_common.py (scripts run from this folder)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_flyout_table import ROOT, machine, variant_env  # noqa: E402

COMMANDS = {
    "help": ["-m", "shieldsim.cli", "--help"],
    "fly": ["-m", "shieldsim.cli", "fly", "shahab-3", "--from", "tabriz", "--to", "38,45", "--json"],
    "import_earth": ["-c", "import shieldsim.earth"],
    "catalog_load": ["-c", "from shieldsim import catalog; catalog.entries()"],
    "python_alone": ["-c", "pass"],
}


def before_tree() -> Path:
    """A copy of this checkout's package with the two start-up changes undone."""
    d = Path(tempfile.mkdtemp(prefix="shieldsim-before-"))
    pkg = d / "shieldsim"
    shutil.copytree(ROOT / "src" / "shieldsim", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    earth = pkg / "earth.py"
    text, n = re.subn(r"@_lazy_vectorize\((\[[^\]]*\])\)", r"@vectorize(\1, cache=True)", earth.read_text())
    assert n >= 1, "no lazy ufunc found in earth.py"
    earth.write_text(text)
    cat = pkg / "catalog" / "__init__.py"
    text, n = re.subn(r"Loader=_YAML_LOADER", "Loader=yaml.SafeLoader", cat.read_text())
    assert n >= 1, "no libyaml loader found in catalog/__init__.py"
    cat.write_text(text)
    return d


def run(args: list[str], env: dict) -> dict:
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    p = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - w0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({p.returncode}): {p.stderr[-2000:]}")
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {"cpu_s": cpu, "wall_s": wall, "stdout": p.stdout}


def _median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else 0.5 * (xs[len(xs) // 2 - 1] + xs[len(xs) // 2])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "cli_start.json"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-start-"))
    variants = {"after": None, "before": before_tree()}
    result = {"machine": machine(), "commands": {k: " ".join(v) for k, v in COMMANDS.items()}}
    fly_out = {}
    envs = {}
    for name, src in variants.items():
        env = variant_env(src, work / f"cache-{name}")
        first = str(src) if src else str(ROOT / "src")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (first, env.get("PYTHONPATH", "")) if p)
        envs[name] = env
        run(COMMANDS["fly"], env)  # compile the kernels into this variant's cache
        result[name] = {}
    # Alternate the variants run by run, so a change of load hits both alike.
    runs = {(v, c): [] for v in variants for c in COMMANDS}
    for _ in range(args.repeat):
        for c, cmd in COMMANDS.items():
            for v in variants:
                r = run(cmd, envs[v])
                runs[(v, c)].append(r)
                if c == "fly":
                    fly_out.setdefault(v, set()).add(json.dumps(json.loads(r["stdout"]), sort_keys=True))
    for (v, c), rs in runs.items():
        result[v][c] = {"cpu_s": round(_median([r["cpu_s"] for r in rs]), 3),
                        "wall_s": round(_median([r["wall_s"] for r in rs]), 3),
                        "cpu_s_runs": [round(r["cpu_s"], 3) for r in rs]}
    for c in COMMANDS:
        b, a = result["before"][c], result["after"][c]
        print(f"{c:13s} before {b['cpu_s']:6.3f} s CPU {b['wall_s']:6.3f} s wall | after {a['cpu_s']:6.3f} s CPU "
              f"{a['wall_s']:6.3f} s wall", file=sys.stderr)
    result["fly_json_identical"] = len(set().union(*fly_out.values())) == 1
    finish(result, args.out, work, {"before": variants["before"]})


if __name__ == "__main__":
    main()
