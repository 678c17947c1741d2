"""Where a run's numbers come from: the code, the scenario as resolved, the seed, the command.

``provenance`` is what ``run`` writes under ``results["provenance"]`` and the report
prints at its end, so anyone holding the output can rerun it: the shieldsim version, the
git commit of the source tree the package was imported from (when that tree is a git
checkout that tracks the package: ``None`` otherwise, or without git, never an error),
whether that tree had uncommitted changes, the scenario as validated with every value the
run used (defaults filled in, ``--set`` applied; a field left empty, which takes the
catalog's value, is left out), the seed, ``--interceptor-speed``, and
the command line.
"""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

GIT_TIMEOUT_S = 5.0


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT_S,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_state(package_dir: str | Path | None = None) -> dict:
    """``{"git_commit": sha | None, "git_dirty": bool | None}`` of the checkout holding the
    package, if the package's own files are tracked there (an installed copy inside some
    other repository's tree, a virtual environment say, is not that repository's code)."""
    here = Path(package_dir) if package_dir is not None else Path(__file__).resolve().parents[1]
    none = {"git_commit": None, "git_dirty": None}
    if not here.is_dir() or _git(["ls-files", "--error-unmatch", "__init__.py"], here) is None:
        return none
    sha = _git(["rev-parse", "HEAD"], here)
    if not sha:
        return none
    status = _git(["status", "--porcelain", "--untracked-files=no", "--", "."], here)
    return {"git_commit": sha, "git_dirty": None if status is None else bool(status)}


def provenance(scenario, *, seed: int, command_line=None, interceptor_speed_km_s=None, overrides=()) -> dict:
    """The provenance block of a run (module docstring); ``scenario`` is the validated model."""
    from .. import __version__

    return {
        "shieldsim_version": __version__,
        **git_state(),
        "python": platform.python_version(),
        "command_line": None if command_line is None else [str(a) for a in command_line],
        "seed": int(seed),
        "overrides": [str(o) for o in overrides],
        "interceptor_speed_km_s": interceptor_speed_km_s,
        "scenario": scenario.model_dump(mode="json", by_alias=True, exclude_none=True),
    }
