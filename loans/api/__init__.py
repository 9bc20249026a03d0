"""The bank API (`/api/v1`): JSON for banks' own systems, authenticated by per-bank tokens;
and the officer's page that makes and revokes those tokens."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
pages_bp = Blueprint("api_tokens", __name__)

from . import errors, pages, routes  # noqa: E402,F401  (routes attach to the blueprints)
