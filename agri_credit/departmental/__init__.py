"""部门数据归集: departmental files (税务, 社保, 公积金, 水电气, 贷款, 公共信用) imported in
batches, matched to credit files, shown on those files and counted on the coverage dashboard."""

from flask import Blueprint

bp = Blueprint("departmental", __name__, url_prefix="/data")

from . import routes  # noqa: E402,F401
