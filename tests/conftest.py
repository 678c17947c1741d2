"""Suite-wide test settings.

Hypothesis runs derandomized (the same examples every run), so CI is reproducible: a
property test cannot pass on one machine and fail on the next by chance.
"""

from hypothesis import settings

settings.register_profile("shieldsim", derandomize=True, print_blob=True)
settings.load_profile("shieldsim")


# --- Memory: no test above 2 GB (issue 10) ----------------------------------------------------
# Each test's peak resident memory (the worker's own, and that of any process it waited for)
# is recorded when it grew during the test; the session fails if one went above the limit.
import resource  # noqa: E402

import pytest  # noqa: E402

MEMORY_LIMIT_MB = 2048


def _peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


_START = pytest.StashKey[tuple]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    item.stash[_START] = _peak_mb()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    yield
    before = item.stash.get(_START, (0.0, 0.0))
    grown = [a for a, b in zip(_peak_mb(), before) if a > b]
    if grown:  # the peak was set during this test's setup or call
        item.user_properties.append(("peak_rss_mb", max(grown)))


def _peaks(config) -> list[tuple[float, str]]:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    peaks = []
    for reports in (reporter.stats.values() if reporter else ()):
        for r in reports:
            if getattr(r, "when", "") == "call":
                peaks += [(v, r.nodeid) for k, v in getattr(r, "user_properties", ()) if k == "peak_rss_mb"]
    return sorted(peaks, reverse=True)


def pytest_sessionfinish(session, exitstatus):
    if any(mb > MEMORY_LIMIT_MB for mb, _ in _peaks(session.config)) and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    peaks = _peaks(config)
    if not peaks:
        return
    terminalreporter.write_line(f"peak memory: {peaks[0][0]:.0f} MB ({peaks[0][1]}); limit {MEMORY_LIMIT_MB} MB")
    for mb, nodeid in peaks:
        if mb > MEMORY_LIMIT_MB:
            terminalreporter.write_line(f"OVER THE MEMORY LIMIT: {mb:.0f} MB in {nodeid}", red=True)
