"""Security across features: response headers, rate limits, session versions and
the audit log (with the admin page that reads it).

Kept free of imports at package level: other packages import single modules from
here (``catalog.security.audit``, ``catalog.security.sessions``) without pulling in
views, so no import cycle can start here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_security(app: Flask) -> None:
    """Trust the configured proxies, add the security headers to every response and
    apply the login and password-reset rate limits. Call after the blueprints are
    registered: the limits wrap their views."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    from catalog.security.cookies import LazyCookieSessionInterface
    from catalog.security.headers import init_headers
    from catalog.security.ratelimit import init_rate_limits

    app.session_interface = LazyCookieSessionInterface()
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # request.remote_addr becomes the address the N-th proxy from us saw, and
        # request.scheme what the client used; headers from further away are ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    init_headers(app)
    init_rate_limits(app)
    if not (app.debug or app.testing or app.config.get("BASE_URL")):
        app.logger.warning(
            "BASE_URL is not set: links in e-mails, password-reset links among them, take "
            "their host from each request's Host header. Set it to the site's address."
        )
