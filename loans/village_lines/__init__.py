"""整村授信 (issue 15 point 6): a 整村授信 product's line table; a bank's pre-approved lines
for the rated households of a 信用村 in one step (preview, then maker-checker); the household's
line on its file, taken up as a financing need in one step; the village's lines and their
use; the bank's uptake."""

from flask import Blueprint

bp = Blueprint("village_lines", __name__, url_prefix="/loans/village-lines")

from agri_credit.file_panels import register_file_panel  # noqa: E402
from agri_credit.home_panels import register_home_panel  # noqa: E402

from . import routes  # noqa: E402,F401  (registers the views on bp)
from .panel import home_panel, line_panel  # noqa: E402

# The household file page (agri_credit) shows the household's lines once this is registered.
bp.record_once(lambda state: register_file_panel(state.app, line_panel))
bp.record_once(lambda state: register_home_panel(state.app, home_panel))
