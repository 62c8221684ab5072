"""Security headers on every response: pages, error pages, feeds, the API and
static files alike (``after_request`` runs for all of them).

The Content Security Policy allows scripts, styles and images from this site only:
templates carry no inline ``<script>`` or ``style=`` attributes, so an injected one
would not run. Personal feeds keep the stricter ``Referrer-Policy: no-referrer``
they set themselves.
"""

from __future__ import annotations

from flask import Flask, Response, current_app

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # For browsers that predate frame-ancestors.
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def set_security_headers(response: Response) -> Response:
    """Add the headers a view has not set itself."""
    headers = response.headers
    for name, value in HEADERS.items():
        headers.setdefault(name, value)
    seconds = current_app.config.get("HSTS_SECONDS", 0)
    if seconds:
        headers.setdefault("Strict-Transport-Security", f"max-age={seconds}; includeSubDomains")
    return response


def init_headers(app: Flask) -> None:
    app.after_request(set_security_headers)
