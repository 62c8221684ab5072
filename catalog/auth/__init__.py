"""Accounts: registration, login, logout, profile and role checks."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from catalog.extensions import db, login_manager

bp = Blueprint("auth", __name__, url_prefix="/account")

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str):
    from catalog.models import User

    if not user_id.isdigit():
        return None
    return db.session.get(User, int(user_id))


from catalog.auth import views  # noqa: E402,F401  (routes attach to bp)
