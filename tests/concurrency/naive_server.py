"""The application with the seat lock taken out: what the race tests must catch.

Test-only. ``lock_offering`` is replaced by a plain read of the offering, so
every request counts seats and inserts without waiting for the others: the
count-then-insert race the lock exists to prevent. On SQLite the transaction
then starts with a plain (deferred) BEGIN, not BEGIN IMMEDIATE, here as in
every other request. Nothing in the
catalog package can switch the lock off; only this module, loaded by gunicorn
in the test's own server process, does.
"""

from flask import request

from catalog.enrolment import locking, services
from catalog.extensions import db
from catalog.models import Offering
from wsgi import app

__all__ = ["app"]


def read_offering_without_lock(offering_id: int) -> Offering | None:
    return db.session.get(Offering, offering_id, populate_existing=True)


services.lock_offering = read_offering_without_lock
locking.lock_offering = read_offering_without_lock
# On SQLite every state-changing request also takes the write lock up front
# (catalog.database.take_write_lock_for_changes); a naive app would not do that
# for enrolments either. Logins keep it, so the race itself is what is tested.
_hooks = app.before_request_funcs.setdefault(None, [])
_write_lock_first = next(hook for hook in _hooks if hook.__name__ == "_write_lock_first")


def _write_lock_except_enrolment():
    if (request.endpoint or "").startswith("enrolment."):
        return None
    return _write_lock_first()


_hooks[_hooks.index(_write_lock_first)] = _write_lock_except_enrolment
