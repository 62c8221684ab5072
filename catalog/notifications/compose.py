"""Queue messages in the outbox, written in each recipient's language and zone.

Call these inside the transaction that makes the change: the message is then
sent if and only if the change is committed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from catalog.extensions import db
from catalog.models import OutboxMessage, User


@dataclass(frozen=True)
class Link:
    text: str
    url: str


def queue_message(
    recipient: User,
    kind: str,
    subject: str,
    paragraphs: list[str],
    link: Link | None = None,
    calendar: bytes | str = b"",
) -> OutboxMessage:
    """Add one message (plain text and HTML) to the outbox.

    ``subject`` and ``paragraphs`` must already be in the recipient's language:
    build them inside ``in_language_of(recipient)``.
    """
    # A line break in a header would make every delivery attempt fail.
    subject = " ".join(subject.split())
    text = "\n\n".join(paragraphs)
    with force_locale(recipient.language or "en"):
        if link is not None:
            text += "\n\n" + _("%(text)s: %(url)s", text=link.text, url=link.url)
        html = render_template(
            "mail/message.html", subject=subject, paragraphs=paragraphs, link=link
        )
    if isinstance(calendar, bytes):
        calendar = calendar.decode("utf-8")
    message = OutboxMessage(
        recipient=recipient,
        kind=kind[:40],
        subject=subject[:200],
        body=text,
        html_body=html,
        calendar=calendar,
    )
    db.session.add(message)
    return message


def in_language_of(user: User):
    """``with in_language_of(user): ...`` renders gettext strings in their language."""
    return force_locale(user.language or "en")
