"""Which sessions each feed holds, turned into calendar events, with caching.

A feed is identified by its kind and parameters. Three levels of cost:

- nothing was written in this process since the cached feed was checked, less
  than ``FRESH_FOR`` ago: the cached bytes, without a query;
- otherwise one aggregate query reads the feed's version (row counts, latest
  changes, the sum of session revisions); an unchanged version answers from the
  cached bytes without loading a single session;
- a changed version rebuilds the feed, reading again only the sessions that
  changed when nothing but sessions did (see ``_session_events``).

Benchmarked by ``bench/feeds.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Engine, Select, bindparam, event, func, or_, select
from sqlalchemy.orm import contains_eager

from catalog.catalogue.search import CatalogueFilters, listed_offering_ids
from catalog.database import utcnow
from catalog.extensions import db
from catalog.feeds.ical import AllDayEvent, CalendarInfo, TimedEvent, build_calendar
from catalog.models import (
    Course,
    CourseStatus,
    DeliveryMode,
    Enrolment,
    EnrolmentStatus,
    FeedToken,
    Offering,
    OfferingStatus,
    SessionStatus,
    TrainingSession,
    User,
    offering_instructors,
)

# Cancelled and past sessions stay in feeds this long after they end.
KEEP_AFTER_END = timedelta(days=30)
# SEQUENCE for all-day offering events: seconds since this moment at the last change,
# so it rises with every change without a column of its own.
_SEQUENCE_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
_CACHE_SIZE = 256


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str
    last_modified: datetime
    filename: str


# A cached feed is trusted without asking the database while nothing was written in
# this process since it was checked, for at most this long: writes made by other
# processes (other web workers, the scheduler) reach feeds within this time. Public
# feeds are cached by clients and proxies for ten minutes anyway.
FRESH_FOR = timedelta(seconds=5)


@dataclass
class _Entry:
    version: _Version
    feed: Feed
    checked: float  # time.monotonic() of the last version check
    generation: int  # _writes.generation at that check
    sessions: dict[int, TimedEvent] | None  # the session events, reused on a rebuild


class _Writes:
    """Counts committed transactions that wrote anything, in this process.

    Every engine's connections report INSERT, UPDATE, DELETE and TRUNCATE
    statements; a commit after one bumps ``generation``, and a cached feed checked
    under an older generation is checked again. A write the feeds never show costs
    one version query, nothing more.
    """

    _WRITE = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "MERGE")

    def __init__(self) -> None:
        self.generation = 0

    def statement(self, connection, cursor, statement, parameters, context, executemany):
        if statement.lstrip()[:8].upper().startswith(self._WRITE):
            connection.info["feeds_wrote"] = True

    def commit(self, connection) -> None:
        if connection.info.pop("feeds_wrote", False):
            self.generation += 1

    def rollback(self, connection) -> None:
        # A connection the database dropped is invalidated: reading its ``info``
        # would raise from inside the rollback (a 500 instead of the 503), and the
        # mark went with the dead connection anyway.
        if not connection.invalidated:
            connection.info.pop("feeds_wrote", None)


_writes = _Writes()
event.listen(Engine, "before_cursor_execute", _writes.statement)
event.listen(Engine, "commit", _writes.commit)
event.listen(Engine, "rollback", _writes.rollback)

_cache: OrderedDict[tuple, _Entry] = OrderedDict()
_cache_lock = threading.Lock()


def _remember(
    key: tuple,
    version: _Version,
    feed: Feed,
    generation: int,
    sessions: dict[int, TimedEvent] | None,
) -> Feed:
    with _cache_lock:
        _cache[key] = _Entry(version, feed, time.monotonic(), generation, sessions)
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return feed


def clear_cache() -> None:
    """Forget every cached feed and feed owner (tests; a process that restored its
    database)."""
    with _cache_lock:
        _cache.clear()
    with _owners_lock:
        _owners.clear()


def _unchanged_since(checked: float, generation: int) -> bool:
    """Nothing this process wrote since ``checked`` (under ``generation``), and less
    than FRESH_FOR ago, so other processes' writes are not overdue either."""
    return (
        generation == _writes.generation and time.monotonic() - checked < FRESH_FOR.total_seconds()
    )


def _fresh(key: tuple) -> Feed | None:
    """The cached feed when nothing can have changed since it was checked."""
    entry = _cache.get(key)
    if entry is not None and _unchanged_since(entry.checked, entry.generation):
        return entry.feed
    return None


def _cached(key: tuple, version: _Version, generation: int) -> Feed | None:
    """The cached feed when the data it shows is unchanged (the version matches)."""
    entry = _cache.get(key)
    if entry is not None and entry.version == version:
        with _cache_lock:
            entry.checked = time.monotonic()
            entry.generation = generation
            if key in _cache:
                _cache.move_to_end(key)
        return entry.feed
    return None


# --- Addresses ---------------------------------------------------------------------


# Where links point when there is no request to take the address from (jobs, CLI)
# and BASE_URL is not set: the development server.
DEFAULT_BASE_URL = "http://localhost:5000"


def site_root() -> str:
    base = current_app.config.get("BASE_URL")
    if not base:
        base = request.url_root if has_request_context() else DEFAULT_BASE_URL
    return base.rstrip("/")


def _site_key() -> str:
    """What a feed's links and UIDs depend on, read cheaply: part of every cache key
    (``site_root()`` builds the whole URL, too slow for a repeat request)."""
    base = current_app.config.get("BASE_URL")
    if base or not has_request_context():
        return base or DEFAULT_BASE_URL
    return f"{request.scheme}://{request.host}{request.root_path}"


def uid_domain() -> str:
    """The host part of every UID: from BASE_URL, so UIDs do not change with the
    address a client happened to use."""
    return urlsplit(site_root()).hostname or "localhost"


def absolute(endpoint: str, **values) -> str:
    """An absolute URL, in a request or not (scheduler jobs build links too)."""
    if has_request_context():
        return site_root() + url_for(endpoint, **values)
    root = urlsplit(site_root())
    adapter = current_app.url_map.bind(
        root.netloc, script_name=root.path or "/", url_scheme=root.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


# --- Events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Labels:
    """The words of every session event, translated once per feed (not per event)."""

    join: str
    where: str
    details: str
    online: str
    cancelled: str

    @classmethod
    def translated(cls) -> _Labels:
        return cls(
            join=_("Join online: %(link)s"),
            where=_("Where: %(place)s"),
            details=_("Details: %(url)s"),
            online=_("Online"),
            cancelled=_("Cancelled: %(summary)s"),
        )


@dataclass(frozen=True)
class _SessionFacts:
    """What a session event shows: one row of a feed's query, or an ORM session."""

    id: int
    offering_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    location: str
    online_url: str
    notes: str
    status: SessionStatus
    revision: int
    updated_at: datetime
    offering_status: OfferingStatus
    offering_venue: str
    offering_online: bool
    course_code: str
    course_title: str


_SESSION_COLUMNS = (
    TrainingSession.id,
    TrainingSession.offering_id,
    TrainingSession.title,
    TrainingSession.starts_at,
    TrainingSession.ends_at,
    TrainingSession.timezone,
    TrainingSession.location,
    TrainingSession.online_url,
    TrainingSession.notes,
    TrainingSession.status,
    TrainingSession.revision,
    TrainingSession.updated_at,
    Offering.status,
    Offering.venue,
    Offering.delivery_mode == DeliveryMode.REMOTE,
    Course.code,
    Course.title,
)


def _event(facts: _SessionFacts, page: str, labels: _Labels, domain: str) -> TimedEvent:
    lines = [f"{facts.course_code} {facts.course_title}"]
    if facts.online_url:
        lines.append(labels.join % {"link": facts.online_url})
    if facts.location:
        lines.append(labels.where % {"place": facts.location})
    if facts.notes:
        lines.append(facts.notes)
    lines.append(labels.details % {"url": page})
    cancelled = (
        facts.status == SessionStatus.CANCELLED or facts.offering_status == OfferingStatus.CANCELLED
    )
    # Every event has a LOCATION: a session without a room of its own or a link meets
    # at the offering's venue (or online, for a remote offering).
    where = facts.location or facts.online_url or facts.offering_venue
    if not where and facts.offering_online:
        where = labels.online
    return TimedEvent(
        uid=f"session-{facts.id}@{domain}",
        summary=f"{facts.course_code}: {facts.title}",
        description="\n".join(lines),
        url=page,
        location=where,
        starts_at=facts.starts_at,
        ends_at=facts.ends_at,
        timezone=facts.timezone,
        cancelled=cancelled,
        sequence=facts.revision,
        modified=facts.updated_at,
        conference_url=facts.online_url,
        cancelled_format=labels.cancelled,
    )


def session_event(session: TrainingSession, offering: Offering, domain: str) -> TimedEvent:
    """One session as an event (the feeds, the download and e-mail invitations agree)."""
    course = offering.course
    facts = _SessionFacts(
        id=session.id,
        offering_id=offering.id,
        title=session.title,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        timezone=session.timezone,
        location=session.location,
        online_url=session.online_url,
        notes=session.notes,
        status=session.status,
        revision=session.revision,
        updated_at=session.updated_at,
        offering_status=offering.status,
        offering_venue=offering.venue,
        offering_online=offering.is_online,
        course_code=course.code,
        course_title=course.title,
    )
    page = absolute("catalogue.offering", offering_id=offering.id)
    return _event(facts, page, _Labels.translated(), domain)


def offering_event(offering: Offering, domain: str) -> AllDayEvent:
    course = offering.course
    changed = max(offering.updated_at, course.updated_at)
    where = offering.venue if not offering.is_online else _("Online")
    return AllDayEvent(
        uid=f"offering-{offering.id}@{domain}",
        summary=f"{course.code} {course.title}",
        description=course.summary,
        url=absolute("catalogue.offering", offering_id=offering.id),
        location=where,
        first_day=offering.starts_on,
        last_day=offering.ends_on,
        cancelled=offering.status == OfferingStatus.CANCELLED
        or course.status == CourseStatus.CANCELLED,
        sequence=max(0, int((changed - _SEQUENCE_EPOCH).total_seconds())),
        modified=changed,
        cancelled_format=_("Cancelled: %(summary)s"),
    )


# --- Building any feed --------------------------------------------------------------------


def _window_start(now: datetime) -> datetime:
    return now - KEEP_AFTER_END


class _Version(NamedTuple):
    """What a feed shows, summed up by one query: equal versions, equal bytes."""

    offerings: int
    offerings_changed: datetime | None
    courses_changed: datetime | None
    sessions: int
    sessions_changed: datetime | None
    # Every saved change of a session raises its revision, so the sum moves even
    # when a late commit carries an updated-at older than the latest one seen.
    revisions: int
    window: date
    extra: tuple = ()

    def same_apart_from_sessions(self, other: _Version) -> bool:
        ignored = {"sessions": 0, "sessions_changed": None, "revisions": 0}
        return self._replace(**ignored) == other._replace(**ignored)

    def latest(self) -> datetime:
        moments = [
            value
            for value in (
                self.offerings_changed,
                self.courses_changed,
                self.sessions_changed,
                *self.extra,
            )
            if isinstance(value, datetime)
        ]
        return max(moments) if moments else _SEQUENCE_EPOCH


def _version(offering_ids: Select | list[int], session_filter, now: datetime, extra=()) -> _Version:
    """Counts and latest changes of everything the feed shows, in one query;
    ``extra`` adds scalar subqueries of the feed's own (such as its enrolments)."""
    in_feed = Offering.id.in_(offering_ids)
    current = [session_filter, TrainingSession.ends_at >= _window_start(now)]
    row = db.session.execute(
        select(
            select(func.count(Offering.id)).where(in_feed).scalar_subquery(),
            select(func.max(Offering.updated_at)).where(in_feed).scalar_subquery(),
            select(func.max(Course.updated_at))
            .join(Offering, Offering.course_id == Course.id)
            .where(in_feed)
            .scalar_subquery(),
            select(func.count(TrainingSession.id)).where(*current).scalar_subquery(),
            select(func.max(TrainingSession.updated_at)).where(*current).scalar_subquery(),
            select(func.coalesce(func.sum(TrainingSession.revision), 0))
            .where(*current)
            .scalar_subquery(),
            *extra,
        )
    ).one()
    values = _aware(row)
    return _Version(*values[:6], _window_start(now).date(), tuple(values[6:]))


def _aware(values) -> list:
    """Aggregates bypass the column type: SQLite hands back naive text or datetimes."""
    result = []
    for value in values:
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        result.append(value)
    return result


# A rebuild that would reload more changed sessions than this reloads them all.
_MOST_CHANGED = 500


def _session_events(
    session_filter,
    now: datetime,
    domain: str,
    version: _Version,
    previous: _Entry | None,
) -> dict[int, TimedEvent]:
    """The feed's sessions as events, by id in feed order (start, then id).

    When only sessions changed since the feed was last built, the events of the
    unchanged ones are kept: one light query lists the sessions with their
    revisions, and only new, changed or recently updated ones are read in full.
    Anything else (an offering, a course, an enrolment, the day) reads them all.
    """
    current = [session_filter, TrainingSession.ends_at >= _window_start(now)]
    labels = _Labels.translated()
    pages: dict[int, str] = {}

    def event(row) -> TimedEvent:
        facts = _SessionFacts(*row)
        page = pages.get(facts.offering_id)
        if page is None:
            page = pages[facts.offering_id] = absolute(
                "catalogue.offering", offering_id=facts.offering_id
            )
        return _event(facts, page, labels, domain)

    def rows(*conditions):
        return db.session.execute(
            select(*_SESSION_COLUMNS)
            .join(TrainingSession.offering)
            .join(Offering.course)
            .where(*conditions)
            .order_by(TrainingSession.starts_at, TrainingSession.id)
        )

    kept = previous.sessions if previous is not None else None
    since = previous.version.sessions_changed if previous is not None else None
    if kept is None or since is None or not previous.version.same_apart_from_sessions(version):
        return {row[0]: event(row) for row in rows(*current)}
    listing = db.session.execute(
        select(
            TrainingSession.id, TrainingSession.revision, TrainingSession.updated_at >= since
        ).where(*current)
    ).all()
    changed = [
        session_id
        for session_id, revision, recent in listing
        if recent or session_id not in kept or kept[session_id].sequence != revision
    ]
    if len(changed) > _MOST_CHANGED:
        return {row[0]: event(row) for row in rows(*current)}
    fresh = {row[0]: event(row) for row in rows(TrainingSession.id.in_(changed))}
    events = [fresh.get(session_id) or kept[session_id] for session_id, _r, _n in listing]
    events.sort(key=lambda item: (item.starts_at, _session_id(item)))
    return {_session_id(item): item for item in events}


def _session_id(item: TimedEvent) -> int:
    return int(item.uid.split("@", 1)[0].removeprefix("session-"))


def _build(
    key: tuple,
    version: _Version,
    info: CalendarInfo,
    events: list,
    filename: str,
    now: datetime,
    generation: int,
    sessions: dict[int, TimedEvent] | None = None,
) -> Feed:
    body = build_calendar(info, events)
    etag = hashlib.sha256(body).hexdigest()
    last_modified = version.latest()
    previous = _cache.get(key)
    if previous is not None:
        before = previous.feed
        if before.etag != etag and last_modified <= before.last_modified:
            # The bytes changed but no row's updated-at moved past what was last sent:
            # something left the feed (a person stopped teaching an offering, a session
            # aged out of the window) and no row records when. Date the change now, or
            # a client sending If-Modified-Since would be told nothing changed. Only
            # this process knows; a process that never built the old feed falls back
            # on the data's date until the next change.
            last_modified = max(now, before.last_modified + timedelta(seconds=1))
    feed = Feed(body=body, etag=etag, last_modified=last_modified, filename=filename)
    return _remember(key, version, feed, generation, sessions)


# --- The three feeds ------------------------------------------------------------------------


def offering_feed(
    offering: Offering, now: datetime | None = None, *, lang: str | None = None
) -> Feed:
    """An offering's sessions, in the current locale. ``lang`` is the language the
    address asked for (``?lang=fr``), repeated in the calendar's source address."""
    # The language is part of every key: an English and a French feed never share a
    # body or an ETag (the locale for the words, ``lang`` for the source address).
    key = ("offering", offering.id, _site_key(), str(get_locale()), lang)
    if now is None and (fresh := _fresh(key)):
        return fresh
    domain = uid_domain()
    now = now or utcnow()
    generation = _writes.generation
    ids = select(Offering.id).where(Offering.id == offering.id)
    session_filter = TrainingSession.offering_id == offering.id
    version = _version(ids, session_filter, now)
    if cached := _cached(key, version, generation):
        return cached
    course = offering.course
    info = CalendarInfo(
        uid=f"calendar-offering-{offering.id}@{domain}",
        name=f"{course.code} {course.title} ({offering.starts_on:%Y-%m-%d})",
        description=_("Sessions of %(title)s.", title=course.title),
        source_url=absolute("feeds.offering_feed_view", offering_id=offering.id, lang=lang),
        timezone=offering.timezone,
    )
    sessions = _session_events(session_filter, now, domain, version, _cache.get(key))
    filename = f"offering-{offering.id}.ics"
    events = list(sessions.values())
    return _build(key, version, info, events, filename, now, generation, sessions)


def catalogue_feed(
    filters: CatalogueFilters, now: datetime | None = None, *, lang: str | None = None
) -> Feed:
    """Published offerings matching ``filters`` and their sessions, in the current
    locale; ``lang`` as for ``offering_feed``."""
    filtered = tuple(sorted(filters.active.items()))
    key = ("catalogue", filtered, _site_key(), str(get_locale()), lang)
    if now is None and (fresh := _fresh(key)):
        return fresh
    domain = uid_domain()
    now = now or utcnow()
    generation = _writes.generation
    since = CatalogueFilters(**{**filters.__dict__, "date_from": _window_start(now).date()})
    ids = listed_offering_ids(since, now)
    session_filter = TrainingSession.offering_id.in_(ids)
    version = _version(ids, session_filter, now)
    if cached := _cached(key, version, generation):
        return cached
    offerings = list(
        db.session.scalars(
            select(Offering)
            .join(Offering.course)
            .where(Offering.id.in_(ids))
            .options(contains_eager(Offering.course))
            .order_by(Offering.starts_on, Offering.id)
        )
    )
    events: list = [offering_event(o, domain) for o in offerings]
    sessions = _session_events(session_filter, now, domain, version, _cache.get(key))
    events += sessions.values()
    info = CalendarInfo(
        uid=f"calendar-catalogue-{_digest(key[1])}@{domain}",  # from the filters alone
        name=_("Peacekeeping training"),
        description=_("Offerings and sessions of the Peacekeeping Training Catalogue."),
        source_url=absolute("feeds.catalogue_feed_view", **filters.active, lang=lang),
    )
    return _build(key, version, info, events, "catalogue.ics", now, generation, sessions)


def personal_feed(user: User | FeedOwner, now: datetime | None = None) -> Feed:
    """Sessions of the offerings where the person is confirmed, and those they teach."""
    key = ("personal", user.id, _site_key(), str(get_locale()))
    if now is None and (fresh := _fresh(key)):
        return fresh
    domain = uid_domain()
    now = now or utcnow()
    generation = _writes.generation
    confirmed = select(Enrolment.offering_id).where(
        Enrolment.user_id == user.id, Enrolment.status == EnrolmentStatus.CONFIRMED
    )
    teaching = select(offering_instructors.c.offering_id).where(
        offering_instructors.c.user_id == user.id
    )
    visible = select(Offering.id).where(
        Offering.status != OfferingStatus.DRAFT,
        or_(Offering.id.in_(confirmed), Offering.id.in_(teaching)),
    )
    # The offerings' ids first (a few rows by index): with the ids written into the
    # session conditions PostgreSQL combines two index scans, where the subquery
    # made it scan the whole sessions table, so every feed cost as much as all.
    visible = list(db.session.scalars(visible))
    session_filter = or_(
        TrainingSession.offering_id.in_(visible), TrainingSession.instructor_id == user.id
    )
    # Enrolments count even when they leave the feed (a withdrawal changes a row).
    own_enrolments = Enrolment.user_id == user.id
    enrolments_changed = (
        select(func.count(Enrolment.id)).where(own_enrolments).scalar_subquery(),
        select(func.max(Enrolment.updated_at)).where(own_enrolments).scalar_subquery(),
    )
    version = _version(visible, session_filter, now, enrolments_changed)
    if cached := _cached(key, version, generation):
        return cached
    info = CalendarInfo(
        uid=f"calendar-person-{user.id}@{domain}",
        name=_("My peacekeeping training"),
        description=_("Sessions of the training you take or teach."),
        source_url="",  # the address holds a secret; not repeated inside the file
        timezone=user.timezone,
    )
    sessions = _session_events(session_filter, now, domain, version, _cache.get(key))
    events = list(sessions.values())
    return _build(key, version, info, events, "my-training.ics", now, generation, sessions)


def single_session_file(session: TrainingSession) -> bytes:
    """One session as a file for "Add to calendar" (same UID and SEQUENCE as feeds)."""
    domain = uid_domain()
    offering = session.offering
    info = CalendarInfo(
        uid=f"calendar-session-{session.id}@{domain}",
        name=f"{offering.course.code}: {session.title}",
        description=offering.course.title,
        source_url="",
        timezone=session.timezone,
    )
    return build_calendar(info, [session_event(session, offering, domain)])


def _digest(key: tuple) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()[:16]


# --- Personal feed tokens ----------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_for(row: FeedToken) -> str:
    """The secret of a feed address, derived from the row's nonce and the server key."""
    key = (current_app.config.get("FEED_TOKEN_KEY") or current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, row.nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()  # 192 bits


def issue_token(user: User, label: str = "") -> FeedToken:
    """A new personal feed address; the caller commits."""
    row = FeedToken(user=user, nonce=secrets.token_urlsafe(32), label=label.strip()[:80])
    row.token_hash = hash_token(token_for(row))
    db.session.add(row)
    return row


def live_tokens(user: User) -> list[FeedToken]:
    return list(
        db.session.scalars(
            select(FeedToken)
            .where(FeedToken.user_id == user.id, FeedToken.revoked_at.is_(None))
            .order_by(FeedToken.created_at, FeedToken.id)
        )
    )


class FeedOwner(NamedTuple):
    """What a personal feed needs of its owner."""

    id: int
    language: str | None
    timezone: str


_OWNER_BY_TOKEN = (
    select(User.id, User.language, User.timezone)
    .join(FeedToken, FeedToken.user_id == User.id)
    .where(
        FeedToken.token_hash == bindparam("token_hash"),
        FeedToken.revoked_at.is_(None),
        User.active.is_(True),
    )
)


@dataclass(frozen=True)
class _KnownOwner:
    owner: FeedOwner
    checked: float
    generation: int


# Owners of addresses asked for lately, by token hash: calendar apps repeat the same
# address all day, and a repeat answered with a 304 should cost no query. Only live
# tokens are kept (unknown ones would let anyone fill the memory); a revocation or
# deactivation shows at once in this process and within FRESH_FOR in the others,
# as the feeds themselves do.
_owners: OrderedDict[str, _KnownOwner] = OrderedDict()
_owners_lock = threading.Lock()
KNOWN_OWNERS = 10_000


def feed_owner_for_token(token: str) -> FeedOwner | None:
    """The active owner of a live token, or None (unknown, revoked, inactive)."""
    if not token or len(token) > 100:
        return None
    token_hash = hash_token(token)
    with _owners_lock:
        known = _owners.get(token_hash)
    if known is not None and _unchanged_since(known.checked, known.generation):
        return known.owner
    generation = _writes.generation
    row = db.session.execute(_OWNER_BY_TOKEN, {"token_hash": token_hash}).first()
    with _owners_lock:
        if row is None:
            _owners.pop(token_hash, None)
            return None
        owner = FeedOwner(*row)
        _owners[token_hash] = _KnownOwner(owner, time.monotonic(), generation)
        _owners.move_to_end(token_hash)
        while len(_owners) > KNOWN_OWNERS:
            _owners.popitem(last=False)
    return owner


def revoke_token(user: User, token_id: int) -> bool:
    row = db.session.get(FeedToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True
