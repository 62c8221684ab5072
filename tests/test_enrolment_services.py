"""Seat rules, called directly: the functions every view, command and job uses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from catalog.database import utcnow
from catalog.enrolment import services
from catalog.enrolment.services import (
    EnrolmentConflict,
    EnrolmentError,
    MissingPrerequisites,
    NotAllowed,
)
from catalog.extensions import db
from catalog.models import (
    Enrolment,
    EnrolmentStatus,
    Invitation,
    OfferingQuota,
    OfferingStatus,
    OutboxMessage,
    Role,
    SeatAllocation,
)
from tests.factories import make_course, make_offering, make_user

TODAY = date.today()


def open_offering(capacity=2, allocation=SeatAllocation.FIRST_COME, quotas=None, **fields):
    offering = make_offering(
        capacity=capacity,
        seat_allocation=allocation,
        starts_on=TODAY + timedelta(days=30),
        enrolment_opens_on=TODAY - timedelta(days=5),
        enrolment_closes_on=TODAY + timedelta(days=10),
        **fields,
    )
    for code, seats in (quotas or {}).items():
        offering.quotas.append(OfferingQuota(country_code=code, seats=seats))
    db.session.commit()
    return offering


def enrol(offering, country="KE", **fields):
    trainee = make_user(country=country, **fields)
    db.session.commit()
    enrolment = services.apply(trainee, offering.id)
    db.session.commit()
    return enrolment


def statuses(offering) -> list[str]:
    return [
        e.status.value
        for e in db.session.scalars(
            select(Enrolment).where(Enrolment.offering_id == offering.id).order_by(Enrolment.id)
        )
    ]


def test_first_come_confirms_until_full_then_waitlists_in_order():
    offering = open_offering(capacity=2)
    enrolments = [enrol(offering) for _ in range(4)]
    assert statuses(offering) == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    positions = services.waiting_positions([offering.id])
    assert [positions.get(e.id) for e in enrolments] == [None, None, 1, 2]


def test_quota_caps_a_country_and_keeps_the_open_pool_for_others():
    # 4 seats: 2 reserved for Kenya, 2 open to countries without a quota.
    offering = open_offering(capacity=4, quotas={"KE": 2})
    kenyans = [enrol(offering, "KE") for _ in range(3)]
    others = [enrol(offering, "UG") for _ in range(3)]
    assert [e.status.value for e in kenyans] == ["confirmed", "confirmed", "waitlisted"]
    assert [e.status.value for e in others] == ["confirmed", "confirmed", "waitlisted"]


def test_withdrawal_promotes_the_first_waiting_candidate_who_fits():
    offering = open_offering(capacity=3, quotas={"KE": 1, "UG": 1})
    kenyan = enrol(offering, "KE")
    enrol(offering, "UG")
    enrol(offering, "RW")  # the open seat
    waiting_kenyan = enrol(offering, "KE")  # over Kenya's quota
    waiting_rwandan = enrol(offering, "RW")  # the open seat is taken
    assert waiting_kenyan.status == waiting_rwandan.status == EnrolmentStatus.WAITLISTED

    services.withdraw(kenyan.user, kenyan.id)
    db.session.commit()

    # Kenya's seat is free: the waiting Kenyan fits; the Rwandan
    # still does not, since the open pool is full.
    db.session.expire_all()
    assert db.session.get(Enrolment, waiting_kenyan.id).status == EnrolmentStatus.CONFIRMED
    assert db.session.get(Enrolment, waiting_rwandan.id).status == EnrolmentStatus.WAITLISTED
    promoted = db.session.get(Enrolment, waiting_kenyan.id)
    assert [(e.action, e.actor_id) for e in promoted.events][-1] == ("promoted", None)
    told = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.recipient_id == promoted.user_id)
    ).all()
    assert "enrolment_promoted" in told


def test_a_waiting_candidate_who_does_not_fit_is_skipped_not_blocking():
    offering = open_offering(capacity=2, quotas={"KE": 1})
    enrol(offering, "KE")
    open_seat = enrol(offering, "UG")
    second_kenyan = enrol(offering, "KE")  # waits: Kenya's quota is used
    rwandan = enrol(offering, "RW")  # waits: the capacity is used
    services.withdraw(open_seat.user, open_seat.id)
    db.session.commit()
    db.session.expire_all()
    # The first in line (Kenyan) would exceed Kenya's quota; the Rwandan fits.
    assert db.session.get(Enrolment, second_kenyan.id).status == EnrolmentStatus.WAITLISTED
    assert db.session.get(Enrolment, rwandan.id).status == EnrolmentStatus.CONFIRMED


def test_quota_release_opens_unused_country_seats_to_everyone():
    offering = open_offering(capacity=4, quotas={"KE": 2, "UG": 2})
    enrol(offering, "KE")
    first, second = enrol(offering, "RW"), enrol(offering, "RW")
    assert first.status == second.status == EnrolmentStatus.WAITLISTED  # no open pool

    assert services.release_quotas(offering.id, now=utcnow()) == []  # not yet
    after = offering.quota_release_at + timedelta(minutes=1)
    promoted = services.release_quotas(offering.id, now=after)
    db.session.commit()
    assert [e.id for e in promoted] == [first.id, second.id]
    assert services.release_quotas(offering.id, now=after) == []  # only once


def test_nomination_flow_records_who_decided():
    offering = open_offering(capacity=1, allocation=SeatAllocation.NOMINATION)
    focal = make_user("focal.ke@example.org", Role.FOCAL_POINT, country="KE")
    coordinator = make_user("coord@example.org", Role.COORDINATOR)
    db.session.commit()
    application = enrol(offering, "KE")
    assert application.status == EnrolmentStatus.APPLIED

    services.nominate(focal, application.id, "Strong candidate")
    db.session.commit()
    services.select_candidate(coordinator, application.id)
    db.session.commit()

    db.session.expire_all()
    enrolment = db.session.get(Enrolment, application.id)
    assert enrolment.status == EnrolmentStatus.CONFIRMED
    assert [(e.action, e.to_status.value, e.actor_id) for e in enrolment.events] == [
        ("applied", "applied", enrolment.user_id),
        ("nominated", "nominated", focal.id),
        ("selected", "confirmed", coordinator.id),
    ]
    assert enrolment.events[1].note == "Strong candidate"


def test_focal_point_cannot_act_for_another_country():
    offering = open_offering(allocation=SeatAllocation.NOMINATION)
    focal = make_user("focal.ug@example.org", Role.FOCAL_POINT, country="UG")
    db.session.commit()
    application = enrol(offering, "KE")
    with pytest.raises(NotAllowed):
        services.nominate(focal, application.id)
    with pytest.raises(NotAllowed):
        services.decline(focal, application.id)


def test_selection_waitlists_when_full():
    offering = open_offering(capacity=1, allocation=SeatAllocation.NOMINATION)
    focal = make_user("focal.ke@example.org", Role.FOCAL_POINT, country="KE")
    coordinator = make_user("coord@example.org", Role.COORDINATOR)
    db.session.commit()
    first, second = enrol(offering), enrol(offering)
    for enrolment in (first, second):
        services.nominate(focal, enrolment.id)
        db.session.commit()
        services.select_candidate(coordinator, enrolment.id)
        db.session.commit()
    assert statuses(offering) == ["confirmed", "waitlisted"]


def test_applying_twice_is_a_conflict_and_writes_nothing():
    offering = open_offering()
    enrolment = enrol(offering)
    with pytest.raises(EnrolmentConflict):
        services.apply(enrolment.user, offering.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": OfferingStatus.CANCELLED}, "cancelled"),
        ({"status": OfferingStatus.DRAFT}, "not open"),
        ({"enrolment_opens_on": TODAY + timedelta(days=2)}, "not opened yet"),
        (
            {
                "enrolment_opens_on": TODAY - timedelta(days=9),
                "enrolment_closes_on": TODAY - timedelta(days=2),
            },
            "closed",
        ),
        (
            {
                "starts_on": TODAY - timedelta(days=1),
                "enrolment_opens_on": TODAY - timedelta(days=9),
                "enrolment_closes_on": TODAY - timedelta(days=2),
            },
            "started",
        ),
    ],
)
def test_enrolment_outside_the_rules_is_refused(change, message):
    offering = open_offering()
    for key, value in change.items():
        setattr(offering, key, value)
    db.session.commit()
    trainee = make_user()
    db.session.commit()
    with pytest.raises(EnrolmentError, match=message):
        services.apply(trainee, offering.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0


def test_missing_prerequisite_names_the_course_and_can_be_overridden():
    basic = make_course("HEE-B", title="HEE Basic")
    course = make_course("HEE-I", title="HEE Intermediate")
    course.prerequisites.append(basic)
    offering = open_offering(course=course)
    trainee = make_user()
    coordinator = make_user("coord@example.org", Role.COORDINATOR)
    db.session.commit()

    with pytest.raises(MissingPrerequisites) as caught:
        services.apply(trainee, offering.id)
    db.session.rollback()
    assert [c.code for c in caught.value.courses] == ["HEE-B"]
    assert "HEE-B HEE Basic" in caught.value.message

    with pytest.raises(EnrolmentError, match="reason"):
        services.override_prerequisites(coordinator, trainee.id, offering.id, "  ")
    db.session.rollback()
    enrolment = services.override_prerequisites(
        coordinator, trainee.id, offering.id, "Equivalent national course"
    )
    db.session.commit()
    assert enrolment.status == EnrolmentStatus.CONFIRMED
    assert enrolment.prerequisite_override == "Equivalent national course"


def test_completed_prerequisite_lets_the_trainee_apply():
    basic = make_course("HEE-B")
    course = make_course("HEE-I")
    course.prerequisites.append(basic)
    past = make_offering(
        basic,
        starts_on=TODAY - timedelta(days=90),
        ends_on=TODAY - timedelta(days=60),
        enrolment_opens_on=TODAY - timedelta(days=150),
        enrolment_closes_on=TODAY - timedelta(days=100),
    )
    trainee = make_user()
    db.session.add(
        Enrolment(user=trainee, offering=past, country_code="KE", status=EnrolmentStatus.COMPLETED)
    )
    offering = open_offering(course=course)
    assert services.apply(trainee, offering.id).status == EnrolmentStatus.CONFIRMED


def test_invitation_becomes_a_nomination_when_the_person_registers():
    offering = open_offering(allocation=SeatAllocation.NOMINATION)
    focal = make_user("focal.ke@example.org", Role.FOCAL_POINT, country="KE")
    db.session.commit()
    services.invite(focal, offering.id, "New.Person@Example.org")
    db.session.commit()
    with pytest.raises(EnrolmentConflict):
        services.invite(focal, offering.id, "new.person@example.org")
    db.session.rollback()

    person = make_user("new.person@example.org", country=None)
    enrolments = services.accept_invitations(person)
    db.session.commit()
    assert [e.status for e in enrolments] == [EnrolmentStatus.NOMINATED]
    assert person.country_code == "KE"
    assert db.session.scalar(select(Invitation.accepted_at)) is not None


def test_coordinator_removal_frees_the_seat_for_the_waiting_list():
    offering = open_offering(capacity=1)
    coordinator = make_user("coord@example.org", Role.COORDINATOR)
    db.session.commit()
    confirmed, waiting = enrol(offering), enrol(offering)
    services.remove(coordinator, confirmed.id, "Did not meet the medical standard")
    db.session.commit()
    assert statuses(offering) == ["withdrawn", "confirmed"]
    db.session.expire_all()
    assert db.session.get(Enrolment, waiting.id).events[-1].action == "promoted"


def test_only_coordinators_select_and_remove():
    offering = open_offering()
    enrolment = enrol(offering)
    trainee = enrolment.user
    with pytest.raises(NotAllowed):
        services.select_candidate(trainee, enrolment.id)
    with pytest.raises(NotAllowed):
        services.remove(trainee, enrolment.id, "no")
