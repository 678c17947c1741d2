"""Progress bars of the long analyses: Rich, on stderr, with the time elapsed and left.

Bars go to stderr so that stdout carries only results (a table, or the one JSON object of
``--json``); ``--quiet`` turns them off. On a terminal they redraw in place; into a file or
a pipe Rich writes only the final state, one line per step. A command that fails clears
its bars, so a refused input still ends in its one line on stderr.

``Progress(enabled).task(description, total)`` returns a ``Tick``: call it to advance by
one (or ``k``) step, ``describe`` to rename the bar (``compare`` names the scenario it is on).
"""

from __future__ import annotations


class Tick:
    """Advances one bar (a no-op when progress is off)."""

    def __init__(self, progress=None, task_id=None):
        self._p, self._id = progress, task_id

    def __call__(self, k: int = 1) -> None:
        if self._p is not None:
            self._p.advance(self._id, k)

    def describe(self, description: str) -> None:
        if self._p is not None:
            self._p.update(self._id, description=description)


class Progress:
    """Rich progress bars on stderr when ``enabled``; silent otherwise."""

    def __init__(self, enabled: bool = True, console=None):
        self.enabled = enabled
        self._console = console
        self._p = None

    def __enter__(self):
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, \
                TimeRemainingColumn

            console = self._console or Console(stderr=True)
            self._p = Progress(TextColumn("{task.description:<30}"), BarColumn(bar_width=None),
                               MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("left"),
                               TimeRemainingColumn(), console=console, transient=False)
            self._p.__enter__()
        return self

    def __exit__(self, exc_type, *exc):
        if self._p is not None:
            if exc_type is not None:  # an error prints its own line, alone
                self._p.live.transient = True
            self._p.__exit__(exc_type, *exc)

    def task(self, description: str, total: int) -> Tick:
        if self._p is None:
            return Tick()
        return Tick(self._p, self._p.add_task(description, total=total))
