"""我的产品: an officer manages his bank's loan products with a maker-checker step; everyone
signed in sees the listed products of every bank."""

from flask import Blueprint

bp = Blueprint("products", __name__, url_prefix="/loans/products")

from . import routes  # noqa: E402,F401
