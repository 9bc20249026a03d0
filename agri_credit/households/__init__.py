"""农户信用档案: list, view, create, edit, history, ID reveal."""

from flask import Blueprint

bp = Blueprint("households", __name__, url_prefix="/households")

from . import routes  # noqa: E402,F401
