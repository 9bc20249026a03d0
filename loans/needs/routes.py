"""Views of financing needs: the list in the user's scope, post, edit, withdraw."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agri_credit.audit import record_event
from agri_credit.file_versions import parse_version
from agri_credit.url_arguments import page_number
from loans.access import Subject, acting_required, own_subject, subject_or_404, valid_consent
from models import (
    COLLATERAL_LABELS,
    GUARANTEE_LABELS,
    SUBJECT_TYPE_LABELS,
    URGENCY_LABELS,
    FinancingNeed,
    Household,
    Role,
    clock,
    db,
)

from . import bp
from . import services as needs
from .forms import NeedForm

LABELS = {
    "collateral": COLLATERAL_LABELS,
    "guarantee": GUARANTEE_LABELS,
    "urgency": URGENCY_LABELS,
    "subject": SUBJECT_TYPE_LABELS,
}


@bp.route("/")
@acting_required
def index():
    page = db.paginate(
        needs.needs_for_user(current_user),
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
        max_per_page=100,
    )
    names = {}
    if current_user.role == Role.CADRE and page.items:
        ids = {n.subject_id for n in page.items}
        names = dict(
            db.session.execute(
                db.select(Household.id, Household.head_name).where(Household.id.in_(ids))
            ).all()
        )
    return render_template(
        "loans/needs/index.html",
        page=page,
        subject=own_subject(current_user),
        names=names,
        labels=LABELS,
    )


def _acting_subject() -> Subject:
    """The subject a new need is for: the applicant's own, or the household a cadre names."""
    if current_user.role == Role.APPLICANT:
        subject = own_subject(current_user)
        if subject is None:
            abort(404)
        return subject
    subject_id = request.args.get("subject_id", type=int)
    if subject_id is None:
        abort(404)
    return subject_or_404(current_user, request.args.get("subject_type", ""), subject_id)


def _consent_missing(subject: Subject):
    """A cadre acts only under the household's signed consent: send her to record it."""
    if current_user.role != Role.CADRE or valid_consent(subject.id, clock.today()):
        return None
    flash(_("请先上传该户签字的授权书，再代其办理"), "warning")
    return redirect(url_for("consents.household", household_id=subject.id))


@bp.route("/new", methods=["GET", "POST"])
@acting_required
def create():
    subject = _acting_subject()
    if (missing := _consent_missing(subject)) is not None:
        return missing
    form = NeedForm()
    if form.validate_on_submit():
        need = needs.post_need(
            subject.type, subject.id, subject.region_code, needs.data_from_form(form), current_user
        )
        record_event(
            "need.create", subject.type, subject.id, f"发布融资需求 {need.amount} 元 #{need.id}"
        )
        db.session.commit()
        flash(_("已发布融资需求"), "success")
        return redirect(url_for(".show", need_id=need.id))
    return render_template("loans/needs/form.html", form=form, subject=subject, need=None)


def _need_or_404(need_id: int) -> tuple[FinancingNeed, Subject]:
    need = db.get_or_404(FinancingNeed, need_id)
    return need, subject_or_404(current_user, need.subject_type, need.subject_id)


@bp.route("/<int:need_id>")
@acting_required
def show(need_id: int):
    need, subject = _need_or_404(need_id)
    return render_template("loans/needs/show.html", need=need, subject=subject, labels=LABELS)


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@acting_required
def edit(need_id: int):
    need, subject = _need_or_404(need_id)
    if (missing := _consent_missing(subject)) is not None:
        return missing
    form = NeedForm(data=needs.form_data(need) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            needs.update_need(need, needs.data_from_form(form), parse_version(form.version.data))
        except needs.NeedRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            record_event(
                "need.update",
                subject.type,
                subject.id,
                f"修改融资需求 #{need.id}",
                subject_version=need.version,
            )
            db.session.commit()
            flash(_("已保存"), "success")
            return redirect(url_for(".show", need_id=need.id))
    return render_template("loans/needs/form.html", form=form, subject=subject, need=need)


@bp.route("/<int:need_id>/withdraw", methods=["POST"])
@acting_required
def withdraw(need_id: int):
    need, subject = _need_or_404(need_id)
    try:
        needs.withdraw(need, parse_version(request.form.get("version")))
    except needs.NeedRefused as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        record_event("need.withdraw", subject.type, subject.id, f"撤回融资需求 #{need.id}")
        db.session.commit()
        flash(_("已撤回融资需求"), "success")
    return redirect(url_for(".show", need_id=need.id))
