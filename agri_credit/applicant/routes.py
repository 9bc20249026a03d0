"""Views of the applicant's own subject. Each one starts from `own_subject_or_404`: the
subject his account names, and nothing else, whatever id the URL carries."""

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from agri_credit.audit import record_event
from agri_credit.auth.permissions import roles_required
from agri_credit.departmental.records import credit_records_in_use, subject_records
from agri_credit.rating_cycle.objections import services as objections
from agri_credit.rating_cycle.objections.services import ObjectionRefused
from agri_credit.rating_cycle.publication import services as publication
from agri_credit.rating_cycle.publication.services import grades_now
from agri_credit.rating_cycle.repairs import services as repairs
from agri_credit.rating_cycle.repairs.forms import RepairForm, apply_with_form
from agri_credit.rating_cycle.repairs.services import RepairRefused
from agri_credit.rating_cycle.rulesets.services import rules_of
from agri_credit.rating_cycle.runs.breakdown import breakdown_chart, breakdown_rows
from models import (
    RESULT_STATUS_LABELS,
    AgriEntity,
    RatingResult,
    RatingRun,
    Region,
    RegionRating,
    RegionResultStatus,
    Role,
    User,
    clock,
    db,
)

from . import bp
from .forms import OwnObjectionForm
from .home import published_ratings
from .own import (
    OwnSubject,
    own_objection_or_404,
    own_record_or_404,
    own_repair_or_404,
    own_result_in_run,
    own_result_or_404,
    own_subject_or_404,
)

_VIEW_EVENTS = {
    "household": ("household.view", "查看本户信用档案："),
    "entity": ("entity.view", "查看本主体信用档案："),
    "enterprise": ("enterprise.view", "查看本企业信用档案："),
}


def _today() -> date:
    return clock.today()


def _subject() -> OwnSubject:
    return own_subject_or_404(current_user)


@bp.route("/file")
@roles_required(Role.APPLICANT)
def file():
    """His own file, read-only, ID numbers masked (no reveal for him)."""
    subject = _subject()
    action, summary = _VIEW_EVENTS[subject.kind]
    record_event(action, subject.kind, subject.id, summary + subject.name)
    db.session.commit()
    today = _today()
    context = {
        "revealed": {},
        "own_view": True,
        "result_endpoint": "applicant.result",
        "departmental": subject_records(subject.kind, subject.id, today),
    }
    if subject.kind == "enterprise":
        return render_template("enterprises/show.html", enterprise=subject.file, **context)
    grade, year = grades_now(subject.kind, [subject.id], today).get(
        subject.id, (subject.file.credit_grade, getattr(subject.file, "credit_grade_year", None))
    )
    context.update(
        grade=grade,
        grade_year=year,
        credit_records=credit_records_in_use(subject.kind, subject.id, today),
        # Only results his village has published: before the 公示 they are working papers.
        ratings=[r.rating for r in published_ratings(subject, today)],
    )
    if subject.kind == "household":
        return render_template("households/show.html", household=subject.file, **context)
    return render_template("entities/show.html", entity=subject.file, **context)


def _published_or_404(result: RatingResult) -> RegionRating:
    """The village rating that published `result`; 404 while it is unpublished."""
    rating = publication.region_rating(result.run_id, result.village_code)
    if (
        rating is None
        or rating.publicity_ends_on is None
        or rating.status == RegionResultStatus.PROPOSED
    ):
        abort(404)
    return rating


@bp.route("/results/<int:result_id>")
@roles_required(Role.APPLICANT)
def result(result_id: int):
    """His grade with its breakdown: points per indicator, gates and missing data."""
    subject = _subject()
    result = own_result_or_404(subject, result_id)
    rating = _published_or_404(result)
    run = db.session.get(RatingRun, result.run_id)
    rules = rules_of(run.rule_set)
    if subject.kind == "household":
        indicators = rules.household_indicators
    else:
        entity_type = db.session.scalar(
            select(AgriEntity.entity_type).where(AgriEntity.id == subject.id)
        )
        indicators = rules.entity_indicators(entity_type or "")
    rows = breakdown_rows(
        indicators, result.breakdown or {}, result.missing or "", result.indicator_values
    )
    record_event("rating_result.view", "rating_result", result.id, "查看本户评定结果")
    db.session.commit()
    today = _today()
    return render_template(
        "applicant/result.html",
        run=run,
        result=result,
        rating=rating,
        subject=subject,
        village=db.session.get(Region, result.village_code),
        rows=rows,
        chart=breakdown_chart(rows),
        grade_labels={b.grade: b.label for b in rules.grade_bands},
        notes=(run.summary or {}).get("notes", []),
        status=publication.status_now(result, today),
        result_status_labels=RESULT_STATUS_LABELS,
        window_open=publication.in_objection_window(rating, today),
        published_on=publication.published_on(rating),
        open_objection=objections.open_objection_of(result),
    )


@bp.route("/notice/<int:run_id>")
@roles_required(Role.APPLICANT)
def notice(run_id: int):
    """His village's 公示 in a run that rated him."""
    subject = _subject()
    result = own_result_in_run(subject, run_id)
    if result is None:
        abort(404)
    rating = _published_or_404(result)
    run = db.session.get(RatingRun, run_id)
    return render_template(
        "ratings/publication/notice.html",
        notice=publication.public_notice(run, rating),
        objection_days=current_app.config["OBJECTION_DAYS"],
        back_url=url_for("dashboard.index"),
        back_label=_("返回我的信用"),
    )


@bp.route("/results/<int:result_id>/objection", methods=["GET", "POST"])
@roles_required(Role.APPLICANT)
def objection_new(result_id: int):
    """He raises an objection himself during the 公示; it goes to the nearest office."""
    subject = _subject()
    result = own_result_or_404(subject, result_id)
    rating = _published_or_404(result)
    today = _today()
    form = OwnObjectionForm(
        raised_by_name=current_user.display_name,
        contact=current_user.phone or getattr(subject.file, "phone", "") or "",
    )
    if form.validate_on_submit():
        try:
            objection = objections.raise_objection(
                result,
                raised_by_name=form.raised_by_name.data,
                contact=form.contact.data or "",
                reason=form.reason.data,
                user=current_user,
                today=today,
                days=current_app.config["OBJECTION_DAYS"],
            )
        except ObjectionRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(
                _("异议已提交，信用办须于 %(day)s 前书面答复", day=objection.due_on.isoformat()),
                "success",
            )
            return redirect(url_for(".objection_show", objection_id=objection.id))
    return render_template(
        "applicant/objection_form.html",
        form=form,
        result=result,
        run=db.session.get(RatingRun, result.run_id),
        rating=rating,
        subject=subject,
        window_open=publication.in_objection_window(rating, today),
        published_on=publication.published_on(rating),
        open_objection=objections.open_objection_of(result),
    )


@bp.route("/objections/<int:objection_id>")
@roles_required(Role.APPLICANT)
def objection_show(objection_id: int):
    subject = _subject()
    objection = own_objection_or_404(subject, objection_id)
    result = objection.result
    answered_by = (
        db.session.get(User, objection.answered_by_id) if objection.answered_by_id else None
    )
    return render_template(
        "applicant/objection.html",
        objection=objection,
        result=result,
        run=db.session.get(RatingRun, result.run_id),
        subject=subject,
        answered_by=answered_by,
        overdue=objections.is_overdue(objection, _today()),
        status_labels=objections.STATUS_LABELS,
    )


@bp.route("/records/<int:record_id>/repair", methods=["GET", "POST"])
@roles_required(Role.APPLICANT)
def repair_apply(record_id: int):
    """He applies for credit repair of one of his own negative records."""
    subject = _subject()
    record = own_record_or_404(subject, record_id)
    today = _today()
    min_months = current_app.config["REPAIR_MIN_MONTHS"]
    form = RepairForm()
    if form.validate_on_submit():
        try:
            repair = apply_with_form(form, record, current_user, today)
        except RepairRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(
                _("已提交信用修复申请，信用办须于 %(day)s 前作出决定", day=repair.decide_by),
                "success",
            )
            return redirect(url_for(".repair_show", repair_id=repair.id))
    return render_template(
        "applicant/repair_apply.html",
        form=form,
        subject=subject,
        record=record,
        earliest=repairs.earliest_repair_on(record, min_months),
        months=repairs.min_months_for(record, min_months),
        today=today,
        max_mb=current_app.config["REPAIR_EVIDENCE_MAX_BYTES"] // (1024 * 1024),
    )


@bp.route("/repairs/<int:repair_id>")
@roles_required(Role.APPLICANT)
def repair_show(repair_id: int):
    subject = _subject()
    repair = own_repair_or_404(subject, repair_id)
    return render_template(
        "applicant/repair.html",
        repair=repair,
        subject=subject,
        record=repairs.current_record(repair),
        status_labels=repairs.STATUS_LABELS,
    )
