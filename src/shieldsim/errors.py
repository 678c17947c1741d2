"""Errors the user can act on.

``ScenarioError`` is bad input: it names the field (a dotted path such as
``threats[0].missile`` or ``--from``) and the reason. ``ShieldsimError`` is any
other condition the user can fix. The CLI prints either in one line and exits 2.
"""


class ShieldsimError(Exception):
    """A problem the user can act on (not a bug)."""


class ScenarioError(ShieldsimError):
    """Bad input: names the offending field and says why."""

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")
