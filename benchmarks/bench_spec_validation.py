"""Why the specs validate with ``shieldsim.validate`` helpers and not pydantic models.

Builds the same rocket ``Stage`` (five positive numbers, one ordering, an optional sea-level
Isp) N times as the frozen dataclass of ``vehicles.py`` and as an equivalent pydantic v2 model
(``PositiveFloat`` fields, a model validator for the ordering), and prints the CPU and wall
time per construction. A stage is built per iteration of ``interceptors.at_burnout_speed``
(``with_isp_scale``) and per catalog read, so a slower constructor lands on those paths.

    .venv/bin/python benchmarks/bench_spec_validation.py [N]
"""

from __future__ import annotations

import json
import sys
import time

from pydantic import BaseModel, ConfigDict, PositiveFloat, model_validator

from shieldsim.vehicles import Stage

ARGS = dict(gross_mass_kg=20000.0, propellant_mass_kg=18000.0, isp_vac_s=285.0, burn_time_s=60.0,
            diameter_m=1.3, isp_sl_s=250.0)


class StageModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    gross_mass_kg: PositiveFloat
    propellant_mass_kg: PositiveFloat
    isp_vac_s: PositiveFloat
    burn_time_s: PositiveFloat
    diameter_m: PositiveFloat
    isp_sl_s: PositiveFloat | None = None

    @model_validator(mode="after")
    def _ordered(self):
        if self.propellant_mass_kg >= self.gross_mass_kg:
            raise ValueError("propellant must be lighter than the stage")
        if self.isp_sl_s is not None and self.isp_sl_s > self.isp_vac_s:
            raise ValueError("sea-level Isp cannot exceed vacuum Isp")
        return self


def _time(build, n: int) -> dict:
    build()
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        build()
    return {"cpu_us": round((time.process_time() - c0) / n * 1e6, 2),
            "wall_us": round((time.perf_counter() - w0) / n * 1e6, 2)}


def main(n: int = 50_000) -> dict:
    result = {"n": n, "dataclass_with_validate": _time(lambda: Stage(**ARGS), n),
              "pydantic_model": _time(lambda: StageModel(**ARGS), n)}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
