"""Write ``requirements.lock``: every distribution ``pyproject.toml`` needs at run time and in
``[dev]``, with its dependencies, pinned to the version installed in this environment.

The build machines have no ``uv``/``pip-compile`` and no index to resolve against, so the lock
is the dependency closure of the declared requirements as this (tested) environment holds it.
Hashes are omitted. Run from the repository root:

    .venv/bin/python tools/write_lock.py

CI would install with ``pip install -c requirements.lock -e ".[dev]"`` (the pins as
constraints: pyproject stays the list of what is needed, the lock says which versions).
"""

from __future__ import annotations

import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

#: Markers are evaluated for the platform CI runs on.
ENVIRONMENT = {"python_version": f"{sys.version_info.major}.{sys.version_info.minor}", "sys_platform": "linux",
               "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
               "implementation_name": "cpython", "platform_python_implementation": "CPython",
               "python_full_version": ".".join(map(str, sys.version_info[:3]))}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(requirements: list[str]) -> dict[str, str]:
    """``{name: installed version}`` of the requirements and everything they require."""
    pins: dict[str, str] = {}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    stack = [Requirement(r) for r in requirements]
    while stack:
        req = stack.pop()
        key = (_canonical(req.name), tuple(sorted(req.extras)))
        if key in seen:
            continue
        seen.add(key)
        dist = md.distribution(req.name)
        pins[_canonical(req.name)] = dist.version
        for text in dist.requires or []:
            sub = Requirement(text)
            extras = list(req.extras) or [""]
            if sub.marker is None or any(sub.marker.evaluate(dict(ENVIRONMENT, extra=e)) for e in extras):
                stack.append(sub)
    return pins


def main(root: Path = Path(".")) -> None:
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = closure(project["dependencies"] + project["optional-dependencies"]["dev"])
    head = [line for line in (__doc__ or "").strip().splitlines()]
    text = "\n".join(["# " + line if line else "#" for line in head]) + "\n"
    text += "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))
    (root / "requirements.lock").write_text(text, encoding="utf-8")
    print(f"requirements.lock: {len(pins)} pins")


if __name__ == "__main__":
    main()
