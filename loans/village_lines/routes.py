"""Views of 整村授信: thin; the rules are in services.py and lines.py.

Who sees what (README, 整村授信): an officer sees his bank's grants with counts and totals
by grade and masked names; a household's line amount only while it authorises the bank
(each such look goes to its use log). The village's cadre sees her village's lines in full;
a cadre or office outside the village, and another bank, get a 404.
"""

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from agri_credit.audit import record_event
from agri_credit.auth.permissions import roles_required
from agri_credit.auth.scopes import region_in_scope
from agri_credit.url_arguments import page_number
from loans.access import officer_required, subject_or_404, valid_consent
from loans.authorisations.services import record_use
from loans.products.services import region_choices
from models import (
    GRANT_STATUS_LABELS,
    LINE_STATUS_LABELS,
    NEED_STATUS_LABELS,
    GrantStatus,
    Household,
    LoanProduct,
    ProductType,
    Region,
    Role,
    VillageLine,
    VillageLineGrant,
    clock,
    db,
)

from . import bp
from . import services as lines
from .forms import GrantForm, TakeUpForm, TermsForm, WithdrawForm
from .lines import mask_name

LABELS = {
    "grant": GRANT_STATUS_LABELS,
    "line": LINE_STATUS_LABELS,
    "need": NEED_STATUS_LABELS,
}


# ---- the bank: its grants and their uptake -----------------------------------------------------


@bp.route("/")
@officer_required
def index():
    page = db.paginate(
        lines.bank_grants(current_user.bank_id),
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
        max_per_page=100,
    )
    villages = _region_names({g.village_code for g in page.items})
    return render_template(
        "loans/village_lines/index.html",
        page=page,
        uptake=lines.uptake_by_grant([g.id for g in page.items]),
        villages=villages,
        products=lines.grantable_products(current_user.bank_id, clock.today()),
        labels=LABELS,
    )


def _region_names(codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(
        db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all()
    )


def _grant_form() -> GrantForm:
    today = clock.today()
    form = GrantForm(
        request.form if request.method == "POST" else request.args,
        meta={"csrf": request.method == "POST"},
    )
    form.product_id.choices = [("", _("请选择产品"))] + [
        (str(p.id), p.name) for p in lines.grantable_products(current_user.bank_id, today)
    ]
    form.village_code.choices = [("", _("请选择村"))] + region_choices(current_user.scope_code)
    if not form.valid_to.data and not form.valid_to.raw_data:
        form.valid_to.data = today + timedelta(days=current_app.config["VILLAGE_LINE_VALID_DAYS"])
    return form


def _chosen(form: GrantForm) -> tuple[LoanProduct | None, Region | None]:
    try:
        product_id = int(form.product_id.data or 0)
    except ValueError:
        product_id = 0
    product = db.session.get(LoanProduct, product_id) if product_id else None
    if product is not None and (
        product.bank_id != current_user.bank_id or product.product_type != ProductType.VILLAGE.value
    ):
        product = None
    village = lines.village_or_none(form.village_code.data or "")
    if village is not None and not region_in_scope(village.code, current_user):
        village = None
    return product, village


@bp.route("/new", methods=["GET", "POST"])
@officer_required
def new():
    """Choose a product and a village, see the preview (households, amounts by grade), and
    confirm: the grant waits for another officer of the bank."""
    form = _grant_form()
    product, village = _chosen(form)
    today = clock.today()
    if request.method == "POST":
        ok = form.validate()
        if ok and product is None:
            form.product_id.errors.append(_("请选择本行已上架的整村授信产品"))
            ok = False
        if ok and village is None:
            form.village_code.errors.append(_("请选择本县的一个村"))
            ok = False
        if ok:
            try:
                grant = lines.prepare(product, village, form.valid_to.data, current_user, today)
            except lines.LinesRefused as exc:
                db.session.rollback()
                form.valid_to.errors.append(str(exc))
            else:
                record_event(
                    "village_lines.prepare",
                    "village_line_grant",
                    grant.id,
                    f"整村授信提交复核：{village.name} {product.name} {grant.households} 户",
                    {"total_amount": str(grant.total_amount), "year": grant.year},
                )
                db.session.commit()
                flash(_("已提交，须由本行另一名信贷员复核后生效"), "success")
                return redirect(url_for(".grant", grant_id=grant.id))
    seen = lines.preview(product, village, today) if product and village else None
    return render_template(
        "loans/village_lines/new.html",
        form=form,
        preview=seen,
        masked=_masked_lines(seen) if seen else [],
    )


def _masked_lines(seen: lines.Preview) -> list[tuple[str, str]]:
    """(masked name, grade) of the households that would get a line: what 公示 shows."""
    if not len(seen.lines):
        return []
    names = seen.households.set_index("household_id")["head_name"]
    return [
        (mask_name(names.get(h, "")), g)
        for h, g in zip(seen.lines["household_id"], seen.lines["grade"], strict=True)
    ]


def _own_grant_or_404(grant_id: int) -> VillageLineGrant:
    grant = db.session.get(VillageLineGrant, grant_id)
    if grant is None or grant.bank_id != current_user.bank_id:
        abort(404)
    return grant


@bp.route("/grants/<int:grant_id>")
@officer_required
def grant(grant_id: int):
    grant = _own_grant_or_404(grant_id)
    page = db.paginate(
        lines.grant_lines_query(grant.id),
        page=page_number(),
        per_page=50,
        max_per_page=100,
    )
    rows = lines.with_details(page.items)
    authorised = lines.authorised_households(
        grant.bank_id, [line.household_id for line, _name, _status in rows]
    )
    for line, _name, _status in rows:
        if (authorisation := authorised.get(line.household_id)) is not None:
            record_use(
                authorisation,
                current_user,
                f"整村授信：查看授信额度（批次 #{grant.id}）",
                category="rating",
                detail={"village_line_id": line.id},
            )
    db.session.commit()  # the use log of what was shown
    return render_template(
        "loans/village_lines/grant.html",
        grant=grant,
        village=db.session.get(Region, grant.village_code),
        page=page,
        rows=rows,
        authorised=authorised,
        mask_name=mask_name,
        uptake=lines.uptake_by_grant([grant.id]).get(grant.id),
        approved=lines.approved_amounts(
            [
                line.need_id
                for line, _n, _s in rows
                if line.need_id and line.household_id in authorised
            ],
            grant.bank_id,
        ),
        withdraw_form=WithdrawForm(),
        labels=LABELS,
        GrantStatus=GrantStatus,
    )


@bp.route("/grants/<int:grant_id>/approve", methods=["POST"])
@officer_required
def approve(grant_id: int):
    grant = _own_grant_or_404(grant_id)
    try:
        count = lines.approve(grant, current_user, clock.today())
    except lines.LinesRefused as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        record_event(
            "village_lines.approve",
            "village_line_grant",
            grant.id,
            f"整村授信复核通过：{count} 户，合计 {grant.total_amount} 元",
        )
        db.session.commit()
        flash(_("已复核通过，%(n)s 户的授信额度已生效", n=count), "success")
    return redirect(url_for(".grant", grant_id=grant.id))


@bp.route("/grants/<int:grant_id>/withdraw", methods=["POST"])
@officer_required
def withdraw(grant_id: int):
    grant = _own_grant_or_404(grant_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        for error in form.reason.errors:
            flash(_("撤回原因：%(e)s", e=error), "danger")
        return redirect(url_for(".grant", grant_id=grant.id))
    try:
        ended = lines.withdraw_grant(grant, current_user, form.reason.data.strip())
    except lines.LinesRefused as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        record_event(
            "village_lines.withdraw",
            "village_line_grant",
            grant.id,
            f"撤回整村授信：{ended} 户额度终止",
            {"reason": grant.withdraw_reason},
        )
        db.session.commit()
        flash(_("已撤回，%(n)s 户未用信的额度已终止", n=ended), "success")
    return redirect(url_for(".grant", grant_id=grant.id))


@bp.route("/lines/<int:line_id>/withdraw", methods=["POST"])
@officer_required
def withdraw_line(line_id: int):
    line = db.session.get(VillageLine, line_id)
    if line is None or line.grant.bank_id != current_user.bank_id:
        abort(404)
    try:
        lines.withdraw_line(line, current_user)
    except lines.LinesRefused as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        record_event(
            "village_lines.withdraw_line",
            "household",
            line.household_id,
            f"撤回授信额度 #{line.id}",
        )
        db.session.commit()
        flash(_("已撤回该户的授信额度"), "success")
    return redirect(url_for(".grant", grant_id=line.grant_id))


# ---- the product's line table ------------------------------------------------------------------


@bp.route("/products/<int:product_id>/terms", methods=["GET", "POST"])
@officer_required
def terms(product_id: int):
    product = db.session.get(LoanProduct, product_id)
    if (
        product is None
        or product.bank_id != current_user.bank_id
        or product.product_type != ProductType.VILLAGE.value
    ):
        abort(404)
    row = lines.terms_of(product.id)
    data = None
    if request.method == "GET":
        data = (
            lines.terms_form_data(row)
            if row is not None
            else lines.default_terms_data(current_app.config)
        )
    form = TermsForm(data=data)
    if request.method == "POST" and form.validate_with_product(
        product.amount_min, product.amount_max
    ):
        try:
            saved = lines.save_terms(product, _terms_data(form), current_user)
        except lines.LinesRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            record_event(
                "village_lines.terms",
                "loan_product",
                product.id,
                f"设置整村授信额度表 {product.name}",
                {
                    "grade_amounts": saved.grade_amounts,
                    "cap_below_points": saved.cap_below_points,
                    "cap_amount": str(saved.cap_amount) if saved.cap_amount is not None else None,
                    "credit_household_discount": str(saved.credit_household_discount),
                    "credit_village_discount": str(saved.credit_village_discount),
                },
            )
            db.session.commit()
            flash(_("已保存授信额度表"), "success")
            return redirect(url_for(".terms", product_id=product.id))
    return render_template(
        "loans/village_lines/terms.html",
        form=form,
        product=product,
        row=row,
        editable=product.status in ("draft", "delisted"),
    )


def _terms_data(form: TermsForm) -> dict:
    return {
        "amount_aaa": form.amount_aaa.data,
        "amount_aa": form.amount_aa.data,
        "amount_a": form.amount_a.data,
        "cap_below_points": form.cap_below_points.data,
        "cap_amount": form.cap_amount.data,
        "credit_household_discount": form.credit_household_discount.data,
        "credit_village_discount": form.credit_village_discount.data,
    }


# ---- the village and the household -----------------------------------------------------------


@bp.route("/villages/<code>")
@roles_required(Role.CADRE, Role.OFFICE)
def village(code: str):
    """The village's lines and their use: its cadre, and offices above it."""
    region = lines.village_or_none(code)
    if region is None or not region_in_scope(code, current_user):
        abort(404)
    grants = lines.village_grants(code)
    chosen = request.args.get("grant", type=int)
    shown = next((g for g in grants if g.id == chosen), grants[0] if grants else None)
    page = rows = None
    if shown is not None:
        page = db.paginate(
            lines.grant_lines_query(shown.id), page=page_number(), per_page=50, max_per_page=100
        )
        rows = lines.with_details(page.items)
    return render_template(
        "loans/village_lines/village.html",
        village=region,
        status=lines.village_status(code, clock.today()),
        grants=grants,
        shown=shown,
        page=page,
        rows=rows or [],
        uptake=lines.uptake_by_grant([g.id for g in grants]),
        approved=lines.approved_amounts(
            [line.need_id for line, _n, _s in rows or [] if line.need_id],
            shown.bank_id if shown else 0,
        ),
        labels=LABELS,
    )


def _line_for_household_or_404(line_id: int) -> tuple[VillageLine, Household]:
    line = db.session.get(VillageLine, line_id)
    if line is None or line.grant.status == GrantStatus.PENDING.value:
        abort(404)
    subject_or_404(current_user, "household", line.household_id)
    return line, db.session.get(Household, line.household_id)


@bp.route("/lines/<int:line_id>/take-up", methods=["GET", "POST"])
@roles_required(Role.CADRE, Role.APPLICANT)
def take_up(line_id: int):
    """One step from the household's line to a financing need with the bank authorised."""
    line, household = _line_for_household_or_404(line_id)
    today = clock.today()
    consent = None
    if current_user.role == Role.CADRE:
        consent = valid_consent(household.id, today)
        if consent is None:
            flash(_("请先上传该户签字的授权书，再代其办理"), "warning")
            return redirect(url_for("consents.household", household_id=household.id))
    form = TakeUpForm()
    if form.validate_on_submit():
        try:
            need = lines.take_up(
                line, household, current_user, today, consent.id if consent else None
            )
        except lines.LinesRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            record_event(
                "village_lines.take_up",
                "household",
                household.id,
                f"以整村授信额度发布融资需求 #{need.id}，并授权 {line.grant.bank.name}",
                {"village_line_id": line.id, "amount": str(line.amount)},
            )
            db.session.commit()
            flash(_("已发布融资需求并授权该银行，等待银行审查"), "success")
            return redirect(url_for("needs.show", need_id=need.id))
    product = db.session.get(LoanProduct, line.grant.product_id)
    return render_template(
        "loans/village_lines/take_up.html",
        form=form,
        line=line,
        household=household,
        product=product,
        usable=lines.usable(line, today),
        labels=LABELS,
    )
