"""Outbox messages as e-mails, and the ways to send them.

``MAIL_TRANSPORT`` chooses: ``smtp`` (production and tests, with a real server),
``file`` (development: one .eml file per message under instance/mail), or
``console`` (logged).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from flask import Flask

from catalog.models import OutboxMessage

log = logging.getLogger(__name__)


def message_id(message: OutboxMessage, sender: str) -> str:
    """The same Message-ID on every attempt for one outbox row (``make_msgid`` would
    add the time and a random number), so a receiving server, a mail program or the
    development mailbox can recognise a repeat. The creation time keeps ids apart
    across databases that reuse row numbers."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<outbox-{message.id}.{int(message.created_at.timestamp())}@{domain}>"


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The message as plain text and HTML alternatives, with its calendar
    (METHOD:REQUEST or CANCEL) attached as text/calendar."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient.email
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message_id(message, sender)
    email.set_content(message.body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    if message.calendar:
        method = "REQUEST"
        for line in message.calendar.splitlines():
            if line.startswith("METHOD:"):
                method = line.split(":", 1)[1].strip()
        email.add_attachment(
            message.calendar.encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": method, "charset": "utf-8"},
        )
    return email


class SMTPTransport:
    def __init__(self, config):
        self.host = config["MAIL_SERVER"]
        self.port = int(config["MAIL_PORT"])
        self.use_tls = bool(config.get("MAIL_USE_TLS"))
        self.use_ssl = bool(config.get("MAIL_USE_SSL"))
        self.username = config.get("MAIL_USERNAME")
        self.password = config.get("MAIL_PASSWORD")
        self.timeout = float(config.get("MAIL_TIMEOUT", 20))

    def send(self, email: EmailMessage) -> None:
        context = ssl.create_default_context()
        if self.use_ssl:
            server = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with server:
            if self.use_tls and not self.use_ssl:
                server.starttls(context=context)
            if self.username:
                server.login(self.username, self.password or "")
            server.send_message(email)


class FileTransport:
    """Development mailbox: messages land as .eml files any mail program opens."""

    def __init__(self, directory: Path):
        self.directory = directory

    def send(self, email: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = email["Message-ID"].strip("<>").replace("@", "_").replace("/", "_")
        path = self.directory / f"{name}.eml"
        # Written aside, then renamed: a full disk leaves no half message in the
        # mailbox, only the error that keeps the outbox row queued for a retry.
        partial = path.with_name(f".{path.name}.part")
        try:
            partial.write_bytes(bytes(email))
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        log.info("Mail to %s saved: %s", email["To"], email["Subject"])


class ConsoleTransport:
    def send(self, email: EmailMessage) -> None:
        log.warning("Mail to %s: %s\n%s", email["To"], email["Subject"], email.get_body())


def transport_for(app: Flask):
    kind = app.config.get("MAIL_TRANSPORT", "smtp")
    if kind == "file":
        return FileTransport(Path(app.instance_path) / "mail")
    if kind == "console":
        return ConsoleTransport()
    return SMTPTransport(app.config)
