"""What the before/after benchmarks share: write the result atomically and clean up the copies."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path


def finish(result: dict, out: str | os.PathLike, work: Path, variants: dict) -> None:
    """Record the load at the end, print and write ``result`` as JSON, remove the work folder
    and the copied source trees of the variants."""
    result["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(result, indent=2)
    print(text)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text + "\n")
    shutil.rmtree(work, ignore_errors=True)
    for src in variants.values():
        if src is not None:
            shutil.rmtree(src, ignore_errors=True)
