"""shieldsim: open, validated, fast simulation of ballistic-missile-defence architectures.

The Python API mirrors the ``shieldsim`` command, one function per command:
``ss.fly`` aims and flies a catalog missile and ``ss.free_flight`` flies burnout states,
both over arrays; ``ss.observe``, ``ss.engage``, ``ss.reach``, ``ss.footprint``,
``ss.raid``, ``ss.compare``, ``ss.sweep``, ``ss.run`` and ``ss.sensitivity`` run the
analyses of a scenario. Every result has ``to_dict()`` (the command's ``--json`` object)
and ``to_frame()`` (a pandas DataFrame). See docs/api.md.
"""

__version__ = "0.1.0"

from .errors import ScenarioError, ShieldsimError  # noqa: E402

_API = ("fly", "free_flight", "FlightResult", "observe", "engage", "reach", "footprint", "raid", "compare", "sweep",
        "run", "sensitivity")

__all__ = ["__version__", "ScenarioError", "ShieldsimError", "load_scenario", *_API]


def __getattr__(name):
    # Lazy: keep `import shieldsim` (and the CLI's start-up) free of Numba compilation.
    if name in _API:
        from . import api

        return getattr(api, name)
    if name == "load_scenario":
        from .scenario import load_scenario

        return load_scenario
    raise AttributeError(name)


def __dir__():
    return sorted(set(globals()) | set(__all__))
