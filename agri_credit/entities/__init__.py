from flask import Blueprint

bp = Blueprint("entities", __name__, url_prefix="/entities")

from . import routes  # noqa: E402,F401
