"""The session cookie, read only when there is one.

Flask's cookie sessions build a signing serializer for every request, with or
without a cookie. Calendar apps, monitors and first-time visitors send none, and
for them that is most of the work of a 304: here they get an empty session
straight away. A request that stores something still gets a signed cookie back,
exactly as before.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class LazyCookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.get_cookie_name(app) not in request.cookies and app.secret_key:
            return self.session_class()
        return super().open_session(app, request)
