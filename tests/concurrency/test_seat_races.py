"""The concurrency proof: many trainees at once against gunicorn, 4 workers x 8 threads.

Every race opens one fresh connection per request, then a barrier releases them
all together. With 4 sync workers only 4 requests would be in flight and a naive
count-then-insert was seen to pass; with gthread workers up to 32 overlap. The
last test serves the application with the lock taken out and expects these
same checks to fail.
"""

from __future__ import annotations

import itertools

import pytest

from tests.concurrency.support import (
    CONFIRMED,
    WAITLISTED,
    WITHDRAW_PATH,
    Call,
    FirstComeRun,
    Server,
    add_offering,
    add_trainees,
    enrol_calls,
    enrol_directly,
    log_in_all,
    race,
    run_first_come,
    seats_of,
    told_after,
)

pytest.importorskip("gunicorn", reason="the seat races need gunicorn (the test extra)")

TRAINEES = 50
CAPACITY = 10
NAIVE_ATTEMPTS = 3


def _report(kind: str, name: str, text: str) -> None:
    print(f"\n[{kind}] {name}: {text}")


def _failure(problems: list[str], server: Server) -> str:
    return "\n".join(problems) + "\n--- server log (tail) ---\n" + server.log(6000)


def test_fifty_trainees_race_for_ten_seats(race_database, server):
    run = run_first_come(race_database.app, server, ["KE"] * TRAINEES, capacity=CAPACITY)
    _report(race_database.kind, "first come", run.summary())

    problems = run.problems()
    assert not problems, _failure(problems, server)
    assert run.by_status() == {CONFIRMED: 10, WAITLISTED: 40}
    positions = sorted(seat.position for seat in run.seats if seat.status == WAITLISTED)
    assert positions == list(range(1, 41))


def test_country_quotas_hold_under_the_race(race_database, server):
    countries = list(itertools.islice(itertools.cycle(["KE", "UG", "RW"]), TRAINEES))
    quotas = {"KE": 3, "UG": 3}  # 4 seats left in the open pool
    run = run_first_come(race_database.app, server, countries, capacity=CAPACITY, quotas=quotas)
    _report(race_database.kind, "quotas", run.summary())

    problems = run.problems()
    assert not problems, _failure(problems, server)
    confirmed = [seat.country_code for seat in run.seats if seat.status == CONFIRMED]
    assert sorted(confirmed) == ["KE"] * 3 + ["RW"] * 4 + ["UG"] * 3
    positions = sorted(seat.position for seat in run.seats if seat.status == WAITLISTED)
    assert positions == list(range(1, 41))


def test_one_trainee_submitting_fifty_times_gets_one_enrolment(race_database, server):
    app = race_database.app
    offering_id = add_offering(app, CAPACITY)
    trainee = add_trainees(app, f"same{offering_id}", ["KE"])[0]
    log_in_all(server, [trainee])

    result = race(enrol_calls([trainee] * TRAINEES, offering_id))
    _report(race_database.kind, "same trainee", f"HTTP statuses {dict(result.statuses())}")

    failed = [r.describe() for r in result.replies if r.status is None or r.status >= 500]
    assert not failed, _failure(failed, server)
    accepted = [r for r in result.replies if r.status < 400]
    assert len(accepted) == 1
    assert result.statuses()[409] == TRAINEES - 1
    seats = seats_of(app, offering_id)
    assert [(seat.user_id, seat.status) for seat in seats] == [(trainee.user_id, CONFIRMED)]
    assert told_after([(trainee.browser, accepted[0])])[0].status == CONFIRMED


def test_withdrawals_race_new_enrolments(race_database, server):
    app = race_database.app
    offering_id = add_offering(app, CAPACITY)
    # Ten confirmed and ten waiting, in a known order, before the race.
    first = add_trainees(app, f"held{offering_id}", ["KE"] * 20)
    enrol_directly(app, first, offering_id)
    before = {seat.user_id: seat for seat in seats_of(app, offering_id)}
    assert [before[t.user_id].status for t in first] == [CONFIRMED] * 10 + [WAITLISTED] * 10
    waiting_before = first[10:]
    leavers = first[:5]
    newcomers = add_trainees(app, f"new{offering_id}", ["KE"] * 20)
    log_in_all(server, leavers + newcomers)

    withdrawals = [
        Call(t.browser, "POST", WITHDRAW_PATH.format(enrolment_id=before[t.user_id].enrolment_id))
        for t in leavers
    ]
    enrolments = enrol_calls(newcomers, offering_id)
    # One withdrawal among every four new enrolments; all released together anyway.
    calls = []
    for index, withdrawal in enumerate(withdrawals):
        calls += [withdrawal, *enrolments[4 * index : 4 * index + 4]]
    result = race(calls)
    leaver_replies = [result.replies[calls.index(call)] for call in withdrawals]
    newcomer_replies = [result.replies[calls.index(call)] for call in enrolments]
    _report(
        race_database.kind,
        "withdrawals racing enrolments",
        f"HTTP statuses {dict(result.statuses())}; {result.seconds:.2f} s",
    )

    failed = [r.describe() for r in result.replies if r.status is None or r.status >= 400]
    assert not failed, _failure(failed, server)
    after = {seat.user_id: seat for seat in seats_of(app, offering_id)}
    confirmed = [seat for seat in after.values() if seat.status == CONFIRMED]
    assert len(confirmed) == CAPACITY
    assert {after[t.user_id].status for t in leavers} == {"withdrawn"}
    # Freed seats went to the waiting list, never to a newcomer who came in beside it.
    stayed_or_promoted = first[5:10] + waiting_before[:5]
    assert {seat.user_id for seat in confirmed} == {t.user_id for t in stayed_or_promoted}

    # The waiting list stays one unbroken queue: the five not promoted first, in their
    # old order, then every newcomer.
    waiting = sorted(
        (seat for seat in after.values() if seat.status == WAITLISTED), key=lambda s: s.position
    )
    assert [seat.position for seat in waiting] == list(range(1, 26))
    assert [seat.user_id for seat in waiting[:5]] == [t.user_id for t in waiting_before[5:]]
    assert {seat.user_id for seat in waiting[5:]} == {t.user_id for t in newcomers}

    # Promotions went first in, first out: the head of the old waiting list, in order.
    # (Ordered by event id, which follows the lock; the events' created_at is the
    # moment each withdrawal request started, taken before it waited for the lock.)
    promoted = sorted(
        (seat for seat in after.values() if "promoted" in seat.actions),
        key=lambda s: s.event_id("promoted"),
    )
    assert [seat.user_id for seat in promoted] == [t.user_id for t in waiting_before[:5]]
    assert all(seat.status == CONFIRMED for seat in promoted)

    # Each answer says what the database says: the newcomers wait, the leavers left.
    told = told_after([(t.browser, r) for t, r in zip(newcomers, newcomer_replies, strict=True)])
    assert [t.status for t in told] == [WAITLISTED] * len(newcomers)
    told = told_after([(t.browser, r) for t, r in zip(leavers, leaver_replies, strict=True)])
    assert all("withdrawn" in t.text.lower() for t in told), [t.text for t in told]


def _overbooked(run: FirstComeRun) -> bool:
    return run.by_status()[CONFIRMED] > run.capacity


def test_the_race_catches_a_naive_implementation(race_database, naive_server):
    """With the lock taken out, the checks above must fail.

    On PostgreSQL the naive count-then-insert overbooks. SQLite lets one writer
    at a time and refuses to upgrade a reader that is behind another writer, so
    there the unlocked version fails with errors ("database is locked") instead.
    """
    runs = []
    for _ in range(NAIVE_ATTEMPTS):
        run = run_first_come(race_database.app, naive_server, ["KE"] * TRAINEES, CAPACITY)
        runs.append(run)
        _report(race_database.kind, "naive (no lock)", run.summary())
        for problem in run.problems()[:4]:
            print(f"    caught: {problem[:200]}")
        if _overbooked(run) or (race_database.kind == "sqlite" and run.problems()):
            break
    assert any(run.problems() for run in runs), "the race checks passed without the lock"
    if race_database.kind == "postgresql":
        assert any(_overbooked(run) for run in runs), "no overbooking without the lock"
