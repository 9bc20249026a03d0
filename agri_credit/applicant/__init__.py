"""The applicant's own pages (企业/农户): his file read-only, his grade and its breakdown, his
village's notice, his objections and credit repairs. Every lookup is bounded by the one
subject his account names (`users.subject_type` / `subject_id`), never by a region."""

from flask import Blueprint

bp = Blueprint("applicant", __name__, url_prefix="/my")

from . import routes  # noqa: E402,F401
