"""新型农业经营主体信用档案: list, view, create, edit, history, operator ID reveal."""

from flask import Blueprint

bp = Blueprint("entities", __name__, url_prefix="/entities")

from . import routes  # noqa: E402,F401
