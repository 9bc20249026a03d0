"""农户档案批量导入: template download, upload and check, marked errors, import."""

from flask import Blueprint

bp = Blueprint("household_import", __name__, url_prefix="/imports")

from . import bulk_routes, routes  # noqa: E402,F401
