"""Per-user session versions: logging out, changing a password and changing roles
end every session of that person, on every device, on its next request.

Flask keeps the session in a signed cookie, so the server has no session list to
delete from. Instead each user has a ``session_version``; ``User.get_id`` returns
``"<id>:<version>"``, which Flask-Login stores in the session and in the
"keep me logged in" cookie alike, and ``load_user`` accepts it only while the
version is current. Raising the version therefore invalidates both kinds of
cookie at once, with no second check to forget.

A new session on login: the login view clears the session before logging in, so
nothing a visitor carried in (a planted session, an old CSRF token) survives, and
the cookie sent back is a fresh one.
"""

from __future__ import annotations

from flask import current_app, request, session
from flask_login import login_user

from catalog.extensions import db
from catalog.models import User

# What Flask-Login keeps in the session about the logged-in user.
_LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember_seconds")


def load_user(session_id: str) -> User | None:
    """Flask-Login's user loader: the user of ``"<id>:<version>"`` while that version
    is current; otherwise the login is dropped from the session and the remember
    cookie is cleared, so the stale values are not tried again."""
    user_id, _, version = session_id.partition(":")
    user = None
    if user_id.isdigit() and version.isdigit():
        user = db.session.get(User, int(user_id))
        if user is not None and user.session_version != int(version):
            user = None
    if user is None:
        _forget_login()
    return user


def _forget_login() -> None:
    for key in _LOGIN_KEYS:
        session.pop(key, None)
    if _remember_cookie_name() in request.cookies:
        session["_remember"] = "clear"  # Flask-Login deletes the cookie on the response


def _remember_cookie_name() -> str:
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember cookie of ``user`` (the caller commits).

    Raised in SQL, so two changes at the same moment both count."""
    user.session_version = User.session_version + 1
    db.session.flush()


def renew_login(user: User) -> None:
    """Log the current browser in again after ``end_all_sessions(user)`` (a password
    or own-role change): a fresh session with the new version, remembered again if
    it was before. Call after the commit."""
    remembered = _remember_cookie_name() in request.cookies
    session.clear()
    login_user(user, remember=remembered)
