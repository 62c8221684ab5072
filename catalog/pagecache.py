"""Public pages kept ready for visitors who are not logged in.

The home page, the catalogue and course and offering pages are most of what the
site serves, and for visitors who are not logged in they are the same for
everyone who asks for the same address in the same language and time zone. Each
web process keeps the pages it rendered for such visitors (an LRU bounded in
bytes) and answers the next one without a query or a template.

A kept page is only good while the data behind it is unchanged: every
transaction that changes that data also changes a stamp in the database
(``DataVersion``), in the same commit, and pages are kept under the stamp read
before they were rendered. A page also expires after ``PAGE_CACHE_SECONDS``,
since some of what it says depends on the clock (enrolment opening, "starts
tomorrow"). Logged-in people, pending flash messages and anything other than a
plain GET always get a freshly rendered page.

The language switch in every page's header carries a CSRF token of the
visitor's own: kept pages hold a placeholder, filled in for each answer.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request, session
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from catalog.extensions import db
from catalog.models import (
    DataVersion,
    FeedToken,
    JobState,
    NoticeMark,
    OutboxMessage,
    PasswordResetToken,
    SecurityEvent,
    SessionReminder,
)
from catalog.models.versions import PUBLIC_PAGES, new_stamp

# Pages worth keeping: public, the same for every anonymous visitor.
CACHED_ENDPOINTS = frozenset(
    {"main.index", "catalogue.index", "catalogue.course", "catalogue.offering"}
)

# Bookkeeping that no public page shows: writing it does not change the stamp, so
# the scheduler's every-minute runs and each login do not empty the caches.
UNSHOWN = (
    DataVersion,
    FeedToken,
    JobState,
    NoticeMark,
    OutboxMessage,
    PasswordResetToken,
    SecurityEvent,
    SessionReminder,
)

_CHANGED = "public_pages_changed"


# --- The stamp ------------------------------------------------------------------------


def _shown(objects) -> bool:
    return any(not isinstance(obj, UNSHOWN) for obj in objects)


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, flush_context) -> None:
    # After a flush the new, dirty and deleted lists still hold what was flushed.
    if _shown(session.new) or _shown(session.deleted) or _shown(session.dirty):
        session.info[_CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state) -> None:
    """Bulk ``update()``/``delete()``/``insert()`` statements skip the flush."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is None or not issubclass(mapper.class_, UNSHOWN):
        state.session.info[_CHANGED] = True


@event.listens_for(Session, "before_commit")
def _change_stamp(session: Session) -> None:
    """Change the stamp in the same commit as the data (flushing first, since the
    commit's own flush comes after this hook)."""
    session.flush()
    if session.info.pop(_CHANGED, False):
        session.execute(
            update(DataVersion).where(DataVersion.name == PUBLIC_PAGES).values(stamp=new_stamp())
        )


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def read_stamp() -> int | None:
    return db.session.scalar(select(DataVersion.stamp).where(DataVersion.name == PUBLIC_PAGES))


# --- The store --------------------------------------------------------------------------


@dataclass(frozen=True)
class KeptPage:
    body: bytes
    status: int
    headers: tuple[tuple[str, str], ...]
    expires: float


class PageStore:
    """Rendered pages by key, least recently used dropped first, at most
    ``max_bytes`` of bodies; shared by the threads of one worker."""

    def __init__(self, max_bytes: int, derived: DerivedStore | None = None):
        self.max_bytes = max_bytes
        self.derived = derived
        self.size = 0
        self._pages: OrderedDict[tuple, KeptPage] = OrderedDict()
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._stamp_read_at = float("-inf")

    def get(self, key: tuple) -> KeptPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if page.expires <= time.monotonic():
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: KeptPage) -> None:
        if len(page.body) > self.max_bytes // 4:
            return  # one huge page must not push out everything else
        with self._lock:
            if key in self._pages:
                self._drop(key)
            self._pages[key] = page
            self.size += len(page.body)
            while self.size > self.max_bytes:
                self._drop(next(iter(self._pages)))

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self.size = 0
            self._stamp_read_at = float("-inf")
        if self.derived is not None:
            self.derived.clear()

    def __len__(self) -> int:
        return len(self._pages)

    def _drop(self, key: tuple) -> None:
        self.size -= len(self._pages.pop(key).body)

    def stamp(self, recheck_seconds: float) -> int | None:
        """The data stamp, read again at most every ``recheck_seconds`` (0: always)."""
        now = time.monotonic()
        if now - self._stamp_read_at >= recheck_seconds:
            self._stamp = read_stamp()
            self._stamp_read_at = now
        return self._stamp


class DerivedStore:
    """Values worked out from the data (the catalogue's facet counts), shared by
    everyone, logged in or not, until the data stamp changes or they expire."""

    def __init__(self, max_entries: int = 512):
        self.max_entries = max_entries
        self._values: OrderedDict[tuple, tuple[int, float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: tuple, stamp: int, seconds: float, compute):
        now = time.monotonic()
        with self._lock:
            kept = self._values.get(key)
            if kept is not None and kept[0] == stamp and kept[1] > now:
                self._values.move_to_end(key)
                return kept[2]
        value = compute()
        with self._lock:
            self._values[key] = (stamp, now + seconds, value)
            self._values.move_to_end(key)
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def remembered(key: tuple, compute):
    """``compute()``, or what it gave under the same data stamp less than
    ``PAGE_CACHE_SECONDS`` ago. The value must not hold ORM objects (it outlives
    the request's session) and is shared: callers must not change it."""
    config = current_app.config
    seconds = config["PAGE_CACHE_SECONDS"]
    stamp = page_store().stamp(config["PAGE_CACHE_STAMP_RECHECK_SECONDS"]) if seconds else None
    if stamp is None:
        return compute()
    return current_app.extensions["derived_cache"].get_or_compute(key, stamp, seconds, compute)


def page_store(app: Flask | None = None) -> PageStore:
    return (app or current_app).extensions["page_cache"]


# --- Requests ---------------------------------------------------------------------------

# Stands for the visitor's CSRF token in kept pages; random per process, so no
# page text can contain it by chance.
_TOKEN_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"


def _keepable_request() -> bool:
    return (
        request.method == "GET"
        and request.endpoint in CACHED_ENDPOINTS
        and not current_user.is_authenticated
        and "_flashes" not in session
    )


def _key(stamp: int) -> tuple:
    # From the WSGI environment directly: request.url decodes and rebuilds the
    # address, which costs more than answering from the store.
    environ = request.environ
    return (
        environ["wsgi.url_scheme"],
        environ.get("HTTP_HOST", ""),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        str(get_locale()),
        str(get_timezone()),
        stamp,
    )


def _answer_from_store():
    if not _keepable_request():
        return None
    config = current_app.config
    stamp = page_store().stamp(config["PAGE_CACHE_STAMP_RECHECK_SECONDS"])
    if stamp is None:
        return None  # no stamp row: nothing can be kept safely
    key = _key(stamp)
    page = page_store().get(key)
    if page is None:
        g.page_cache_key = key  # render, then keep (see _keep)
        return None
    response = Response(page.body, status=page.status, headers=list(page.headers))
    response.headers["X-Page-Cache"] = "hit"
    g.page_cache_filled = True
    return response


def _token_or_placeholder() -> str:
    """The template's ``csrf_token()``: a placeholder while rendering a page to keep."""
    if g.get("page_cache_key") is not None:
        g.page_cache_placeholder_used = True
        return _TOKEN_PLACEHOLDER
    return generate_csrf()


def _keep(response: Response) -> Response:
    key = g.pop("page_cache_key", None)
    if key is not None and _keepable_response(response):
        page_store().put(
            key,
            KeptPage(
                body=response.get_data(),
                status=response.status_code,
                headers=tuple(
                    (name, value)
                    for name, value in response.headers.items()
                    if name not in {"Set-Cookie", "Content-Length"}
                ),
                expires=time.monotonic() + current_app.config["PAGE_CACHE_SECONDS"],
            ),
        )
        response.headers["X-Page-Cache"] = "miss"
        g.page_cache_filled = True
    if g.pop("page_cache_filled", False) or g.pop("page_cache_placeholder_used", False):
        _fill_in_token(response)
    return response


def _keepable_response(response: Response) -> bool:
    field = current_app.config["WTF_CSRF_FIELD_NAME"]
    return (
        response.status_code == 200
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        # A real token was made while rendering (a form of its own): not shareable.
        and field not in g
    )


def _fill_in_token(response: Response) -> None:
    body = response.get_data()
    placeholder = _TOKEN_PLACEHOLDER.encode()
    if placeholder in body:
        response.set_data(body.replace(placeholder, generate_csrf().encode()))


def init_page_cache(app: Flask) -> None:
    """Register last: the access policy and the other request hooks run first."""
    derived = app.extensions["derived_cache"] = DerivedStore()
    app.extensions["page_cache"] = PageStore(app.config["PAGE_CACHE_MAX_BYTES"], derived)
    if not app.config["PAGE_CACHE_SECONDS"]:
        return
    app.before_request(_answer_from_store)
    app.after_request(_keep)
    # Context processors override Jinja globals, and Flask-WTF sets both.
    app.context_processor(lambda: {"csrf_token": _token_or_placeholder})
