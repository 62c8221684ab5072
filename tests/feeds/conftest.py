"""Fixtures for the feed tests: a clean feed cache, and each parser as a parameter."""

from __future__ import annotations

import pytest

from catalog.feeds import services
from tests.feeds import parsers


@pytest.fixture(autouse=True)
def empty_feed_cache():
    """Feeds are cached per process by id; ids restart with every test's tables."""
    services.clear_cache()
    yield
    services.clear_cache()


def _reader_params(names):
    params = []
    for name in names:
        marks = []
        if name == "ical.js":
            reason = parsers.node_unavailable_reason()
            marks.append(pytest.mark.skipif(reason is not None, reason=reason or ""))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.fixture(params=_reader_params(parsers.INDEPENDENT))
def reader(request):
    """Each independent parser in turn (ical.js skips, saying why, without node)."""
    return parsers.INDEPENDENT[request.param]


@pytest.fixture(params=_reader_params(parsers.ALL))
def any_reader(request):
    """The independent parsers and icalendar itself."""
    return parsers.ALL[request.param]
