"""Reports for coordinators, administrators and national focal points: trainees
trained, women's share against the target, seats filled, nominations against
quotas and national trainers produced. Figures in ``services``, charts in ``svg``."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from catalog.reports import views  # noqa: E402,F401  (routes attach to bp)
