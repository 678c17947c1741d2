"""shieldsim: open, validated, fast simulation of ballistic-missile-defence architectures.

The Python API mirrors the ``shieldsim`` command: ``ss.fly`` aims and flies a catalog
missile, ``ss.free_flight`` flies burnout states, both over arrays.
"""

__version__ = "0.1.0"

from .errors import ScenarioError, ShieldsimError  # noqa: E402

__all__ = ["__version__", "ScenarioError", "ShieldsimError", "fly", "free_flight", "sensitivity", "load_scenario"]


def __getattr__(name):
    # Lazy: keep `import shieldsim` (and the CLI's start-up) free of Numba compilation.
    if name in ("fly", "free_flight", "FlightResult", "sensitivity"):
        from . import api

        return getattr(api, name)
    if name == "load_scenario":
        from .scenario import load_scenario

        return load_scenario
    raise AttributeError(name)
