"""Subscription links for calendar apps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from flask import url_for

from catalog.feeds.services import live_tokens, site_root, token_for
from catalog.models import User

GOOGLE_ADD_BY_URL = "https://calendar.google.com/calendar/r?cid="


@dataclass(frozen=True)
class SubscribeLinks:
    https: str
    webcal: str
    google: str


@dataclass(frozen=True)
class PersonalFeed:
    id: int
    label: str
    created_at: datetime
    links: SubscribeLinks


def subscribe_links(path: str) -> SubscribeLinks:
    """The feed's address, its webcal:// form (Apple, Outlook) and Google's add link."""
    https = site_root() + path
    webcal = "webcal://" + https.split("://", 1)[1]
    return SubscribeLinks(https, webcal, GOOGLE_ADD_BY_URL + quote(webcal, safe=""))


def personal_feed_links(user: User) -> list[PersonalFeed]:
    return [
        PersonalFeed(
            row.id,
            row.label,
            row.created_at,
            subscribe_links(url_for("feeds.personal_feed_view", token=token_for(row))),
        )
        for row in live_tokens(user)
    ]
