"""部门数据归集: departmental files (税务, 社保, 公积金, 水电气, 贷款, 公共信用) imported in
batches, matched to credit files, shown on those files and counted on the coverage dashboard."""

from flask import Blueprint

# cli_group=None: the worker is `flask import-worker`, not `flask departmental import-worker`.
bp = Blueprint("departmental", __name__, url_prefix="/data", cli_group=None)

from . import commands, link_routes, routes  # noqa: E402,F401
