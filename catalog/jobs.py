"""Scheduler jobs: each finds its own due work in the database.

"Sessions that start within 24 hours whose reminder is not sent": a job asks the
data, not the clock of its last run, so a scheduler that was down catches up when
it returns, and a job that runs twice does no harm (unique rows and conditional
updates decide who acts). Every job takes ``now`` so tests control time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from catalog.database import utcnow
from catalog.enrolment import services as enrolment
from catalog.enrolment.locking import SeatLockTimeout
from catalog.extensions import db
from catalog.feeds.services import absolute
from catalog.models import (
    Enrolment,
    EnrolmentStatus,
    EnrolmentWatch,
    FeedToken,
    Invitation,
    NoticeMark,
    Offering,
    OfferingStatus,
    Role,
    SessionReminder,
    SessionStatus,
    TrainingSession,
    User,
    UserRole,
)
from catalog.notifications import notices
from catalog.notifications.compose import Link, in_language_of
from catalog.notifications.delivery import deliver_due


def _mark_once(key: str) -> bool:
    """Record a one-off notice; False when it was already recorded (by anyone)."""
    try:
        with db.session.begin_nested():
            db.session.add(NoticeMark(key=key))
            db.session.flush()
    except IntegrityError:
        return False
    return True


# --- Reminders ------------------------------------------------------------------------


def send_session_reminders(now: datetime | None = None) -> str:
    """Remind confirmed trainees before their sessions (default 24 h and 1 h before).

    A reminder is due once the session is nearer than its offset. When several are
    due at once (the scheduler was down), only one is sent and all are recorded as
    done, so nobody gets "in 24 hours" an hour before; its wording says how long is
    really left ("in 21 hours" after a three-hour outage).
    """
    now = now or utcnow()
    offsets = sorted(current_app.config["REMINDER_OFFSETS_MINUTES"])
    horizon = now + timedelta(minutes=max(offsets))
    rows = db.session.execute(
        select(TrainingSession, User)
        .join(TrainingSession.offering)
        .join(Enrolment, Enrolment.offering_id == Offering.id)
        .join(User, User.id == Enrolment.user_id)
        .where(
            TrainingSession.status == SessionStatus.SCHEDULED,
            TrainingSession.starts_at > now,
            TrainingSession.starts_at <= horizon,
            Offering.status == OfferingStatus.PUBLISHED,
            Enrolment.status == EnrolmentStatus.CONFIRMED,
            User.active.is_(True),
            User.reminders_enabled.is_(True),
        )
        .options(contains_eager(TrainingSession.offering))
        .order_by(TrainingSession.starts_at, User.id)
    ).all()
    done = set(
        db.session.execute(
            select(
                SessionReminder.session_id,
                SessionReminder.user_id,
                SessionReminder.offset_minutes,
                SessionReminder.starts_at,
            ).where(SessionReminder.session_id.in_({s.id for s, _u in rows} or {0}))
        ).all()
    )
    sent = 0
    for session, user in rows:
        due = [o for o in offsets if session.starts_at - now <= timedelta(minutes=o)]
        pending = [o for o in due if (session.id, user.id, o, session.starts_at) not in done]
        if not pending:
            continue
        try:
            with db.session.begin_nested():
                for offset in pending:
                    db.session.add(
                        SessionReminder(
                            session_id=session.id,
                            user_id=user.id,
                            offset_minutes=offset,
                            starts_at=session.starts_at,
                        )
                    )
                db.session.flush()
                notices.session_reminder(user, session, session.starts_at - now)
        except IntegrityError:
            continue  # another scheduler sent it a moment ago
        sent += 1
    db.session.commit()
    return f"{sent} reminders queued"


# --- Enrolment windows, quotas, waiting-list offers ----------------------------------------


def enrolment_windows(now: datetime | None = None) -> str:
    """Tell watchers when enrolment opens; tell waiting applicants when it closes."""
    now = now or utcnow()
    opened = 0
    watches = db.session.execute(
        select(EnrolmentWatch.user_id, EnrolmentWatch.offering_id)
        .join(Offering, Offering.id == EnrolmentWatch.offering_id)
        .where(
            EnrolmentWatch.notified_at.is_(None),
            Offering.status == OfferingStatus.PUBLISHED,
            Offering.enrolment_opens_at <= now,
            Offering.enrolment_closes_at > now,
        )
    ).all()
    for user_id, offering_id in watches:
        claimed = db.session.execute(
            update(EnrolmentWatch)
            .where(
                EnrolmentWatch.user_id == user_id,
                EnrolmentWatch.offering_id == offering_id,
                EnrolmentWatch.notified_at.is_(None),
            )
            .values(notified_at=now)
        ).rowcount
        if claimed == 1:
            offering = db.session.get(Offering, offering_id)
            notices.enrolment_opened(
                db.session.get(User, user_id), offering, offering.enrolment_closes_at
            )
            opened += 1
    closed = 0
    recently_closed = db.session.scalars(
        select(Offering).where(
            Offering.status == OfferingStatus.PUBLISHED,
            Offering.enrolment_closes_at <= now,
            Offering.enrolment_closes_at > now - timedelta(days=7),
        )
    ).all()
    for offering in recently_closed:
        if not _mark_once(f"enrolment-closed:{offering.id}"):
            continue
        for waiting in db.session.scalars(
            select(Enrolment).where(
                Enrolment.offering_id == offering.id, Enrolment.status == EnrolmentStatus.APPLIED
            )
        ):
            notices.enrolment_closed(waiting.user, offering)
            closed += 1
    db.session.commit()
    return f"{opened} opening notices, {closed} closing notices"


def release_due_quotas(now: datetime | None = None) -> str:
    """At each offering's quota release date, open unused country seats and re-run
    its waiting list (one transaction per offering)."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Offering.id).where(
            Offering.status == OfferingStatus.PUBLISHED,
            Offering.quotas_released_at.is_(None),
            Offering.quota_release_at <= now,
            Offering.ends_on >= now.date(),
        )
    ).all()
    db.session.commit()
    promoted = 0
    for offering_id in due:
        try:
            promoted += len(enrolment.release_quotas(offering_id, now))
            db.session.commit()
        except SeatLockTimeout:
            db.session.rollback()  # busy: the next run picks it up
    return f"{len(due)} offerings released, {promoted} promoted"


def expire_waitlist_offers(now: datetime | None = None) -> str:
    """Places offered from the waiting list and not accepted in time go on."""
    now = now or utcnow()
    expired = db.session.scalars(
        select(Enrolment.id).where(
            Enrolment.status == EnrolmentStatus.CONFIRMED,
            Enrolment.offer_expires_at.is_not(None),
            Enrolment.offer_expires_at <= now,
        )
    ).all()
    db.session.commit()
    count = 0
    for enrolment_id in expired:
        try:
            if enrolment.expire_offer(enrolment_id, now):
                count += 1
            db.session.commit()
        except SeatLockTimeout:
            db.session.rollback()
    return f"{count} offers expired"


# --- Digest -----------------------------------------------------------------------------

# The day's digest is due from this hour (UTC) on; sent at most once per person a day.
DIGEST_HOUR_UTC = 6


def daily_digest(now: datetime | None = None) -> str:
    """Once a day: focal points hear of applications from their country waiting for
    a nomination; coordinators of nominations waiting for selection.

    The day's digest is due from DIGEST_HOUR_UTC on, so a scheduler that was down at
    that hour sends it when it comes back, and one started earlier waits for the hour.
    """
    now = (now or utcnow()).astimezone(UTC)
    if now.hour < DIGEST_HOUR_UTC:
        return f"not due before {DIGEST_HOUR_UTC:02d}:00 UTC"
    day = now.date().isoformat()
    live = (Offering.status == OfferingStatus.PUBLISHED, Offering.ends_on >= now.date())
    applied = dict(
        db.session.execute(
            select(Enrolment.country_code, func.count())
            .join(Offering, Offering.id == Enrolment.offering_id)
            .where(Enrolment.status == EnrolmentStatus.APPLIED, *live)
            .group_by(Enrolment.country_code)
        ).all()
    )
    nominated = db.session.scalar(
        select(func.count())
        .select_from(Enrolment)
        .join(Offering, Offering.id == Enrolment.offering_id)
        .where(Enrolment.status == EnrolmentStatus.NOMINATED, *live)
    )
    people = db.session.execute(
        select(User, UserRole.role)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role.in_((Role.FOCAL_POINT, Role.COORDINATOR)),
            User.active.is_(True),
            User.digest_enabled.is_(True),
        )
        .order_by(User.id)
    ).all()
    roles = defaultdict(set)
    users = {}
    for user, role in people:
        roles[user.id].add(role)
        users[user.id] = user
    sent = 0
    for user_id, held in roles.items():
        user = users[user_id]
        waiting_applications = applied.get(user.country_code, 0) if Role.FOCAL_POINT in held else 0
        waiting_nominations = nominated if Role.COORDINATOR in held else 0
        if not (waiting_applications or waiting_nominations):
            continue
        if not _mark_once(f"digest:{user_id}:{day}"):
            continue
        with in_language_of(user):
            lines = []
            if waiting_applications:
                lines.append(
                    ngettext(
                        "%(num)d application from your country waits for a nomination.",
                        "%(num)d applications from your country wait for a nomination.",
                        waiting_applications,
                    )
                )
            if waiting_nominations:
                lines.append(
                    ngettext(
                        "%(num)d nomination waits for selection.",
                        "%(num)d nominations wait for selection.",
                        waiting_nominations,
                    )
                )
            if Role.FOCAL_POINT in held and waiting_applications:
                link = Link(_("Nominations"), absolute("enrolment.nominations"))
            else:
                link = Link(_("Enrolments"), absolute("enrolment.offerings"))
        notices.digest(user, lines, link)
        sent += 1
    db.session.commit()
    return f"{sent} digests queued"


# --- Housekeeping ---------------------------------------------------------------------------


def clean_up(now: datetime | None = None) -> str:
    """Forget revoked feed addresses after 30 days, invitations whose offering has
    started, and one-off notice marks after 400 days."""
    now = now or utcnow()
    tokens = db.session.execute(
        delete(FeedToken).where(
            FeedToken.revoked_at.is_not(None), FeedToken.revoked_at < now - timedelta(days=30)
        )
    ).rowcount
    started = select(Offering.id).where(Offering.starts_on < now.date())
    invitations = db.session.execute(
        delete(Invitation).where(
            Invitation.accepted_at.is_(None), Invitation.offering_id.in_(started)
        )
    ).rowcount
    marks = db.session.execute(
        delete(NoticeMark).where(NoticeMark.created_at < now - timedelta(days=400))
    ).rowcount
    db.session.commit()
    return f"{tokens} feed tokens, {invitations} invitations, {marks} notice marks removed"


def deliver_outbox(now: datetime | None = None) -> str:
    """Send the outbox messages that are due (see notifications.delivery)."""
    return str(deliver_due(now))


@dataclass(frozen=True)
class JobSpec:
    id: str
    function: Callable[..., str]
    trigger: str  # "interval" or "cron"
    schedule: dict
    description: str


# Every job, with a fixed id, in the order run-once runs them (delivery last, so
# what the others queue goes out at once). Intervals are short: each run is cheap when there is
# nothing to do, and short intervals keep reminders and deliveries on time.
JOBS = (
    JobSpec(
        "session_reminders",
        send_session_reminders,
        "interval",
        {"minutes": 5},
        "Remind confirmed trainees before sessions",
    ),
    JobSpec(
        "enrolment_windows",
        enrolment_windows,
        "interval",
        {"minutes": 15},
        "Notices when enrolment opens (to watchers) and closes (to waiting applicants)",
    ),
    JobSpec(
        "quota_release",
        release_due_quotas,
        "interval",
        {"minutes": 15},
        "Open unused country seats at the release date and re-run waiting lists",
    ),
    JobSpec(
        "waitlist_offers",
        expire_waitlist_offers,
        "interval",
        {"minutes": 15},
        "Pass on waiting-list places not accepted in time",
    ),
    JobSpec(
        "daily_digest",
        daily_digest,
        "cron",
        {"hour": DIGEST_HOUR_UTC, "minute": 0},
        f"Daily digest to focal points and coordinators ({DIGEST_HOUR_UTC:02d}:00 UTC)",
    ),
    JobSpec(
        "clean_up",
        clean_up,
        "cron",
        {"hour": 3, "minute": 30},
        "Remove revoked feed tokens, stale invitations and old notice marks (03:30 UTC)",
    ),
    JobSpec(
        "deliver_outbox",
        deliver_outbox,
        "interval",
        {"minutes": 1},
        "Send queued e-mails; retry failures with backoff",
    ),
)
