"""Accounts: registration, login, logout, profile and role checks."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from catalog.extensions import login_manager

bp = Blueprint("auth", __name__, url_prefix="/account")

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str):
    """``"<id>:<session version>"`` from the session or the remember cookie; see
    ``catalog.security.sessions`` for why the version is part of it."""
    from catalog.security.sessions import load_user as load_current_user

    return load_current_user(session_id)


from catalog.auth import views  # noqa: E402,F401  (routes attach to bp)
