"""银行机构: the county credit office registers banks, their branches and officer accounts."""

from flask import Blueprint

bp = Blueprint("banks", __name__, url_prefix="/loans/banks")

from . import routes  # noqa: E402,F401
