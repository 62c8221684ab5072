"""Rate limits on logging in and on password-reset requests, per client address
and per account, with Flask-Limiter.

Each app gets its own ``Limiter``: the extension keeps its storage and settings on
the instance, so one instance shared by several apps (the tests build many) would
mix their counts and settings. The limits are therefore applied here, to the views
named in ``LIMITS``, rather than by decorators at import time.

The client address is ``request.remote_addr``. Behind proxies, ``TRUSTED_PROXIES``
makes it the address the outermost trusted proxy saw (``ProxyFix`` in
``catalog.security``); with 0, an ``X-Forwarded-For`` header changes nothing, so a
client cannot choose a fresh address for each attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter

from catalog.auth.services import normalise_email


def client_address() -> str:
    """The rate-limit key of the client's address. IPv6 clients are counted per /64,
    the block one subscriber usually holds, so rotating addresses inside it does not
    buy more attempts."""
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return f"ip:{address}"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is an IPv4 client
            return f"ip:{parsed.ipv4_mapped}"
        return f"ip:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"ip:{parsed}"


def submitted_account() -> str:
    """The rate-limit key of the account named in the form, whether or not it exists:
    a keyed hash of the normalised e-mail address, so the storage holds no addresses
    and limits behave the same for unknown ones (no enumeration)."""
    email = normalise_email(request.form.get("email", ""))
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, email.encode(), hashlib.sha256).hexdigest()[:32]
    return f"account:{digest}"


def failed_login(response: Response) -> bool:
    """Only failed attempts count: a class logging in from one training centre's
    address at nine o'clock is not an attack."""
    return response.status_code != 302


@dataclass(frozen=True)
class RateLimit:
    config_key: str  # the config value holding the limit, e.g. "10/minute"
    key_func: Callable[[], str]
    deduct_when: Callable[[Response], bool] | None = None


LIMITS: dict[str, list[RateLimit]] = {
    "auth.login": [
        RateLimit("LOGIN_LIMIT_PER_IP", client_address, failed_login),
        RateLimit("LOGIN_LIMIT_PER_ACCOUNT", submitted_account, failed_login),
    ],
    # Every request counts here: counting only some would tell which addresses
    # have accounts.
    "auth.forgot_password": [
        RateLimit("RESET_LIMIT_PER_IP", client_address),
        RateLimit("RESET_LIMIT_PER_ACCOUNT", submitted_account),
    ],
}


def _for_limited_views(function: Callable[[Response], Response]):
    def only_for_limited_views(response: Response) -> Response:
        return function(response) if request.endpoint in LIMITS else response

    return only_for_limited_views


def init_rate_limits(app: Flask) -> Limiter | None:
    """Create this app's limiter and wrap the limited views (form posts only)."""
    if not app.config.get("RATELIMIT_ENABLED", True):
        return None
    limiter = Limiter(client_address, app=app)
    # Every limit here wraps its view and is checked there. The extension's own
    # check before every request is for application-wide limits, which this site
    # has none of: it would only cost each request time (a tenth of a cached page).
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    # Likewise its rate-limit headers (Retry-After on a 429) only concern limited views.
    inject_headers = getattr(Limiter, "_Limiter__inject_headers", None)
    after = app.after_request_funcs[None]
    for index, function in enumerate(after):
        if getattr(function, "func", None) is inject_headers:
            after[index] = _for_limited_views(function)
    for endpoint, limits in LIMITS.items():
        view = app.view_functions[endpoint]
        for limit in limits:
            view = limiter.limit(
                app.config[limit.config_key],
                key_func=limit.key_func,
                methods=["POST"],
                deduct_when=limit.deduct_when,
            )(view)
        app.view_functions[endpoint] = view
    app.extensions["catalog_limiter"] = limiter
    if app.config["RATELIMIT_STORAGE_URI"].startswith("memory:") and not (app.debug or app.testing):
        app.logger.warning(
            "Rate limits are counted in memory, per process: set RATELIMIT_STORAGE_URI "
            "to a Redis URL so every worker shares them."
        )
    return limiter
