"""Personal calendar feed tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.database import utcnow
from catalog.extensions import db
from catalog.models.user import User


class FeedToken(db.Model):
    """A secret in a personal feed's address; each can be revoked alone.

    The secret itself is never stored: it is an HMAC of ``nonce`` under a server
    key (``FEED_TOKEN_KEY``, by default the secret key), so a copy of the
    database alone reveals no feed, while the profile page can still show the
    address to its owner. Requests are matched by the secret's SHA-256.
    """

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
