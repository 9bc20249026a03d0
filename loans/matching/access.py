"""Who may see a financing need's matches: the applicant who is its subject, or the cadre
whose village holds the household she posted it for. Anyone else gets a 404."""

from flask import abort

from agri_credit.auth.scopes import region_in_scope
from models import FinancingNeed, Role, User, db


def can_see_need(need: FinancingNeed, user: User) -> bool:
    if user.role == Role.APPLICANT:
        return (user.subject_type, user.subject_id) == (need.subject_type, need.subject_id)
    if user.role == Role.CADRE:
        return need.subject_type == "household" and region_in_scope(need.region_code, user)
    return False


def need_or_404(need_id: int, user: User) -> FinancingNeed:
    need = db.session.get(FinancingNeed, need_id)
    if need is None or not can_see_need(need, user):
        abort(404)
    return need
