from agri_credit.auth.permissions import FILE_KEEPERS, roles_required

from . import bp


@bp.route("/households")
@roles_required(*FILE_KEEPERS)
def upload():
    return "TODO"
