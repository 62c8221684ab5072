"""Fixtures for the notification tests (helpers live in ``support.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notifications.support import Mailbox, smtp_server, use_smtp


@pytest.fixture
def mailbox(app, monkeypatch) -> Iterator[Mailbox]:
    """An SMTP server that accepts everything, and the app sending to it."""
    with smtp_server() as box:
        use_smtp(app, monkeypatch, box.port)
        yield box
