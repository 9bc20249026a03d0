"""授权管理: a subject authorises a named bank (or one product's bank) to read its data for a
purpose and a period, revokes it at once, and sees every use of it."""

from flask import Blueprint

bp = Blueprint("authorisations", __name__, url_prefix="/loans/authorisations")

from . import routes  # noqa: E402,F401
