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
    # One pass over the names already set: Headers.setdefault looks each name up
    # with an exception when it is missing, which is most of a 304's cost here.
    present = {name.lower() for name, _value in headers.items()}
    headers.extend(
        [(name, value) for name, value in HEADERS.items() if name.lower() not in present]
    )
    seconds = current_app.config.get("HSTS_SECONDS", 0)
    if seconds and "strict-transport-security" not in present:
        headers["Strict-Transport-Security"] = f"max-age={seconds}; includeSubDomains"
    return response


def init_headers(app: Flask) -> None:
    app.after_request(set_security_headers)
