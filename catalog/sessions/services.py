"""Scheduling rules for an offering's sessions: one at a time or as a weekly or daily
series, moved, cancelled and restored.

Views and tests call these functions. Like the other services they change the
database session and flush, but never commit: the caller owns the transaction.

Three kinds of refusal:

- ``InvalidValues``: values that cannot be saved (an end before the start, a time
  that does not exist on a daylight-saving day, a link that is not https...), each
  problem tied to the form field it belongs to;
- ``NeedsConfirmation``: values that can be saved but look wrong (outside the
  offering's dates, the instructor already teaching then); the caller saves them
  by passing the kinds of warnings it accepts in ``override``;
- ``StatusError``: a cancel or restore that makes no sense.

Times are entered as a local date and time in an IANA zone and stored in UTC with
the zone beside them. Each saved change of a session raises its ``revision``, which
calendar feeds publish as SEQUENCE.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from catalog.catalogue.rules import Problem
from catalog.extensions import db
from catalog.manage.services import InvalidValues, StatusError
from catalog.models import (
    Offering,
    OfferingStatus,
    Role,
    SessionStatus,
    TrainingSession,
    User,
)
from catalog.notifications import notices
from catalog.templating import time_span
from catalog.timeutil import is_valid_timezone

# One series makes at most this many sessions: enough for a six-month course that
# meets every weekday, and a bound on what one form can write.
MAX_OCCURRENCES = 200

# The kinds of warning a person may override with "Save anyway".
OUTSIDE_DATES = "outside_dates"
OVERLAP = "overlap"
WARNING_KINDS = (OUTSIDE_DATES, OVERLAP)

DAILY = "daily"
WEEKLY = "weekly"
FREQUENCIES = (DAILY, WEEKLY)

# Conflicts listed in one warning before "and N more".
LISTED_CONFLICTS = 5

HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class NeedsConfirmation(Exception):
    """Values that can be saved but look wrong; ``warnings`` says why."""

    def __init__(self, warnings: list[ScheduleWarning]):
        super().__init__("; ".join(f"{w.kind}: {w.message}" for w in warnings))
        self.warnings = warnings

    @property
    def kinds(self) -> set[str]:
        return {warning.kind for warning in self.warnings}


class LocalTimeError(ValueError):
    """A local time that does not exist, or happens twice, in its zone."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ScheduleWarning:
    kind: str  # OUTSIDE_DATES or OVERLAP
    message: str


@dataclass
class SessionValues:
    """What a person can set on one session (never its status or revision).

    The start and end are local wall-clock times in ``timezone``; ``end_date``
    empty means the session ends on the day it starts.
    """

    title: str
    start_date: date
    start_time: time
    end_time: time
    timezone: str
    end_date: date | None = None
    location: str = ""
    online_url: str = ""
    instructor_id: int | None = None
    notes: str = ""


@dataclass
class SeriesValues:
    """A weekly or daily series: the same local times on every chosen day from
    ``first_date`` to ``until`` (both included), except the dates in ``exceptions``.

    ``weekdays`` are Python's numbers (Monday is 0) and matter for weekly series only.
    """

    title: str
    first_date: date
    until: date
    start_time: time
    end_time: time
    timezone: str
    frequency: str = WEEKLY
    weekdays: Collection[int] = ()
    exceptions: Collection[date] = ()
    location: str = ""
    online_url: str = ""
    instructor_id: int | None = None
    notes: str = ""


# --- Who may teach a session ------------------------------------------------------------


def instructor_choices(offering: Offering, keep_id: int | None = None) -> list[User]:
    """The people a session of ``offering`` may name as its instructor: the offering's
    active instructors, plus ``keep_id`` (a session's current instructor), so editing
    an old session never forces a change of instructor."""
    people = [
        user
        for user in offering.instructors
        if (user.active and Role.INSTRUCTOR in user.roles) or user.id == keep_id
    ]
    if keep_id is not None and all(user.id != keep_id for user in people):
        kept = db.session.get(User, keep_id)
        if kept is not None:
            people.append(kept)
    return sorted(people, key=lambda user: (user.name, user.email))


# --- Local times ------------------------------------------------------------------------


def _day_text(day: date) -> str:
    return format_date(day, "d MMMM y")


def _clock(moment: datetime | time) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _clock_change(zone: ZoneInfo, low: datetime, high: datetime) -> tuple[str, str]:
    """The wall-clock times either side of ``zone``'s one change of offset between the
    UTC instants ``low`` and ``high``, e.g. ("02:00", "03:00") when clocks go forward.

    Bisects to the first instant with the new offset; the old offset read at that
    instant gives the time the clocks showed as they changed.
    """
    old_offset = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == old_offset:
            low = middle
        else:
            high = middle
    change = high.replace(microsecond=0)
    before = change.replace(tzinfo=None) + old_offset
    return _clock(before), _clock(change.astimezone(zone))


def local_to_utc(day: date, at: time, zone_name: str) -> datetime:
    """``day`` at ``at`` on the wall clocks of ``zone_name``, as an aware UTC datetime.

    Raises ``LocalTimeError`` when that time does not exist (the clocks jump over it
    when daylight saving starts) or happens twice (they go back over it when it ends),
    with a message that says so: guessing would put people in the room an hour early
    or late.
    """
    zone = ZoneInfo(zone_name)
    local = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=zone)
    try:
        moment = local.astimezone(UTC)
        other = local.replace(fold=1).astimezone(UTC)
        round_trip = moment.astimezone(zone)
    except OverflowError:
        raise LocalTimeError(
            _("%(day)s is too far in the past or the future.", day=day.isoformat())
        ) from None
    values = {"time": _clock(at), "day": _day_text(day), "zone": zone_name}
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        # In a gap, fold 0 and fold 1 read the wall clock with the offsets from
        # either side of the change, so the change lies between the two readings.
        before, after = _clock_change(zone, min(moment, other), max(moment, other))
        raise LocalTimeError(
            _(
                "%(time)s on %(day)s does not exist in %(zone)s: clocks go forward "
                "from %(before)s to %(after)s.",
                before=before,
                after=after,
                **values,
            )
        )
    if moment != other:
        before, after = _clock_change(zone, min(moment, other), max(moment, other))
        raise LocalTimeError(
            _(
                "%(time)s on %(day)s happens twice in %(zone)s: clocks go back "
                "from %(before)s to %(after)s.",
                before=before,
                after=after,
                **values,
            )
        )
    return moment


# --- Field rules --------------------------------------------------------------------------


def online_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a session's online meeting link, or None when it can.

    Only https links to a named host: no http (the meeting would be joined in the
    clear), no javascript: or data: links, no ``user@host`` disguises.
    """
    if not url:
        return None
    refusal = _("Give an https:// link to the meeting, such as https://meet.example.org/abc.")
    if not url.lower().startswith("https://") or any(ch.isspace() for ch in url):
        return refusal
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return refusal
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return refusal
    host = parts.hostname or ""
    if "@" in parts.netloc or "\\" in url:
        return _("The link must not contain a user name or password.")
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return refusal
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(HOST_LABEL.match(label) for label in labels):
        return _("The link needs a host name, such as https://meet.example.org/abc.")
    return None


def _text_problems(title: str, location: str, online_url: str) -> list[Problem]:
    problems = []
    if not title:
        problems.append(Problem("title", _("Enter a title.")))
    elif len(title) > 200:
        problems.append(Problem("title", _("Use at most 200 characters.")))
    if len(location) > 200:
        problems.append(Problem("location", _("Use at most 200 characters.")))
    if len(online_url) > 500:
        problems.append(Problem("online_url", _("Use at most 500 characters.")))
    else:
        message = online_url_problem(online_url)
        if message:
            problems.append(Problem("online_url", message))
    return problems


def _instructor_problems(
    offering: Offering, instructor_id: int | None, keep_id: int | None = None
) -> list[Problem]:
    if instructor_id is None:
        return []
    if instructor_id not in {user.id for user in instructor_choices(offering, keep_id)}:
        return [Problem("instructor_id", _("Choose one of the offering's instructors, or nobody."))]
    return []


def _zone_problems(zone: str) -> list[Problem]:
    if not is_valid_timezone(zone):
        return [Problem("timezone", _("Choose a time zone from the list, such as Africa/Nairobi."))]
    return []


@dataclass(frozen=True)
class _Planned:
    """Checked values for one session, times in UTC."""

    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    location: str
    online_url: str
    instructor_id: int | None
    notes: str


def _plan_session(
    offering: Offering, values: SessionValues, keep_instructor_id: int | None = None
) -> _Planned:
    """Normalise and check ``values``; raise InvalidValues listing every problem."""
    title = (values.title or "").strip()
    location = (values.location or "").strip()
    online_url = (values.online_url or "").strip()
    zone = (values.timezone or "").strip()
    problems = _text_problems(title, location, online_url)
    problems += _instructor_problems(offering, values.instructor_id, keep_instructor_id)
    problems += _zone_problems(zone)
    starts_at = ends_at = None
    if is_valid_timezone(zone):
        try:
            starts_at = local_to_utc(values.start_date, values.start_time, zone)
        except LocalTimeError as error:
            problems.append(Problem("start_time", error.message))
        try:
            ends_at = local_to_utc(values.end_date or values.start_date, values.end_time, zone)
        except LocalTimeError as error:
            problems.append(Problem("end_time", error.message))
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        problems.append(Problem("end_time", _("The session must end after it starts.")))
    if problems:
        raise InvalidValues(problems)
    return _Planned(
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=zone,
        location=location,
        online_url=online_url,
        instructor_id=values.instructor_id,
        notes=values.notes or "",
    )


def session_problems(
    offering: Offering, values: SessionValues, session: TrainingSession | None = None
) -> list[Problem]:
    """Everything that stops ``values`` being saved (warnings aside)."""
    try:
        _plan_session(offering, values, session.instructor_id if session else None)
    except InvalidValues as error:
        return error.problems
    return []


# --- Warnings ------------------------------------------------------------------------------


def _offering_window(offering: Offering) -> tuple[datetime, datetime]:
    """From the start of the first day to the end of the last, in the offering's zone."""
    return (
        offering.local_midnight(offering.starts_on),
        offering.local_midnight(offering.ends_on + timedelta(days=1)),
    )


def _outside_warning(
    offering: Offering, spans: list[tuple[datetime, datetime]]
) -> ScheduleWarning | None:
    opens, closes = _offering_window(offering)
    outside = [start for start, end in spans if start < opens or end > closes]
    if not outside:
        return None
    zone = ZoneInfo(offering.timezone)
    dates = {
        "dates": f"{_day_text(offering.starts_on)} – {_day_text(offering.ends_on)}",
        "zone": offering.timezone,
    }
    if len(spans) == 1:
        message = _("This session is outside the offering's dates (%(dates)s, %(zone)s).", **dates)
    else:
        message = ngettext(
            "%(num)d session of the series is outside the offering's dates "
            "(%(dates)s, %(zone)s): %(list)s.",
            "%(num)d sessions of the series are outside the offering's dates "
            "(%(dates)s, %(zone)s): %(list)s.",
            len(outside),
            list=_listed([_day_text(start.astimezone(zone).date()) for start in outside]),
            **dates,
        )
    return ScheduleWarning(OUTSIDE_DATES, message)


def _listed(items: list[str]) -> str:
    shown = ", ".join(items[:LISTED_CONFLICTS])
    if len(items) > LISTED_CONFLICTS:
        more = len(items) - LISTED_CONFLICTS
        shown += " " + ngettext("and %(num)d more", "and %(num)d more", more)
    return shown


def find_overlaps(
    instructor_id: int,
    spans: list[tuple[datetime, datetime]],
    exclude_id: int | None = None,
) -> list[TrainingSession]:
    """The instructor's scheduled sessions, in any offering, that overlap any of
    ``spans`` (sessions that merely touch, one ending as the next starts, do not)."""
    if not spans:
        return []
    first = min(start for start, _end in spans)
    last = max(end for _start, end in spans)
    statement = (
        select(TrainingSession)
        .where(
            TrainingSession.instructor_id == instructor_id,
            TrainingSession.status == SessionStatus.SCHEDULED,
            TrainingSession.starts_at < last,
            TrainingSession.ends_at > first,
        )
        .options(joinedload(TrainingSession.offering).joinedload(Offering.course))
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    )
    if exclude_id is not None:
        statement = statement.where(TrainingSession.id != exclude_id)
    # One query for the whole window; a series then is checked in memory.
    candidates = db.session.scalars(statement).unique()
    return [
        other
        for other in candidates
        if any(other.starts_at < end and other.ends_at > start for start, end in spans)
    ]


def _overlap_warning(
    instructor_id: int | None,
    spans: list[tuple[datetime, datetime]],
    exclude_id: int | None = None,
) -> ScheduleWarning | None:
    if instructor_id is None:
        return None
    conflicts = find_overlaps(instructor_id, spans, exclude_id)
    if not conflicts:
        return None
    instructor = db.session.get(User, instructor_id)
    described = [
        f"{other.title} ({other.offering.course.code}, "
        f"{time_span(other.starts_at, other.ends_at, other.timezone)})"
        for other in conflicts
    ]
    message = ngettext(
        "%(name)s already teaches at this time: %(list)s.",
        "%(name)s already teaches %(num)d sessions at these times: %(list)s.",
        len(conflicts),
        name=instructor.name if instructor else "",
        list=_listed(described),
    )
    return ScheduleWarning(OVERLAP, message)


def _confirm(warnings: Iterable[ScheduleWarning | None], override: Collection[str]) -> None:
    """Raise NeedsConfirmation for the warnings whose kind is not in ``override``."""
    pending = [w for w in warnings if w is not None and w.kind not in override]
    if pending:
        raise NeedsConfirmation(pending)


# --- One session ---------------------------------------------------------------------------


def _refuse_if_cancelled(offering: Offering) -> None:
    if offering.status == OfferingStatus.CANCELLED:
        raise StatusError(
            _("This offering is cancelled; reinstate it before scheduling its sessions.")
        )


def _apply(session: TrainingSession, planned: _Planned) -> bool:
    """Copy ``planned`` onto ``session``; whether anything changed."""
    changed = False
    for name in (
        "title",
        "starts_at",
        "ends_at",
        "timezone",
        "location",
        "online_url",
        "instructor_id",
        "notes",
    ):
        value = getattr(planned, name)
        if getattr(session, name) != value:
            setattr(session, name, value)
            changed = True
    return changed


def _calendar_facts(session: TrainingSession) -> tuple:
    """What a trainee's plans hang on: when, in which zone, and where."""
    return (
        session.starts_at,
        session.ends_at,
        session.timezone,
        session.location,
        session.online_url,
    )


def _tell_trainees(session: TrainingSession, change: str) -> None:
    """Confirmed trainees of a published offering hear of added, moved and cancelled
    sessions, with a calendar invitation or cancellation (same UID as the feeds)."""
    if session.offering.status == OfferingStatus.PUBLISHED:
        notices.session_changed(session, change)


def _bump(session: TrainingSession) -> None:
    """Raise the revision in the UPDATE itself (``revision = revision + 1``), so two
    edits saved at once still give two increments; calendar clients only take a change
    whose SEQUENCE is higher than the one they hold."""
    session.revision = TrainingSession.revision + 1


def create_session(
    offering: Offering, values: SessionValues, *, override: Collection[str] = ()
) -> TrainingSession:
    """A new scheduled session of ``offering``.

    Raises InvalidValues, or NeedsConfirmation when it falls outside the offering's
    dates or its instructor already teaches then, unless ``override`` names that kind.
    """
    _refuse_if_cancelled(offering)
    planned = _plan_session(offering, values)
    span = [(planned.starts_at, planned.ends_at)]
    _confirm(
        [_outside_warning(offering, span), _overlap_warning(planned.instructor_id, span)],
        override,
    )
    session = TrainingSession(offering=offering, status=SessionStatus.SCHEDULED, revision=0)
    _apply(session, planned)
    db.session.add(session)
    db.session.flush()
    _tell_trainees(session, "added")
    return session


def update_session(
    session: TrainingSession, values: SessionValues, *, override: Collection[str] = ()
) -> bool:
    """Edit or move ``session``; its status stays. Returns whether anything changed.

    Any change raises the revision by one (every field can reach a calendar: the
    title as its summary, notes and instructor in its description). Warnings are
    about what changes: a move is checked against the offering's dates and the
    instructor's other sessions, a notes-only edit is not. A cancelled session
    holds nobody's time, so it is not checked for overlaps until it is restored.
    """
    offering = session.offering
    planned = _plan_session(offering, values, session.instructor_id)
    moved = (planned.starts_at, planned.ends_at) != (session.starts_at, session.ends_at)
    span = [(planned.starts_at, planned.ends_at)]
    if session.status == SessionStatus.SCHEDULED:
        warnings = []
        if moved:
            warnings.append(_outside_warning(offering, span))
        if moved or planned.instructor_id != session.instructor_id:
            warnings.append(_overlap_warning(planned.instructor_id, span, session.id))
        _confirm(warnings, override)
    before = _calendar_facts(session)
    if not _apply(session, planned):
        return False
    _bump(session)
    db.session.flush()
    if session.status == SessionStatus.SCHEDULED and _calendar_facts(session) != before:
        _tell_trainees(session, "moved")
    return True


def cancel_session(session: TrainingSession) -> None:
    """Mark ``session`` cancelled, keeping it, so calendar feeds can tell subscribers."""
    if session.status == SessionStatus.CANCELLED:
        raise StatusError(_("This session is already cancelled."))
    session.status = SessionStatus.CANCELLED
    _bump(session)
    db.session.flush()
    _tell_trainees(session, "cancelled")


def restore_session(session: TrainingSession) -> list[ScheduleWarning]:
    """Schedule a cancelled session again. Returns what deserves a look now that it
    takes place after all (outside the dates, an instructor already busy), without
    refusing: the person restoring it sees the warnings and can move it."""
    if session.status != SessionStatus.CANCELLED:
        raise StatusError(_("Only a cancelled session can be restored."))
    _refuse_if_cancelled(session.offering)
    span = [(session.starts_at, session.ends_at)]
    warnings = [
        warning
        for warning in (
            _outside_warning(session.offering, span),
            _overlap_warning(session.instructor_id, span, session.id),
        )
        if warning is not None
    ]
    session.status = SessionStatus.SCHEDULED
    _bump(session)
    db.session.flush()
    _tell_trainees(session, "added")
    return warnings


# --- Series --------------------------------------------------------------------------------


def parse_dates(text: str) -> list[date]:
    """``"2027-04-01, 2027-04-15"`` (commas, semicolons, spaces or new lines between
    dates) -> sorted distinct dates; raises ValueError naming the first bad one."""
    days = set()
    for part in re.split(r"[\s,;]+", text or ""):
        if not part:
            continue
        try:
            days.add(date.fromisoformat(part))
        except ValueError:
            raise ValueError(
                _("%(text)s is not a date; write dates as YYYY-MM-DD, e.g. 2027-05-01.", text=part)
            ) from None
    return sorted(days)


def series_dates(values: SeriesValues) -> list[date]:
    """The dates of the series, exceptions left out; stops one past MAX_OCCURRENCES,
    so a series running for centuries costs nothing to reject."""
    weekdays = set(range(7)) if values.frequency == DAILY else set(values.weekdays)
    if not weekdays:
        return []
    skipped = set(values.exceptions)
    found = []
    day = values.first_date
    while day <= values.until and len(found) <= MAX_OCCURRENCES:
        if day.weekday() in weekdays and day not in skipped:
            found.append(day)
        if day == date.max:
            break
        day += timedelta(days=1)
    return found


def _plan_series(offering: Offering, values: SeriesValues) -> list[_Planned]:
    """Check ``values`` and work out every occurrence; raise InvalidValues listing
    every problem, including each date whose times fall in a daylight-saving change."""
    title = (values.title or "").strip()
    location = (values.location or "").strip()
    online_url = (values.online_url or "").strip()
    zone = (values.timezone or "").strip()
    problems = _text_problems(title, location, online_url)
    problems += _instructor_problems(offering, values.instructor_id)
    problems += _zone_problems(zone)
    if values.frequency not in FREQUENCIES:
        problems.append(Problem("frequency", _("Choose weekly or daily.")))
    elif values.frequency == WEEKLY and not set(values.weekdays) <= set(range(7)):
        problems.append(Problem("weekdays", _("Choose days of the week from the list.")))
    elif values.frequency == WEEKLY and not values.weekdays:
        problems.append(Problem("weekdays", _("Tick at least one day of the week.")))
    if values.end_time <= values.start_time:
        problems.append(
            Problem("end_time", _("Each session must end after it starts, on the same day."))
        )
    dates: list[date] = []
    if values.until < values.first_date:
        problems.append(Problem("until", _("The series must end on or after its first day.")))
    elif not any(p.field in ("frequency", "weekdays") for p in problems):
        dates = series_dates(values)
        everything = series_dates(replace(values, exceptions=()))
        strays = sorted(set(values.exceptions) - set(everything))
        if strays and len(everything) <= MAX_OCCURRENCES:
            problems.append(
                Problem(
                    "exceptions",
                    ngettext(
                        "%(list)s is not one of the series' dates.",
                        "%(list)s are not among the series' dates.",
                        len(strays),
                        list=", ".join(day.isoformat() for day in strays),
                    ),
                )
            )
        if len(dates) > MAX_OCCURRENCES:
            problems.append(
                Problem(
                    "until",
                    _(
                        "A series can have at most %(max)d sessions and this one would have "
                        "more. Choose an earlier last day or fewer days of the week, or add "
                        "the rest as another series.",
                        max=MAX_OCCURRENCES,
                    ),
                )
            )
            dates = []
        elif not dates:
            problems.append(
                Problem("until", _("No day between the first and the last day is chosen."))
            )
    planned = []
    if is_valid_timezone(zone) and values.end_time > values.start_time:
        for day in dates:
            starts_at = ends_at = None
            try:
                starts_at = local_to_utc(day, values.start_time, zone)
            except LocalTimeError as error:
                problems.append(Problem("start_time", error.message))
            try:
                ends_at = local_to_utc(day, values.end_time, zone)
            except LocalTimeError as error:
                problems.append(Problem("end_time", error.message))
            if starts_at is None or ends_at is None:
                continue
            if ends_at <= starts_at:
                # 01:30-02:10 over a night when the clocks go back an hour.
                problems.append(
                    Problem(
                        "end_time",
                        _(
                            "On %(day)s the session would end before it starts: the clocks "
                            "change that night.",
                            day=_day_text(day),
                        ),
                    )
                )
                continue
            planned.append(
                _Planned(
                    title=title,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    timezone=zone,
                    location=location,
                    online_url=online_url,
                    instructor_id=values.instructor_id,
                    notes=values.notes or "",
                )
            )
    if problems:
        raise InvalidValues(problems)
    return planned


def series_problems(offering: Offering, values: SeriesValues) -> list[Problem]:
    """Everything that stops the series being created (warnings aside)."""
    try:
        _plan_series(offering, values)
    except InvalidValues as error:
        return error.problems
    return []


def create_series(
    offering: Offering, values: SeriesValues, *, override: Collection[str] = ()
) -> list[TrainingSession]:
    """One scheduled session per date of the series, each on its own afterwards: it
    can be moved or cancelled alone. All or nothing: any problem with any date
    refuses the whole series, and the warnings cover every date."""
    _refuse_if_cancelled(offering)
    planned = _plan_series(offering, values)
    spans = [(p.starts_at, p.ends_at) for p in planned]
    _confirm(
        [_outside_warning(offering, spans), _overlap_warning(values.instructor_id, spans)],
        override,
    )
    sessions = []
    for plan in planned:
        session = TrainingSession(offering=offering, status=SessionStatus.SCHEDULED, revision=0)
        _apply(session, plan)
        sessions.append(session)
    db.session.add_all(sessions)
    db.session.flush()
    if offering.status == OfferingStatus.PUBLISHED:
        notices.sessions_added(offering, sessions)
    return sessions
