"""The application with the seat lock taken out: what the race tests must catch.

Test-only. ``lock_offering`` is replaced by a plain read of the offering, so
every request counts seats and inserts without waiting for the others: the
count-then-insert race the lock exists to prevent. On SQLite the transaction
then starts with a plain (deferred) BEGIN, not BEGIN IMMEDIATE. Nothing in the
catalog package can switch the lock off; only this module, loaded by gunicorn
in the test's own server process, does.
"""

from catalog.enrolment import locking, services
from catalog.extensions import db
from catalog.models import Offering
from wsgi import app

__all__ = ["app"]


def read_offering_without_lock(offering_id: int) -> Offering | None:
    return db.session.get(Offering, offering_id, populate_existing=True)


services.lock_offering = read_offering_without_lock
locking.lock_offering = read_offering_without_lock
