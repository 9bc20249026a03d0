"""The default-risk score's pages (issue 14 points 4, 5, 8, 9): the county credit office's
model list and report (page and PDF), promotion and rollback, training and county scoring
as background jobs, and the score panel of a file page."""

from flask import Blueprint

bp = Blueprint("scoring", __name__, url_prefix="/scoring")

from agri_credit.file_panels import register_file_panel  # noqa: E402

from . import routes  # noqa: E402,F401  (registers the views on bp)
from .panel import score_panel  # noqa: E402

# The file pages (agri_credit) show the score panel once this blueprint is registered.
bp.record_once(lambda state: register_file_panel(state.app, score_panel))
