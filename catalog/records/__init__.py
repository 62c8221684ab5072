"""Records of what training achieved: attendance, results and certificates, trainers
from the training of trainers, and end-of-course feedback. The rules live in
``services``; the views call one service per request and commit or roll back."""

from flask import Blueprint

# The certificate's print style sheet is this feature's own static file.
bp = Blueprint("records", __name__)

from catalog.records import views  # noqa: E402,F401  (routes attach to bp)
