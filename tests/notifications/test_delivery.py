"""Delivering the outbox to a real SMTP server: retried with backoff, sent once,
never lost while the server is down, never sent twice by two senders."""

from __future__ import annotations

import threading
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import update

from catalog.extensions import db
from catalog.models import OutboxMessage
from catalog.notifications.compose import Link, queue_message
from catalog.notifications.delivery import LEASE, MAX_BACKOFF, backoff, deliver_due
from catalog.notifications.mail import (
    ConsoleTransport,
    FileTransport,
    SMTPTransport,
    build_email,
    transport_for,
)
from tests.notifications.support import (
    NOW,
    calendar_part,
    free_port,
    html_part,
    smtp_server,
    text_part,
    trainee,
    use_smtp,
)

CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:session-1@x\r\n"
    "SEQUENCE:2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def queued(count: int = 1, **fields) -> list[OutboxMessage]:
    person = trainee(fields.pop("email", None))
    messages = [
        queue_message(
            person,
            "test",
            f"Message {n}",
            [f"Paragraph of message {n}."],
            Link("Course page", "http://localhost:5000/offerings/1"),
            **fields,
        )
        for n in range(count)
    ]
    db.session.commit()
    return messages


def fresh(message: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


def test_backoff_doubles_from_a_minute_up_to_six_hours():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(30) == MAX_BACKOFF == timedelta(hours=6)


def test_a_server_that_refuses_twice_gets_the_message_once_later(app, monkeypatch):
    [message] = queued(email="patient@example.org")
    with smtp_server(refuse=2) as mailbox:
        use_smtp(app, monkeypatch, mailbox.port)

        assert str(deliver_due(NOW)) == "0 sent, 1 failed"
        row = fresh(message)
        assert (row.attempts, row.sent_at, row.claimed_at) == (1, None, None)
        assert row.next_attempt_at == NOW + timedelta(minutes=1)
        assert "451" in row.last_error

        # Not due yet: nothing is tried.
        assert str(deliver_due(NOW + timedelta(seconds=59))) == "0 sent, 0 failed"
        assert mailbox.attempts == 1

        assert str(deliver_due(NOW + timedelta(minutes=1))) == "0 sent, 1 failed"
        row = fresh(message)
        assert row.attempts == 2
        assert row.next_attempt_at == NOW + timedelta(minutes=3)
        assert str(deliver_due(NOW + timedelta(minutes=2))) == "0 sent, 0 failed"
        assert mailbox.attempts == 2

        assert str(deliver_due(NOW + timedelta(minutes=3))) == "1 sent, 0 failed"
        row = fresh(message)
        assert row.sent_at == NOW + timedelta(minutes=3)
        assert (row.attempts, row.last_error) == (2, "")

        assert str(deliver_due(NOW + timedelta(days=1))) == "0 sent, 0 failed"
        assert mailbox.attempts == 3
        assert [m["Subject"] for m in mailbox.received] == ["Message 0"]
        assert mailbox.received[0]["To"] == "patient@example.org"


def test_nothing_is_lost_while_the_server_is_down(app, monkeypatch):
    [message] = queued()
    port = free_port()
    use_smtp(app, monkeypatch, port)

    assert str(deliver_due(NOW)) == "0 sent, 1 failed"
    assert str(deliver_due(NOW + timedelta(minutes=1))) == "0 sent, 1 failed"
    row = fresh(message)
    assert row.attempts == 2
    assert "ConnectionRefusedError" in row.last_error

    with smtp_server() as mailbox:
        use_smtp(app, monkeypatch, mailbox.port)
        assert str(deliver_due(NOW + timedelta(minutes=3))) == "1 sent, 0 failed"
    assert len(mailbox.received) == 1
    assert fresh(message).sent_at is not None


def test_a_message_another_process_is_sending_is_left_alone(mailbox):
    busy, abandoned, free = queued(3)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == busy.id)
        .values(claimed_at=NOW - timedelta(minutes=1))
    )
    # A sender that died mid-send: its claim runs out after the lease.
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == abandoned.id)
        .values(claimed_at=NOW - LEASE - timedelta(seconds=1))
    )
    db.session.commit()

    assert str(deliver_due(NOW)) == "2 sent, 0 failed"
    assert sorted(m["Subject"] for m in mailbox.received) == ["Message 1", "Message 2"]
    assert fresh(busy).sent_at is None


def test_a_claim_taken_between_reading_and_sending_wins(app, mailbox):
    """The other process claims message 2 while this one sends message 1: the
    conditional UPDATE finds it taken and moves on."""
    first, second = queued(2)
    second_id = second.id
    smtp = transport_for(app)

    class ClaimsTheNextOne:
        def send(self, email):
            with db.engine.begin() as other_process:
                other_process.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == second_id)
                    .values(claimed_at=NOW)
                )
            smtp.send(email)

    assert str(deliver_due(NOW, transport=ClaimsTheNextOne())) == "1 sent, 0 failed"
    assert [m["Subject"] for m in mailbox.received] == ["Message 0"]
    assert fresh(first).sent_at == NOW
    assert fresh(second).sent_at is None


def test_two_senders_at_once_send_each_message_once(app, mailbox):
    messages = queued(30)
    db.session.remove()
    reports = []
    start = threading.Barrier(2)

    def sender():
        with app.app_context():
            start.wait(timeout=10)
            reports.append(deliver_due(NOW))
            db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)

    assert sum(report.sent for report in reports) == len(messages)
    assert sum(report.failed for report in reports) == 0
    ids = [m["Message-ID"] for m in mailbox.received]
    assert len(ids) == len(set(ids)) == len(messages)


def test_an_email_has_text_html_and_the_invitation(app):
    [message] = queued(calendar=CALENDAR, email="ines@example.org")
    email = build_email(message, "Catalogue <no-reply@training.example.org>")

    assert email.get_content_type() == "multipart/mixed"
    assert email["To"] == "ines@example.org"
    assert email["Message-ID"].endswith("@training.example.org>")
    # The same Message-ID on every attempt, so a repeat can be recognised.
    assert (
        build_email(message, "no-reply@training.example.org")["Message-ID"] == email["Message-ID"]
    )
    assert "Paragraph of message 0." in text_part(email)
    assert "Course page: http://localhost:5000/offerings/1" in text_part(email)
    assert '<a href="http://localhost:5000/offerings/1"' in html_part(email)
    invitation = calendar_part(email)
    assert invitation.get_param("method") == "REQUEST"
    assert invitation.get_filename() == "invite.ics"
    assert invitation.get_content().replace("\r\n", "\n") == CALENDAR.replace("\r\n", "\n")


def test_a_line_break_in_a_subject_cannot_break_the_headers():
    person = trainee()
    message = queue_message(person, "test", "Session\r\nBcc: everyone@example.org", ["Hi"])
    db.session.commit()
    assert message.subject == "Session Bcc: everyone@example.org"
    assert build_email(message, "no-reply@localhost")["Bcc"] is None


def test_the_development_transport_writes_eml_files(tmp_path: Path):
    [message] = queued(calendar=CALENDAR, email="dev@example.org")
    mail_dir = tmp_path / "mail"

    assert str(deliver_due(NOW, transport=FileTransport(mail_dir))) == "1 sent, 0 failed"
    [path] = mail_dir.glob("*.eml")
    email = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert email["To"] == "dev@example.org"
    assert email["Subject"] == "Message 0"
    assert "Paragraph of message 0." in text_part(email)
    assert '<html lang="en">' in html_part(email)
    assert calendar_part(email).get_param("method") == "REQUEST"


@pytest.mark.parametrize(
    ("kind", "transport"),
    [("file", FileTransport), ("console", ConsoleTransport), ("smtp", SMTPTransport)],
)
def test_mail_transport_chooses_the_transport(app, monkeypatch, kind, transport):
    monkeypatch.setitem(app.config, "MAIL_TRANSPORT", kind)
    chosen = transport_for(app)
    assert isinstance(chosen, transport)
    if kind == "file":
        assert chosen.directory == Path(app.instance_path) / "mail"
