"""信易贷统计: needs posted, matched, claimed and approved, amounts granted, first loans
(首贷户), days from need to decision and rejection reasons, by bank, product type, subject
type, township and month, for the credit offices (their node of the region tree) and the
banks (their own figures only). `sources.py` reads the rows, `figures.py` computes every
figure from them (plain pandas), `charts.py` and `export.py` show them."""

from flask import Blueprint

bp = Blueprint("loan_stats", __name__, url_prefix="/loans/statistics")

from . import routes  # noqa: E402,F401
