"""信用户 / 信用村 / 信用乡镇 评定: rule sets, rating runs, publication (公示), objections,
approvals up the region tree, credit repair, dashboards, exports and certificates.

The scoring itself is pure pandas in `agri_credit.ratings`; this package reads its inputs
from the database, stores its results and serves the pages around them."""

from flask import Blueprint

bp = Blueprint("rating_cycle", __name__, url_prefix="/ratings", cli_group=None)

# Each room registers its views on the one blueprint, so endpoint names stay `rating_cycle.*`.
from . import cli  # noqa: E402,F401
from .approvals import routes as approval_routes  # noqa: E402,F401
from .objections import routes as objection_routes  # noqa: E402,F401
from .publication import routes as publication_routes  # noqa: E402,F401
from .repairs import routes as repair_routes  # noqa: E402,F401
from .reports import routes as report_routes  # noqa: E402,F401
from .rulesets import routes as ruleset_routes  # noqa: E402,F401
from .runs import routes as run_routes  # noqa: E402,F401
