from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from agri_credit.auth.permissions import roles_required
from models import DecisionOutcome, FinancingNeed, LoanDecision, Role, clock, db

from . import bp
from .forms import RepaymentEventForm
from .services import EventInput, EventRefused, events_of, record


def _bank_loan_or_404(decision_id: int) -> LoanDecision:
    decision = db.session.get(LoanDecision, decision_id)
    if (
        decision is None
        or decision.outcome != DecisionOutcome.APPROVED
        or decision.bank_id != current_user.bank_id
    ):
        abort(404)
    return decision


@bp.route("")
@roles_required(Role.OFFICER)
def index():
    loans = db.session.execute(
        select(LoanDecision, FinancingNeed.purpose)
        .join(FinancingNeed, FinancingNeed.id == LoanDecision.need_id)
        .where(
            LoanDecision.bank_id == (current_user.bank_id or 0),
            LoanDecision.outcome == DecisionOutcome.APPROVED.value,
        )
        .order_by(LoanDecision.decided_at.desc())
        .limit(200)
    ).all()
    return render_template("loans/outcomes/index.html", loans=loans)


def _show(decision: LoanDecision, form: RepaymentEventForm, status: int = 200):
    return render_template(
        "loans/outcomes/show.html", decision=decision, events=events_of(decision.id), form=form
    ), status


@bp.route("/<int:decision_id>")
@roles_required(Role.OFFICER)
def show(decision_id: int):
    return _show(_bank_loan_or_404(decision_id), RepaymentEventForm())


@bp.post("/<int:decision_id>/events")
@roles_required(Role.OFFICER)
def add_event(decision_id: int):
    decision = _bank_loan_or_404(decision_id)
    form = RepaymentEventForm()
    if not form.validate_on_submit():
        return _show(decision, form, 400)
    data = EventInput(
        kind=form.kind.data,
        occurred_on=form.occurred_on.data,
        amount=form.amount.data,
        days_overdue=form.days_overdue.data,
        note=form.note.data or "",
    )
    try:
        record(decision, current_user, data, clock.today())
    except EventRefused as refused:
        db.session.rollback()
        form.kind.errors = [str(refused)]
        return _show(decision, form, 400)
    db.session.commit()
    flash(_("已登记"), "success")
    return redirect(url_for("outcomes.show", decision_id=decision.id))
