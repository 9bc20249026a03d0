"""融资需求: an applicant, or a cadre for a consenting household, posts, edits and withdraws
financing needs."""

from flask import Blueprint

bp = Blueprint("needs", __name__, url_prefix="/loans/needs")

from . import routes  # noqa: E402,F401
