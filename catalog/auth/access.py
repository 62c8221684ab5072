"""Role checks for views, from before the access policy.

Access is decided in one place, ``catalog.security.policy``: a new endpoint needs a
rule in its ``RULES`` (without one every request to it is refused), and then no
decorator from here.
"""

from collections.abc import Callable
from functools import wraps

from flask_login import current_user

from catalog.models import Role
from catalog.security.policy import Rule, decide, is_staff, respond

__all__ = ["is_staff", "role_required"]


def role_required(*roles: Role) -> Callable:
    """Let through logged-in users holding any of ``roles`` (admins always); send
    others to the login page, or answer 403 when they are logged in: the central
    check's decision for such a rule, repeated at the view."""
    rule = Rule(frozenset(roles))

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            refusal = respond(decide(rule, current_user))
            if refusal is not None:
                return refusal
            return view(*args, **kwargs)

        return wrapped

    return decorator
