"""Enrolment pages: trainees enrol and withdraw, focal points nominate for their
country, coordinators select. The rules live in ``services``; these views call
one service per request and commit or roll back."""

from flask import Blueprint

bp = Blueprint("enrolment", __name__)

from catalog.enrolment import views  # noqa: E402,F401  (routes attach to bp)
