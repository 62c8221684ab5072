"""Which sessions each feed holds, turned into calendar events, with caching.

A feed is identified by its kind and parameters. Before building, one aggregate
query reads the feed's version (row counts and latest changes); an unchanged
version answers from the cached bytes without loading a single session, so
repeat requests and 304s stay cheap however large the feed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import contains_eager

from catalog.catalogue.search import CatalogueFilters, listed_offering_ids
from catalog.database import utcnow
from catalog.extensions import db
from catalog.feeds.ical import AllDayEvent, CalendarInfo, TimedEvent, build_calendar
from catalog.models import (
    Course,
    CourseStatus,
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


_cache: OrderedDict[tuple, tuple[tuple, Feed]] = OrderedDict()


def _remember(key: tuple, version: tuple, feed: Feed) -> Feed:
    _cache[key] = (version, feed)
    _cache.move_to_end(key)
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return feed


def clear_cache() -> None:
    """Forget every cached feed (tests; a process that restored its database)."""
    _cache.clear()


def _cached(key: tuple, version: tuple) -> Feed | None:
    hit = _cache.get(key)
    if hit is not None and hit[0] == version:
        _cache.move_to_end(key)
        return hit[1]
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


def session_event(session: TrainingSession, offering: Offering, domain: str) -> TimedEvent:
    course = offering.course
    page = absolute("catalogue.offering", offering_id=offering.id)
    lines = [f"{course.code} {course.title}"]
    if session.online_url:
        lines.append(_("Join online: %(link)s", link=session.online_url))
    if session.location:
        lines.append(_("Where: %(place)s", place=session.location))
    if session.notes:
        lines.append(session.notes)
    lines.append(_("Details: %(url)s", url=page))
    cancelled = (
        session.status == SessionStatus.CANCELLED or offering.status == OfferingStatus.CANCELLED
    )
    return TimedEvent(
        uid=f"session-{session.id}@{domain}",
        summary=f"{course.code}: {session.title}",
        description="\n".join(lines),
        url=page,
        location=session.location or session.online_url,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        timezone=session.timezone,
        cancelled=cancelled,
        sequence=session.revision,
        modified=session.updated_at,
        conference_url=session.online_url,
    )


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
    )


# --- Building any feed --------------------------------------------------------------------


def _window_start(now: datetime) -> datetime:
    return now - KEEP_AFTER_END


def _version(offering_ids: Select, session_filter, now: datetime, extra=()) -> tuple:
    """Counts and latest changes of everything the feed shows, in one query."""
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
        )
    ).one()
    return (*_aware(row), _window_start(now).date(), *_aware(extra))


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


def _sessions(session_filter, now: datetime) -> list[TrainingSession]:
    return list(
        db.session.scalars(
            select(TrainingSession)
            .join(TrainingSession.offering)
            .join(Offering.course)
            .where(session_filter, TrainingSession.ends_at >= _window_start(now))
            .options(
                contains_eager(TrainingSession.offering).contains_eager(Offering.course)
            )
            .order_by(TrainingSession.starts_at, TrainingSession.id)
        )
    )


def _latest(version: tuple) -> datetime:
    moments = [v for v in version if isinstance(v, datetime)]
    return max(moments) if moments else _SEQUENCE_EPOCH


def _build(
    key: tuple,
    version: tuple,
    info: CalendarInfo,
    events: list,
    filename: str,
) -> Feed:
    body = build_calendar(info, events)
    feed = Feed(
        body=body,
        etag=hashlib.sha256(body).hexdigest(),
        last_modified=_latest(version),
        filename=filename,
    )
    return _remember(key, version, feed)


# --- The three feeds ------------------------------------------------------------------------


def offering_feed(offering: Offering, now: datetime | None = None) -> Feed:
    now = now or utcnow()
    domain = uid_domain()
    ids = select(Offering.id).where(Offering.id == offering.id)
    session_filter = TrainingSession.offering_id == offering.id
    key = ("offering", offering.id, domain, str(get_locale()))
    version = _version(ids, session_filter, now)
    cached = _cached(key, version)
    if cached:
        return cached
    course = offering.course
    info = CalendarInfo(
        uid=f"calendar-offering-{offering.id}@{domain}",
        name=f"{course.code} {course.title} ({offering.starts_on:%Y-%m-%d})",
        description=_("Sessions of %(title)s.", title=course.title),
        source_url=absolute("feeds.offering_feed_view", offering_id=offering.id),
        timezone=offering.timezone,
    )
    events = [session_event(s, offering, domain) for s in _sessions(session_filter, now)]
    return _build(key, version, info, events, f"offering-{offering.id}.ics")


def catalogue_feed(filters: CatalogueFilters, now: datetime | None = None) -> Feed:
    now = now or utcnow()
    domain = uid_domain()
    since = CatalogueFilters(**{**filters.__dict__, "date_from": _window_start(now).date()})
    ids = listed_offering_ids(since, now)
    session_filter = TrainingSession.offering_id.in_(ids)
    key = ("catalogue", tuple(sorted(filters.active.items())), domain, str(get_locale()))
    version = _version(ids, session_filter, now)
    cached = _cached(key, version)
    if cached:
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
    events += [session_event(s, s.offering, domain) for s in _sessions(session_filter, now)]
    info = CalendarInfo(
        uid=f"calendar-catalogue-{_digest(key)}@{domain}",
        name=_("Peacekeeping training"),
        description=_("Offerings and sessions of the Peacekeeping Training Catalogue."),
        source_url=absolute("feeds.catalogue_feed_view", **filters.active),
    )
    return _build(key, version, info, events, "catalogue.ics")


def personal_feed(user: User, now: datetime | None = None) -> Feed:
    """Sessions of the offerings where the person is confirmed, and those they teach."""
    now = now or utcnow()
    domain = uid_domain()
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
    session_filter = or_(
        TrainingSession.offering_id.in_(visible), TrainingSession.instructor_id == user.id
    )
    enrolments_changed = db.session.execute(
        select(func.count(Enrolment.id), func.max(Enrolment.updated_at)).where(
            Enrolment.user_id == user.id
        )
    ).one()
    key = ("personal", user.id, domain, str(get_locale()))
    version = _version(visible, session_filter, now, tuple(enrolments_changed))
    cached = _cached(key, version)
    if cached:
        return cached
    info = CalendarInfo(
        uid=f"calendar-person-{user.id}@{domain}",
        name=_("My peacekeeping training"),
        description=_("Sessions of the training you take or teach."),
        source_url="",  # the address holds a secret; not repeated inside the file
        timezone=user.timezone,
    )
    events = [session_event(s, s.offering, domain) for s in _sessions(session_filter, now)]
    return _build(key, version, info, events, "my-training.ics")


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


def user_for_token(token: str) -> User | None:
    """The active owner of a live token, or None (unknown, revoked, inactive)."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalar(
        select(FeedToken).where(
            FeedToken.token_hash == hash_token(token), FeedToken.revoked_at.is_(None)
        )
    )
    if row is None or not row.user.active:
        return None
    return row.user


def revoke_token(user: User, token_id: int) -> bool:
    row = db.session.get(FeedToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True
