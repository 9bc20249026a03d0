"""Who may see a financing need's matches: whoever may act for its subject (the applicant
herself, or the cadre of the household's village; `loans.access.may_act_for`). Anyone else
gets a 404."""

from flask import abort

from loans.access import may_act_for
from models import FinancingNeed, User, db


def need_or_404(need_id: int, user: User) -> FinancingNeed:
    need = db.session.get(FinancingNeed, need_id)
    if need is None or may_act_for(user, need.subject_type, need.subject_id) is None:
        abort(404)
    return need
