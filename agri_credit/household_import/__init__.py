from flask import Blueprint

bp = Blueprint("household_import", __name__, url_prefix="/imports")

from . import routes  # noqa: E402,F401
