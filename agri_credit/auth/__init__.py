"""Login, logout, language choice; role and scope checks used by every other blueprint."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
