from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from agri_credit.auth.permissions import roles_required
from loans.review.forms import ReviewRequestForm
from loans.review.operations import ReviewRefused, request_review
from models import LoanDecision, Role, clock, db

from . import bp
from .access import need_or_404
from .applicant import need_matches
from .services import eligible_count, open_need_count

# Products that do not fit, fewest failed rules first: the nearest ones show at once, every
# other one (up to all ~800 listed products) behind 「显示全部」.
NOT_FITTING_SHOWN = 50


@bp.app_template_global()
def product_open_matches(product_id: int) -> int:
    """For the product page: open needs it matches now."""
    return open_need_count(product_id)


@bp.app_template_global()
def need_eligible_products(need_id: int) -> int:
    """For the need page: listed products it fits now."""
    return eligible_count(need_id)


@bp.route("/needs/<int:need_id>/matches")
@roles_required(Role.APPLICANT, Role.CADRE)
def need_matches_page(need_id: int):
    need = need_or_404(need_id, current_user)
    matches = need_matches(need, clock.today(), _)
    show_all = request.args.get("all") == "1"
    decisions = db.session.scalars(
        select(LoanDecision)
        .where(LoanDecision.need_id == need.id)
        .order_by(LoanDecision.decided_at.desc(), LoanDecision.id.desc())
    ).all()
    return render_template(
        "loans/matching/need_matches.html",
        need=need,
        matches=matches,
        decisions=decisions,
        review_form=ReviewRequestForm(),
        not_fitting=matches.not_fitting if show_all else matches.not_fitting[:NOT_FITTING_SHOWN],
    )


@bp.post("/needs/<int:need_id>/decisions/<int:decision_id>/review")
@roles_required(Role.APPLICANT, Role.CADRE)
def ask_review(need_id: int, decision_id: int):
    need = need_or_404(need_id, current_user)
    decision = db.session.get(LoanDecision, decision_id)
    if decision is None or decision.need_id != need.id:
        abort(404)
    form = ReviewRequestForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(url_for("matching.need_matches_page", need_id=need.id))
    try:
        request_review(decision, form.note.data or "", current_user)
    except ReviewRefused as refused:
        flash(str(refused), "warning")
        return redirect(url_for("matching.need_matches_page", need_id=need.id))
    db.session.commit()
    flash(_("已申请人工复核，银行将重新审查并答复。"), "success")
    return redirect(url_for("matching.need_matches_page", need_id=need.id))
