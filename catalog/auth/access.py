"""Role checks that views of every feature use."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from catalog.models import Role


def role_required(*roles: Role) -> Callable:
    """Let through logged-in users holding any of ``roles`` (admins always);
    send others to the login page, or answer 403 when they are logged in."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def is_staff(user) -> bool:
    """Coordinators and admins, who manage the catalogue."""
    return user.is_authenticated and user.has_role(Role.COORDINATOR)
