"""中小微企业 (SME) files: list, view, create, edit, history; departmental records on the file."""

from flask import Blueprint

bp = Blueprint("enterprises", __name__, url_prefix="/enterprises")

from . import routes  # noqa: E402,F401
