from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from agri_credit.auth.permissions import roles_required
from agri_credit.home_panels import home_panels
from loans.matching.store import region_names
from loans.products.services import listed_products_query
from models import (
    DATA_CATEGORY_LABELS,
    REJECTION_REASONS,
    LoanProduct,
    Region,
    RegionLevel,
    Role,
    clock,
    code_range,
    db,
)

from . import bp
from .forms import DecisionForm
from .operations import (
    ClaimRefused,
    DecisionInput,
    DecisionRefused,
    claim,
    decide,
    holding_claim,
)
from .portrait import officer_need_or_404, open_portrait
from .queue import GRADES, SCORE_BANDS, parse_filters, queue_page


def _bank_products() -> list[LoanProduct]:
    return list(
        db.session.scalars(
            listed_products_query(clock.today())
            .where(LoanProduct.bank_id == current_user.bank_id)
            .order_by(LoanProduct.name)
        )
    )


def _townships() -> list[Region]:
    low, high = code_range(current_user.scope_code, current_user.scope.level)
    return list(
        db.session.scalars(
            select(Region)
            .where(Region.level == RegionLevel.TOWNSHIP, Region.code.between(low, high))
            .order_by(Region.code)
        )
    )


@bp.route("/officer/queue")
@roles_required(Role.OFFICER)
def queue():
    products = _bank_products() if current_user.bank_id else []
    townships = _townships()
    filters = parse_filters(request.args, {p.id for p in products}, {t.code for t in townships})
    page = queue_page(current_user.bank_id or 0, clock.utcnow(), filters)
    codes = {row[0].region_code for row in page.rows}
    return render_template(
        "loans/review/queue.html",
        page=page,
        filters=filters,
        products=products,
        product_names={p.id: p.name for p in products},
        townships=townships,
        region_names=region_names(codes),
        grades=GRADES,
        score_bands=SCORE_BANDS,
        home_panels=home_panels(current_user),
    )


@bp.post("/officer/needs/<int:need_id>/claim")
@roles_required(Role.OFFICER)
def claim_need(need_id: int):
    now = clock.utcnow()
    need = officer_need_or_404(need_id, current_user, now)
    product_id = request.form.get("product_id", type=int)
    if product_id is not None and product_id not in {p.id for p in _bank_products()}:
        product_id = None
    try:
        until = claim(
            need,
            current_user,
            product_id,
            clock.today(),
            now,
            current_app.config.get("NEED_CLAIM_WORKING_DAYS", 3),
        )
    except ClaimRefused as refused:
        db.session.rollback()
        flash(str(refused), "warning")
        return redirect(url_for("review.queue"))
    db.session.commit()
    flash(
        _("抢单成功，有效期至 %(until)s", until=clock.local_time(until).strftime("%Y-%m-%d %H:%M")),
        "success",
    )
    return redirect(url_for("review.portrait", need_id=need.id))


@bp.route("/officer/needs/<int:need_id>")
@roles_required(Role.OFFICER)
def portrait(need_id: int):
    now = clock.utcnow()
    need = officer_need_or_404(need_id, current_user, now)
    shown = open_portrait(need, current_user, clock.today())
    db.session.commit()  # the use log rows of this view
    holder = holding_claim(need.id, now)
    return render_template(
        "loans/review/portrait.html",
        need=need,
        p=shown,
        holder=holder,
        mine=holder is not None and holder.bank_id == current_user.bank_id,
        form=DecisionForm(),
        category_labels=DATA_CATEGORY_LABELS,
        rejection_reasons=REJECTION_REASONS,
    )


@bp.post("/officer/needs/<int:need_id>/decision")
@roles_required(Role.OFFICER)
def decision(need_id: int):
    now = clock.utcnow()
    need = officer_need_or_404(need_id, current_user, now)
    form = DecisionForm()
    if not form.validate_on_submit():
        shown = open_portrait(need, current_user, clock.today())
        db.session.commit()
        holder = holding_claim(need.id, now)
        return render_template(
            "loans/review/portrait.html",
            need=need,
            p=shown,
            holder=holder,
            mine=holder is not None and holder.bank_id == current_user.bank_id,
            form=form,
            category_labels=DATA_CATEGORY_LABELS,
            rejection_reasons=REJECTION_REASONS,
        ), 400
    data = DecisionInput(
        outcome=form.outcome.data,
        amount=form.amount.data,
        rate=form.rate.data,
        term_months=form.term_months.data,
        reason_code=form.reason_code.data or None,
        reason_text=form.reason_text.data or "",
    )
    try:
        decide(need, current_user, data, now)
    except DecisionRefused as refused:
        db.session.rollback()
        flash(str(refused), "warning")
        return redirect(url_for("review.portrait", need_id=need.id))
    db.session.commit()
    flash(_("决定已记录，申请人将看到结果和理由。"), "success")
    return redirect(url_for("review.queue"))
