"""A household's signed consent (签字授权书): a cadre records it before acting for the
household in 信易贷 (posting needs, granting authorisations)."""

from flask import Blueprint

bp = Blueprint("consents", __name__, url_prefix="/loans/consents")

from . import routes  # noqa: E402,F401
