"""A stamp that changes whenever the data public pages are made from changes."""

from __future__ import annotations

import secrets

from sqlalchemy import BigInteger, String, event, insert
from sqlalchemy.orm import Mapped, mapped_column

from catalog.extensions import db

# The one row the page cache reads (see catalog/pagecache.py).
PUBLIC_PAGES = "public_pages"


def new_stamp() -> int:
    """A random stamp, not a counter: a database restored from a backup or built
    afresh never repeats a stamp that a running process has pages cached under."""
    return secrets.randbits(62)


class DataVersion(db.Model):
    """Changed in the same transaction as the data, so a reader who sees the new
    stamp also sees the new data."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    stamp: Mapped[int] = mapped_column(BigInteger)


@event.listens_for(DataVersion.__table__, "after_create")
def _insert_first_stamp(table, connection, **kw) -> None:
    """Tables made with ``create_all`` get their row as the migration's do."""
    connection.execute(insert(table).values(name=PUBLIC_PAGES, stamp=new_stamp()))
