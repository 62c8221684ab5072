"""The notices themselves: reminders, session changes, enrolment windows, digests.

Each function queues outbox messages inside the caller's transaction, in each
recipient's language, with times in the recipient's zone.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from catalog.extensions import db
from catalog.feeds.ical import CalendarInfo, build_calendar
from catalog.feeds.services import absolute, session_event, uid_domain
from catalog.i18n import course_text
from catalog.models import Enrolment, EnrolmentStatus, Offering, TrainingSession, User
from catalog.notifications.compose import Link, in_language_of, queue_message
from catalog.templating import time_span, zoned


def confirmed_trainees(offering_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Enrolment, Enrolment.user_id == User.id)
            .where(
                Enrolment.offering_id == offering_id,
                Enrolment.status == EnrolmentStatus.CONFIRMED,
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def people_with_live_enrolments(offering_id: int) -> list[User]:
    """Everyone applying, nominated, confirmed or waiting: all hear of a cancellation."""
    return list(
        db.session.scalars(
            select(User)
            .join(Enrolment, Enrolment.user_id == User.id)
            .where(
                Enrolment.offering_id == offering_id,
                Enrolment.status.in_(
                    (
                        EnrolmentStatus.APPLIED,
                        EnrolmentStatus.NOMINATED,
                        EnrolmentStatus.CONFIRMED,
                        EnrolmentStatus.WAITLISTED,
                    )
                ),
                User.active.is_(True),
            )
            .order_by(User.id)
        )
    )


def _title(offering: Offering) -> str:
    # Called inside in_language_of(recipient): the title in their language, if translated.
    return f"{offering.course.code} {course_text(offering.course).title}"


def _when(session: TrainingSession, user: User) -> str:
    return time_span(session.starts_at, session.ends_at, user.timezone or "UTC")


def _where(session: TrainingSession) -> list[str]:
    lines = []
    if session.online_url:
        lines.append(_("Join online: %(link)s", link=session.online_url))
    if session.location:
        lines.append(_("Where: %(place)s", place=session.location))
    return lines


def invitation_file(
    session: TrainingSession, method: str, organizer: str, attendee: str = ""
) -> bytes:
    """The session as an e-mail invitation: the same UID and SEQUENCE as the feeds,
    addressed to ``attendee`` (iTIP wants one)."""
    event = session_event(session, session.offering, uid_domain())
    event = replace(event, organizer=organizer, attendee=f"mailto:{attendee}" if attendee else "")
    info = CalendarInfo(
        uid=f"calendar-session-{session.id}@{uid_domain()}",
        name=event.summary,
        description=session.offering.course.title,
        source_url="",
        timezone=session.timezone,
        method=method,
    )
    return build_calendar(info, [event])


def _organizer() -> str:
    from flask import current_app

    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    address = sender.rsplit("<", 1)[-1].strip(">").strip()
    return f"mailto:{address}"


def _starts_in(remaining: timedelta) -> str:
    """ "in 24 hours", "in 58 minutes": how long is really left, not the offset that
    made the reminder due (they differ when a scheduler catches up)."""
    minutes = max(1, round(remaining.total_seconds() / 60))
    if minutes >= 120:
        return _("in %(hours)d hours", hours=round(minutes / 60))
    return ngettext("in %(num)d minute", "in %(num)d minutes", minutes)


def session_reminder(user: User, session: TrainingSession, remaining: timedelta) -> None:
    """A reminder that ``session`` starts in ``remaining``, with its time in the
    trainee's zone and the online link."""
    offering = session.offering
    with in_language_of(user):
        subject = _(
            "Reminder: %(title)s starts %(soon)s",
            title=session.title,
            soon=_starts_in(remaining),
        )
        paragraphs = [
            _("%(course)s: %(title)s", course=_title(offering), title=session.title),
            _("When: %(when)s", when=_when(session, user)),
            *_where(session),
        ]
        link = Link(_("Course page"), absolute("catalogue.offering", offering_id=offering.id))
    queue_message(user, "reminder", subject, paragraphs, link)


def session_changed(session: TrainingSession, change: str) -> int:
    """Tell the confirmed trainees that a session was added, moved or cancelled,
    with an invitation (REQUEST) or a cancellation (CANCEL) for their calendar."""
    offering = session.offering
    cancelled = change == "cancelled"
    method = "CANCEL" if cancelled else "REQUEST"
    organizer = _organizer()
    trainees = confirmed_trainees(offering.id)
    for user in trainees:
        with in_language_of(user):
            # Built per recipient so its description is in their language, not in
            # the language of whoever made the change.
            attachment = invitation_file(session, method, organizer, user.email)
            subjects = {
                "added": _("New session: %(title)s", title=session.title),
                "moved": _("Session changed: %(title)s", title=session.title),
                "cancelled": _("Session cancelled: %(title)s", title=session.title),
            }
            first = {
                "added": _("A session was added to %(course)s.", course=_title(offering)),
                "moved": _("A session of %(course)s has changed.", course=_title(offering)),
                "cancelled": _("A session of %(course)s is cancelled.", course=_title(offering)),
            }
            paragraphs = [first[change], _("When: %(when)s", when=_when(session, user))]
            if not cancelled:
                paragraphs += _where(session)
            link = Link(_("Course page"), absolute("catalogue.offering", offering_id=offering.id))
        queue_message(user, f"session_{change}", subjects[change], paragraphs, link, attachment)
    return len(trainees)


def sessions_added(offering: Offering, sessions: list[TrainingSession]) -> int:
    """One message per confirmed trainee for a whole new series (not one per session)."""
    trainees = confirmed_trainees(offering.id)
    first = sorted(sessions, key=lambda s: s.starts_at)
    for user in trainees:
        with in_language_of(user):
            subject = _("New sessions: %(course)s", course=_title(offering))
            paragraphs = [
                ngettext(
                    "%(num)d session was added to %(course)s:",
                    "%(num)d sessions were added to %(course)s:",
                    len(first),
                    course=_title(offering),
                ),
                "\n".join(f"- {s.title}: {_when(s, user)}" for s in first[:10]),
            ]
            if len(first) > 10:
                paragraphs.append(_("See the course page for the whole timetable."))
            link = Link(_("Course page"), absolute("catalogue.offering", offering_id=offering.id))
        queue_message(user, "sessions_added", subject, paragraphs, link)
    return len(trainees)


def offering_cancelled(offering: Offering, people: list[User]) -> None:
    for user in people:
        with in_language_of(user):
            subject = _("Cancelled: %(course)s", course=_title(offering))
            paragraphs = [
                _(
                    "%(course)s, planned from %(start)s to %(end)s, is cancelled. "
                    "We are sorry for the change of plans.",
                    course=_title(offering),
                    start=format_date(offering.starts_on, "long"),
                    end=format_date(offering.ends_on, "long"),
                )
            ]
            link = Link(_("Course page"), absolute("catalogue.offering", offering_id=offering.id))
        queue_message(user, "offering_cancelled", subject, paragraphs, link)


def enrolment_opened(user: User, offering: Offering, closes_at: datetime) -> None:
    with in_language_of(user):
        subject = _("Enrolment is open: %(course)s", course=_title(offering))
        paragraphs = [
            _(
                "You asked to be told: enrolment for %(course)s is now open.",
                course=_title(offering),
            ),
            _("It closes on %(when)s.", when=zoned(closes_at, user.timezone or "UTC")),
        ]
        link = Link(_("Enrol"), absolute("catalogue.offering", offering_id=offering.id))
    queue_message(user, "enrolment_opened", subject, paragraphs, link)


def enrolment_closed(user: User, offering: Offering) -> None:
    with in_language_of(user):
        subject = _("Enrolment closed: %(course)s", course=_title(offering))
        paragraphs = [
            _(
                "Enrolment for %(course)s has closed and your application was not nominated "
                "by your national focal point.",
                course=_title(offering),
            )
        ]
        link = Link(_("My training"), absolute("enrolment.my_training"))
    queue_message(user, "enrolment_closed", subject, paragraphs, link)


def offer_expired(user: User, offering: Offering) -> None:
    with in_language_of(user):
        subject = _("Your place has gone to the next person: %(course)s", course=_title(offering))
        paragraphs = [
            _(
                "A place in %(course)s was offered to you from the waiting list, but it was "
                "not accepted in time, so it went to the next person waiting.",
                course=_title(offering),
            )
        ]
        link = Link(_("My training"), absolute("enrolment.my_training"))
    queue_message(user, "offer_expired", subject, paragraphs, link)


def digest(user: User, lines: list[str], link: Link) -> None:
    """``lines`` and ``link`` already in the user's language (see jobs.daily_digest)."""
    with in_language_of(user):
        subject = _("Waiting for your decision")
        paragraphs = [_("These wait for you in the Peacekeeping Training Catalogue:"), *lines]
    queue_message(user, "digest", subject, paragraphs, link)
