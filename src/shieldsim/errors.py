"""Errors the user can act on.

``ScenarioError`` is bad input: it names the field (a dotted path such as
``threats[0].missile`` or ``--from``) and the reason. ``ShieldsimError`` is any
other condition the user can fix. The CLI prints either in one line and exits 2.

Every message is one line of at most ``MAX_MESSAGE`` characters, whatever it quotes: control
characters and line breaks are shown escaped, a field name is cut to ``MAX_FIELD`` characters,
and a longer message loses its middle (the field and the advice at the end stay).
"""

import re

#: Longest message (``field: reason``): with the CLI's "error: " the line stays under 200.
MAX_MESSAGE = 190
#: Longest field name quoted (a mistyped key may be anything).
MAX_FIELD = 80

_CONTROL = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\ud800-\\udfff]")


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` as one line of at most ``limit`` characters (control characters escaped, the
    middle of a longer text replaced by ' ... ')."""
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), str(text))
    if len(text) <= limit:
        return text
    head = (limit - 5) * 2 // 3
    tail = limit - 5 - head
    return f"{text[:head]} ... {text[len(text) - tail:]}"


class ShieldsimError(Exception):
    """A problem the user can act on (not a bug)."""

    def __str__(self) -> str:
        return one_line(super().__str__())


class ScenarioError(ShieldsimError):
    """Bad input: names the offending field and says why."""

    def __init__(self, field: str, reason: str):
        self.field = field
        self.reason = reason
        super().__init__(f"{one_line(field, MAX_FIELD)}: {reason}")
