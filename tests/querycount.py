"""Counting the SQL statements a block of code sends, to pin "no query per row"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, event

from catalog.extensions import db

# SQLite's BEGIN is sent through a cursor (catalog.database takes control of it) while
# psycopg begins implicitly; leaving transaction control out keeps counts equal on both.
_TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


@dataclass
class QueryCount:
    """The statements seen so far; ``count`` is how many."""

    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def __str__(self) -> str:
        return f"{self.count} queries:\n" + "\n---\n".join(self.statements)


@contextmanager
def count_queries(engine: Engine | None = None) -> Iterator[QueryCount]:
    """Record every statement executed on ``engine`` (the app's by default) inside
    the block::

        with count_queries() as queries:
            client.get("/api/v1/offerings")
        assert queries.count == 3, queries
    """
    engine = engine or db.engine
    counted = QueryCount()

    def record(connection, cursor, statement, parameters, context, executemany):
        if not _TRANSACTION_CONTROL.match(statement):
            counted.statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", record)
