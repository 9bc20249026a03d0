"""Views of credit repair (信用修复): a file's negative public records with what can be
repaired when, the application on the subject's behalf, the pending list with overdue ones
highlighted, and the reviewer's decision."""

from datetime import date
from pathlib import PurePath

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from agri_credit.audit import record_event
from agri_credit.auth.permissions import roles_required
from agri_credit.auth.scopes import enterprise_or_404, entity_or_404, household_or_404
from agri_credit.deadlines import holidays_known, repair_decide_by
from agri_credit.downloads import ascii_filename, attachment
from agri_credit.url_arguments import page_number
from models import (
    CreditRepair,
    PublicRecord,
    RepairStatus,
    Rerating,
    Role,
    SubjectKey,
    User,
    clock,
    db,
)

from .. import bp
from ..second_person import own_work
from . import services as repairs
from .forms import DecisionForm, RepairForm, apply_with_form
from .services import RepairRefused

SUBJECT_LOOKUPS = {
    "household": household_or_404,
    "entity": entity_or_404,
    "enterprise": enterprise_or_404,
}
FILE_PAGES = {
    "household": ("households.show", "household_id"),
    "entity": ("entities.show", "entity_id"),
    "enterprise": ("enterprises.show", "enterprise_id"),
}


def _today() -> date:
    return clock.today()


def _subject_or_404(kind: str, subject_id: int):
    lookup = SUBJECT_LOOKUPS.get(kind)
    if lookup is None:
        abort(404)
    return lookup(subject_id, current_user)


def subject_name(kind: str, subject) -> str:
    return subject.head_name if kind == "household" else subject.name


def file_url(kind: str, subject_id: int) -> str:
    endpoint, arg = FILE_PAGES[kind]
    return url_for(endpoint, **{arg: subject_id})


def _repair_or_404(repair_id: int) -> tuple[CreditRepair, str, int]:
    repair = db.get_or_404(CreditRepair, repair_id)
    key = db.session.get(SubjectKey, repair.subject_key_id)
    subject = repairs.subject_of(key) if key else None
    if subject is None:
        abort(404)
    _subject_or_404(*subject)  # out of scope: 404
    return repair, *subject


@bp.route("/repairs/")
@roles_required(Role.OFFICE)
def repair_list():
    today = _today()
    status = request.args.get("status", RepairStatus.PENDING.value)
    if status not in ("overdue", "all", *(s.value for s in RepairStatus)):
        status = RepairStatus.PENDING.value
    query = repairs.filter_repairs(repairs.repairs_in_scope(current_user), status, today)
    page = db.paginate(
        query.with_only_columns(CreditRepair),
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
        max_per_page=100,
    )
    details = {
        row[0].id: row
        for row in db.session.execute(
            repairs.repairs_in_scope(current_user).where(
                CreditRepair.id.in_([r.id for r in page.items])
            )
        )
    }
    overdue_total = db.session.scalar(
        repairs.filter_repairs(repairs.repairs_in_scope(current_user), "overdue", today)
        .with_only_columns(func.count(CreditRepair.id))
        .order_by(None)
    )
    return render_template(
        "ratings/repair/index.html",
        page=page,
        details=details,
        status=status,
        today=today,
        overdue_total=overdue_total,
        working_days=current_app.config["REPAIR_DECISION_WORKING_DAYS"],
        status_labels=repairs.STATUS_LABELS,
        is_overdue=repairs.is_overdue,
        subject_of=repairs.subject_of,
        file_url=file_url,
    )


@bp.route("/repairs/subject/<kind>/<int:subject_id>")
@roles_required(Role.OFFICE)
def repair_subject(kind: str, subject_id: int):
    subject = _subject_or_404(kind, subject_id)
    today = _today()
    records = repairs.negative_records(
        kind, subject_id, today, current_app.config["REPAIR_MIN_MONTHS"]
    )
    return render_template(
        "ratings/repair/subject.html",
        kind=kind,
        subject=subject,
        name=subject_name(kind, subject),
        file_url=file_url(kind, subject_id),
        records=records,
        today=today,
        status_labels=repairs.STATUS_LABELS,
    )


def _record_of_subject_or_404(kind: str, subject_id: int, record_id: int) -> PublicRecord:
    link = repairs.SUBJECT_LINKS[kind]
    record = db.session.scalar(
        select(PublicRecord)
        .join(SubjectKey, SubjectKey.id == PublicRecord.subject_key_id)
        .where(
            PublicRecord.id == record_id,
            link == subject_id,
            PublicRecord.kind.in_(repairs.NEGATIVE_KINDS),
        )
    )
    if record is None:
        abort(404)
    return record


@bp.route(
    "/repairs/subject/<kind>/<int:subject_id>/records/<int:record_id>/apply",
    methods=["GET", "POST"],
)
@roles_required(Role.OFFICE)
def repair_apply(kind: str, subject_id: int, record_id: int):
    subject = _subject_or_404(kind, subject_id)
    record = _record_of_subject_or_404(kind, subject_id, record_id)
    today = _today()
    min_months = current_app.config["REPAIR_MIN_MONTHS"]
    working_days = current_app.config["REPAIR_DECISION_WORKING_DAYS"]
    form = RepairForm()
    if form.validate_on_submit():
        try:
            repair = apply_with_form(form, record, current_user, today)
        except RepairRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("已提交信用修复申请，须于 %(day)s 前作出决定", day=repair.decide_by), "success")
            return redirect(url_for(".repair_show", repair_id=repair.id))
    decide_by = repair_decide_by(today, working_days)
    return render_template(
        "ratings/repair/apply.html",
        form=form,
        kind=kind,
        subject=subject,
        name=subject_name(kind, subject),
        record=record,
        earliest=repairs.earliest_repair_on(record, min_months),
        months=repairs.min_months_for(record, min_months),
        today=today,
        max_mb=current_app.config["REPAIR_EVIDENCE_MAX_BYTES"] // (1024 * 1024),
        working_days=working_days,
        decide_by=decide_by,
        holidays_known=holidays_known(today, decide_by),
    )


@bp.route("/repairs/<int:repair_id>", methods=["GET", "POST"])
@roles_required(Role.OFFICE)
def repair_show(repair_id: int):
    repair, kind, subject_id = _repair_or_404(repair_id)
    subject = _subject_or_404(kind, subject_id)
    today = _today()
    form = DecisionForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            repairs.decide_repair(
                repair,
                approve=form.decision.data == "approve",
                reasoning=form.reasoning.data,
                user=current_user,
                second_person=current_app.config["SECOND_PERSON_APPROVAL"],
            )
        except RepairRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("已作出决定"), "success")
            rerated = db.session.scalar(
                select(func.count()).select_from(Rerating).where(Rerating.repair_id == repair.id)
            )
            if rerated:
                flash(
                    _("已在 %(n)d 次尚未审定的评定中重新评定该主体，原得分已保留", n=rerated),
                    "info",
                )
            return redirect(url_for(".repair_show", repair_id=repair.id))
    applied_on = clock.local_date(repair.applied_at)
    users = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({repair.applied_by_id, repair.decided_by_id or 0}))
        )
    }
    return render_template(
        "ratings/repair/show.html",
        repair=repair,
        kind=kind,
        subject=subject,
        name=subject_name(kind, subject),
        file_url=file_url(kind, subject_id),
        record=repairs.current_record(repair),
        form=form,
        users=users,
        overdue=repairs.is_overdue(repair, today),
        status_labels=repairs.STATUS_LABELS,
        today=today,
        applied_on=applied_on,
        working_days=current_app.config["REPAIR_DECISION_WORKING_DAYS"],
        holidays_known=holidays_known(applied_on, repair.decide_by),
        decision_refusal=own_work(
            current_user,
            [repair.applied_by_id],
            "repair",
            current_app.config["SECOND_PERSON_APPROVAL"],
        ),
    )


@bp.route("/repairs/<int:repair_id>/evidence")
@roles_required(Role.OFFICE)
def repair_evidence(repair_id: int):
    repair, _kind, _subject_id = _repair_or_404(repair_id)
    if not repair.evidence_file:
        abort(404)
    record_event(
        "repair.evidence.view",
        "credit_repair",
        repair.id,
        f"查看证明材料 {repair.evidence_filename}",
    )
    db.session.commit()
    name = repair.evidence_filename or "evidence"
    response = attachment(
        bytes(repair.evidence_file),
        mimetype="application/octet-stream",
        filename=name,
        fallback=ascii_filename("credit-repair-evidence", repair.id, suffix=PurePath(name).suffix),
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
