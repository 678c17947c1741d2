"""Every example a user types from README.md and docs/*.md runs and exits 0.

- README.md: its first code block is the install-and-test pair (checked, not run: the
  demo is tested elsewhere); under "Examples", every `shieldsim ...` line of a ```bash
  block runs in-process through `shieldsim.cli.main`, and every ```python block is
  executed.
- docs/*.md: every `shieldsim ...` line of a ```bash block runs, every ```python block is
  executed, except the python blocks of docs/scenario.md when tests/test_scenario.py
  already executes them.
- Lines running `demo`, `run`, `sweep`, `compare` or `sensitivity`, and python blocks calling
  `ss.run(`, `ss.sweep(`, `ss.compare(` or `ss.sensitivity(`, run in the slow lane
  (`pytest -m slow`): they take tens of seconds to minutes at full size.

Each example runs in a fresh temporary directory, so files it writes (`-o ...`) land there.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from shieldsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
# Examples of these commands take tens of seconds to minutes: they run in the slow lane (`pytest -m slow`).
SLOW_COMMANDS = {"demo", "run", "sweep", "compare", "sensitivity"}
FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


def blocks(text: str) -> list[tuple[str, str, int]]:
    """Fenced code blocks as (language, body, line number of the body's first line)."""
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start(2)) + 1) for m in FENCE.finditer(text)]


def section(text: str, title: str) -> tuple[str, int]:
    """The text of a `## title` section (up to the next `## `) and the line it starts on."""
    m = re.search(rf"^## {re.escape(title)}[ \t]*$", text, re.M)
    assert m, f"no '## {title}' section"
    end = re.search(r"^## ", text[m.end():], re.M)
    body = text[m.end(): m.end() + end.start()] if end else text[m.end():]
    return body, text.count("\n", 0, m.end())


def command_lines(body: str, first_line: int) -> list[tuple[str, int]]:
    """`shieldsim ...` lines of a bash block (backslash continuations joined), with line numbers."""
    out, pending, start = [], "", 0
    for i, raw in enumerate(body.splitlines()):
        line = raw.strip()
        if not pending:
            start = first_line + i
            line = line.removeprefix("$ ")
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("shieldsim ") or line == "shieldsim":
            out.append((line, start))
    return out


def subcommand(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def _scenario_doc_python_is_tested_elsewhere() -> bool:
    path = ROOT / "tests" / "test_scenario.py"
    if not path.exists():
        return False
    text = path.read_text(encoding="utf-8")
    return '"scenario.md"' in text and '_blocks("python")' in text and "exec(" in text


def _examples():
    """(id, kind, payload) for every example to run: kind 'cli' (argv) or 'python' (source)."""
    found = []
    text = README.read_text(encoding="utf-8")
    body, offset = section(text, "Examples")
    for lang, code, line in blocks(body):
        where = f"README.md:{offset + line}"
        if lang == "bash":
            found += [(f"README.md:{offset + n}", "cli", cmd) for cmd, n in command_lines(code, line)]
        elif lang == "python":
            found.append((where, "python", code))
    for doc in sorted(DOCS.glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        for lang, code, line in blocks(text):
            rel = f"docs/{doc.name}"
            if lang == "bash":
                found += [(f"{rel}:{n}", "cli", cmd) for cmd, n in command_lines(code, line)]
            elif lang == "python":
                if doc.name == "scenario.md" and _scenario_doc_python_is_tested_elsewhere():
                    continue
                found.append((f"{rel}:{line}", "python", code))
    return found


EXAMPLES = _examples()
CLI_EXAMPLES = [e for e in EXAMPLES if e[1] == "cli"]
RUNNABLE = [pytest.param(*e, id=e[0], marks=[pytest.mark.slow] if subcommand(shlex.split(e[2])[1:]) in SLOW_COMMANDS
                         else []) for e in CLI_EXAMPLES]
PYTHON_EXAMPLES = [e for e in EXAMPLES if e[1] == "python"]
# Python examples calling the API's slow commands (ss.sweep(, ss.compare(, ...) run in the slow lane too.
SLOW_API_CALL = re.compile(r"\bss\.(?:" + "|".join(sorted(SLOW_COMMANDS - {"demo"})) + r")\(")
PYTHON_RUNNABLE = [pytest.param(*e, id=e[0], marks=[pytest.mark.slow] if SLOW_API_CALL.search(e[2]) else [])
                   for e in PYTHON_EXAMPLES]


def test_readme_starts_with_install_and_test_commands():
    text = README.read_text(encoding="utf-8")
    lang, code, _ = blocks(text)[0]
    lines = [ln.strip() for ln in code.splitlines() if ln.strip()]
    assert lang == "bash" and len(lines) == 2, lines
    install, test = lines
    assert install.startswith("python3 -m venv .venv")
    assert '.venv/bin/pip install -c requirements.lock -e ".[dev]"' in install
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert '.venv/bin/pip install -q -c requirements.lock -e ".[dev]"' in ci  # CI installs as the README says
    assert "\n.venv/bin/python -m pytest\n" in ci
    assert install.endswith(".venv/bin/shieldsim demo")
    assert test == ".venv/bin/python -m pytest"
    # the first block comes before anything else in the README that a user might run
    assert text.index("```") == text.index(code) - len("```bash\n")


def test_lock_pins_every_declared_dependency():
    """requirements.lock (tools/write_lock.py) pins each distribution pyproject.toml declares,
    runtime and [dev], so `pip install -c requirements.lock` constrains them all."""
    import re
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = list(meta["dependencies"]) + list(meta["optional-dependencies"]["dev"])
    norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()  # noqa: E731  (PEP 503 names)
    names = {norm(re.match(r"[A-Za-z0-9_.\-]+", d).group(0)) for d in declared}
    pinned = {norm(ln.split("==")[0]) for ln in (ROOT / "requirements.lock").read_text().splitlines()
              if "==" in ln and not ln.startswith("#")}
    assert names - pinned == set()


def test_examples_were_found():
    readme = [e for e in CLI_EXAMPLES if e[0].startswith("README")]
    assert len(readme) >= 5, "the README's Examples lost their shieldsim lines (or the parser broke)"
    assert any(e[0].startswith("README") for e in PYTHON_EXAMPLES)
    assert any(e.values[0].startswith("docs/cli.md") for e in RUNNABLE)
    assert len(RUNNABLE) == len(CLI_EXAMPLES)  # every example runs, the long ones in the slow lane


def test_cli_page_covers_every_contract_command():
    """docs/cli.md shows each command of DESIGN.md's contract table (every example runs, in one lane or the other)."""
    cmds = [shlex.split(c)[1:] for i, _, c in CLI_EXAMPLES if i.startswith("docs/cli.md")]
    words = {tuple(a for a in argv if not a.startswith("-"))[:2] for argv in cmds}
    heads = {w[0] for w in words if w}
    assert {"fly", "catalog", "scenario", "observe", "engage", "reach", "footprint"} <= heads
    assert {("catalog", "show"), ("scenario", "list"), ("scenario", "show")} <= words
    assert any(w[:2] == ("scenario", "check") for w in words)
    flat = [a for argv in cmds for a in argv]
    for flag in ("--json", "--samples", "--burnout", "--beta", "--earth", "--no-rotation", "--kind", "--rcs",
                 "--set", "--seed", "--interceptor-speed", "--missile", "--sensor", "--trials", "--sspk", "--salvo",
                 "--doctrine", "--launch", "--target", "--resolution-deg", "-o"):
        assert flag in flat, f"docs/cli.md has no example using {flag}"
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for code in ("| 0 |", "| 2 |", "| 1 |"):
        assert code in text, "the exit-code table lost a row"


@pytest.mark.parametrize("where, kind, line", RUNNABLE)
def test_shieldsim_example_runs(where, kind, line, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(line, comments=True)[1:]
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc == 0, f"{where}: `{line}` exited {rc}: {err.strip()}"
    if "--json" in argv:
        assert isinstance(json.loads(out), dict), f"{where}: --json did not print one JSON object"
    else:
        assert out.strip(), f"{where}: `{line}` printed nothing"
    if "-o" in argv:
        target = tmp_path / argv[argv.index("-o") + 1]
        assert target.exists(), f"{where}: `{line}` did not write {target.name}"


@pytest.mark.parametrize("where, kind, code", PYTHON_RUNNABLE)
def test_python_example_runs(where, kind, code, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__docs_example__"}
    exec(compile(code, where, "exec"), namespace)
    # An example shows the user something: it prints, or leaves a result behind.
    assert capsys.readouterr().out or any(not k.startswith("__") for k in namespace)
