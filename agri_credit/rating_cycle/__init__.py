"""信用户 / 信用村 / 信用乡镇 评定: rule sets, rating runs, publication (公示), objections,
approvals up the region tree, credit repair, dashboards, exports and certificates.

The scoring itself is pure pandas in `agri_credit.ratings`; this package reads its inputs
from the database, stores its results and serves the pages around them."""

from flask import Blueprint

bp = Blueprint("rating_cycle", __name__, url_prefix="/ratings", cli_group=None)

from . import (  # noqa: E402,F401
    publication_routes,
    repair_routes,
    report_routes,
    ruleset_routes,
    run_routes,
)
