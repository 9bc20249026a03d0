"""Views of authorisations: the list in the user's scope, grant (with the warning and the
explicit consent), revoke at once, and every use of one."""

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from agri_credit.audit import record_event
from agri_credit.url_arguments import page_number
from loans.access import Subject, acting_required, own_subject, subject_or_404, valid_consent
from loans.products.services import listed_products_query
from models import (
    DATA_CATEGORY_LABELS,
    SUBJECT_TYPE_LABELS,
    Authorisation,
    AuthorisationUse,
    Bank,
    Household,
    LoanProduct,
    Role,
    clock,
    db,
    utcnow,
)

from . import bp
from . import services as authorisations
from .forms import AuthorisationForm


def _scope_query():
    """The user's subjects' authorisations: her own subject's, or her village's households'."""
    query = select(Authorisation)
    subject = own_subject(current_user)
    if current_user.role == Role.APPLICANT and subject is not None:
        query = query.where(
            Authorisation.subject_type == subject.type, Authorisation.subject_id == subject.id
        )
    elif current_user.role == Role.CADRE:
        village = select(Household.id).where(Household.village_code == current_user.scope_code)
        query = query.where(
            Authorisation.subject_type == "household", Authorisation.subject_id.in_(village)
        )
    else:
        query = query.where(Authorisation.id.is_(None))
    return query.order_by(Authorisation.granted_at.desc(), Authorisation.id.desc())


@bp.route("/")
@acting_required
def index():
    page = db.paginate(
        _scope_query(),
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
        max_per_page=100,
    )
    ids = [a.id for a in page.items]
    use_counts = dict(
        db.session.execute(
            select(AuthorisationUse.authorisation_id, func.count())
            .where(AuthorisationUse.authorisation_id.in_(ids))
            .group_by(AuthorisationUse.authorisation_id)
        ).all()
    )
    names = {}
    if current_user.role == Role.CADRE and page.items:
        names = dict(
            db.session.execute(
                select(Household.id, Household.head_name).where(
                    Household.id.in_({a.subject_id for a in page.items})
                )
            ).all()
        )
    return render_template(
        "loans/authorisations/index.html",
        page=page,
        subject=own_subject(current_user),
        use_counts=use_counts,
        names=names,
        now=utcnow(),
        status_of=authorisations.status_of,
        status_labels=authorisations.STATUS_LABELS,
    )


def _acting_subject() -> Subject:
    subject_id = request.args.get("subject_id", type=int)
    if subject_id is not None:
        return subject_or_404(current_user, request.args.get("subject_type", ""), subject_id)
    subject = own_subject(current_user) if current_user.role == Role.APPLICANT else None
    if subject is None:
        abort(404)
    return subject


def _form() -> AuthorisationForm:
    form = AuthorisationForm()
    banks = db.session.execute(select(Bank.id, Bank.name).where(Bank.active).order_by(Bank.id))
    form.bank_id.choices = [("", _("请选择银行"))] + [(str(i), n) for i, n in banks]
    products = db.session.scalars(
        listed_products_query(clock.today()).order_by(LoanProduct.bank_id, LoanProduct.name)
    )
    form.product_id.choices = [("", _("不指定产品"))] + [
        (str(p.id), f"{p.bank.short_name} · {p.name}") for p in products
    ]
    if request.method == "GET":
        form.valid_until.data = clock.today() + timedelta(days=90)
        if product_id := request.args.get("product_id", type=int):
            form.product_id.data = str(product_id)
    return form


def _int_or_zero(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


@bp.route("/new", methods=["GET", "POST"])
@acting_required
def create():
    subject = _acting_subject()
    today = clock.today()
    consent = None
    if current_user.role == Role.CADRE:
        consent = valid_consent(subject.id, today)
        if consent is None:
            flash(_("请先上传该户签字的授权书，再代其办理"), "warning")
            return redirect(url_for("consents.household", household_id=subject.id))
    form = _form()
    if form.validate_on_submit():
        product = None
        if form.product_id.data:
            product = db.session.scalar(
                listed_products_query(today).where(
                    LoanProduct.id == _int_or_zero(form.product_id.data)
                )
            )
        bank_id = product.bank_id if product is not None else _int_or_zero(form.bank_id.data)
        if db.session.get(Bank, bank_id) is None or (form.product_id.data and not product):
            form.bank_id.errors.append(_("请选择授权银行或产品"))
            return _render_form(form, subject)
        try:
            granted = authorisations.grant(
                subject_type=subject.type,
                subject_id=subject.id,
                bank_id=bank_id,
                product=product,
                purpose=form.purpose.data.strip(),
                categories=list(form.categories.data),
                explicit_consent=bool(form.explicit_consent.data),
                valid_until=form.valid_until.data,
                today=today,
                user=current_user,
                household_consent_id=consent.id if consent else None,
            )
        except authorisations.AuthorisationRefused as exc:
            db.session.rollback()
            form.valid_until.errors.append(str(exc))
        else:
            record_event(
                "authorisation.grant",
                subject.type,
                subject.id,
                f"授权 {granted.bank.name} 查询信用信息 #{granted.id}",
                changes={"categories": granted.data_categories, "purpose": granted.purpose},
            )
            db.session.commit()
            flash(_("已授权，可随时撤销"), "success")
            return redirect(url_for(".show", authorisation_id=granted.id))
    return _render_form(form, subject)


def _render_form(form: AuthorisationForm, subject: Subject):
    return render_template(
        "loans/authorisations/form.html",
        form=form,
        subject=subject,
        consent_version=authorisations.CONSENT_TEXT_VERSION,
    )


def _authorisation_or_404(authorisation_id: int) -> tuple[Authorisation, Subject]:
    authorisation = db.get_or_404(Authorisation, authorisation_id)
    subject = subject_or_404(current_user, authorisation.subject_type, authorisation.subject_id)
    return authorisation, subject


@bp.route("/<int:authorisation_id>")
@acting_required
def show(authorisation_id: int):
    authorisation, subject = _authorisation_or_404(authorisation_id)
    return render_template(
        "loans/authorisations/show.html",
        authorisation=authorisation,
        subject=subject,
        uses=authorisations.uses_of(authorisation.id),
        status=authorisations.status_of(authorisation, utcnow()),
        status_labels=authorisations.STATUS_LABELS,
        category_labels=DATA_CATEGORY_LABELS,
        subject_labels=SUBJECT_TYPE_LABELS,
    )


@bp.route("/<int:authorisation_id>/revoke", methods=["POST"])
@acting_required
def revoke(authorisation_id: int):
    authorisation, subject = _authorisation_or_404(authorisation_id)
    if authorisations.revoke(authorisation, current_user):
        record_event(
            "authorisation.revoke",
            subject.type,
            subject.id,
            f"撤销对 {authorisation.bank.name} 的授权 #{authorisation.id}",
        )
        db.session.commit()
        flash(_("已撤销授权，该银行即刻起不能再查询"), "success")
    else:
        flash(_("该授权已撤销"), "info")
    return redirect(url_for(".show", authorisation_id=authorisation.id))
