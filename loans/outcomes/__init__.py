"""Outcomes of loans approved on the platform (issue 15 point 5): the officer records the
disbursement and each repayment event; they become labels of the next default-risk model."""

from flask import Blueprint

bp = Blueprint("outcomes", __name__, url_prefix="/officer/loans")

from . import routes  # noqa: E402,F401
