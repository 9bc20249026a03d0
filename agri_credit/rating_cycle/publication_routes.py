"""Views of publication (公示), objections (异议), review up the tree and certificates.

URLs live under /ratings/publication, /ratings/objections, /ratings/review and
/ratings/certificates, so they never collide with the run and rule-set pages."""

from datetime import date

import click
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from agri_credit.auth.permissions import FILE_KEEPERS, roles_required
from agri_credit.auth.scopes import in_scope, region_in_scope
from models import (
    RESULT_STATUS_LABELS,
    AgriEntity,
    Household,
    Objection,
    ObjectionStatus,
    RatingResult,
    RatingRun,
    Region,
    RegionLevel,
    RegionRating,
    RegionResultStatus,
    ResultStatus,
    Role,
    RunStatus,
    User,
    db,
    local_date,
)
from village_forms.validators import Phone

from . import approvals, bp, objections, publication
from .objections import ObjectionFilters, ObjectionRefused
from .publication import CREDIT_GRADES, PublicationError


def _today() -> date:
    return date.today()


def _run_or_404(run_id: int) -> RatingRun:
    return db.get_or_404(RatingRun, run_id)


def _village_or_404(run_id: int, code: str) -> tuple[RatingRun, RegionRating]:
    run = _run_or_404(run_id)
    if not region_in_scope(code, current_user):
        abort(404)
    rating = publication.region_rating(run.id, code)
    if rating is None or rating.level != RegionLevel.VILLAGE:
        abort(404)
    return run, rating


def _result_or_404(result_id: int) -> RatingResult:
    result = db.get_or_404(RatingResult, result_id)
    if not region_in_scope(result.village_code, current_user):
        abort(404)
    return result


def _objection_or_404(objection_id: int) -> Objection:
    objection = db.get_or_404(Objection, objection_id)
    if not region_in_scope(objection.result.village_code, current_user):
        abort(404)
    return objection


def _subject_name(result: RatingResult) -> str:
    if result.household_id is not None:
        return db.session.get(Household, result.household_id).head_name
    return db.session.get(AgriEntity, result.entity_id).name


# ---- publication ------------------------------------------------------------------------------


@bp.route("/publication/")
@roles_required(*FILE_KEEPERS)
def publication_index():
    publication.refresh_effective_results(_today())
    status = request.args.get("status", "")
    if status not in STATUS_FILTERS:
        status = ""
    query = publication.village_ratings_query(
        in_scope(RegionRating.region_code, current_user), status
    )
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], max_per_page=100)
    runs = {
        r.id: r
        for r in db.session.scalars(
            select(RatingRun).where(RatingRun.id.in_({i.run_id for i in page.items}))
        )
    }
    regions = {
        r.code: r
        for r in db.session.scalars(
            select(Region).where(Region.code.in_({i.region_code for i in page.items}))
        )
    }
    counts = publication.village_counts((i.run_id, i.region_code) for i in page.items)
    return render_template(
        "ratings/publication/index.html",
        page=page,
        runs=runs,
        regions=regions,
        counts=counts,
        status=status,
        status_filters=STATUS_FILTERS,
        status_labels=publication.STATUS_LABELS,
        today=_today(),
    )


STATUS_FILTERS = {s.value: publication.STATUS_LABELS[s] for s in RegionResultStatus}


class PublishForm(FlaskForm):
    submit = SubmitField(_l("发布公示"))


@bp.route("/publication/<int:run_id>/<code>")
@roles_required(*FILE_KEEPERS)
def village_results(run_id: int, code: str):
    publication.refresh_effective_results(_today())
    run, rating = _village_or_404(run_id, code)
    rows = publication.village_results(run.id, code)
    grade = request.args.get("grade", "")
    if grade == "none":
        rows = [r for r in rows if not r.grade]
    elif grade:
        rows = [r for r in rows if r.grade == grade]
    today = _today()
    return render_template(
        "ratings/publication/village.html",
        run=run,
        rating=rating,
        village=db.session.get(Region, code),
        rows=rows,
        grade=grade,
        grades=CREDIT_GRADES,
        grade_labels=publication.grade_labels(run),
        indicator_labels=publication.indicator_labels(run),
        blockers=publication.publication_blockers(run, rating),
        window_open=publication.in_objection_window(rating, today),
        published_on=publication.published_on(rating),
        status_labels=publication.STATUS_LABELS,
        result_status_labels=RESULT_STATUS_LABELS,
        form=PublishForm(),
        days=current_app.config.get("PUBLICITY_DAYS", publication.PUBLICITY_DAYS),
        today=today,
    )


@bp.route("/publication/<int:run_id>/<code>/publish", methods=["POST"])
@roles_required(*FILE_KEEPERS)
def publish_village(run_id: int, code: str):
    run, rating = _village_or_404(run_id, code)
    form = PublishForm()
    if form.validate_on_submit():
        days = current_app.config.get("PUBLICITY_DAYS", publication.PUBLICITY_DAYS)
        try:
            publication.publish_village(run, rating, current_user, _today(), days)
        except PublicationError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(
                _("已发布公示，公示期至 %(day)s", day=rating.publicity_ends_on.isoformat()),
                "success",
            )
    return redirect(url_for(".village_results", run_id=run.id, code=code))


@bp.route("/publication/<int:run_id>/<code>/notice")
@roles_required(*FILE_KEEPERS)
def public_notice(run_id: int, code: str):
    run, rating = _village_or_404(run_id, code)
    if rating.status == RegionResultStatus.PROPOSED or rating.publicity_ends_on is None:
        flash(_("该村评定结果尚未发布公示"), "warning")
        return redirect(url_for(".village_results", run_id=run.id, code=code))
    notice = publication.public_notice(run, rating)
    return render_template(
        "ratings/publication/notice.html",
        notice=notice,
        objection_days=current_app.config.get("OBJECTION_DAYS", objections.OBJECTION_DAYS),
    )


# ---- objections -----------------------------------------------------------------------------


class ObjectionForm(FlaskForm):
    raised_by_name = StringField(
        _l("异议人姓名"), validators=[DataRequired(_l("请填写异议人姓名")), Length(max=30)]
    )
    contact = StringField(
        _l("联系电话"),
        validators=[Optional(), Phone()],  # a call-back number: mobile or landline
        render_kw={"inputmode": "tel"},
    )
    reason = TextAreaField(
        _l("异议内容及理由"),
        validators=[DataRequired(_l("请填写异议理由")), Length(max=2000)],
        render_kw={"rows": 4},
    )
    assignee = SelectField(_l("核查人"), coerce=int)
    submit = SubmitField(_l("登记异议"))


@bp.route("/objections/new/<int:result_id>", methods=["GET", "POST"])
@roles_required(*FILE_KEEPERS)
def objection_new(result_id: int):
    result = _result_or_404(result_id)
    run = _run_or_404(result.run_id)
    rating = publication.region_rating(run.id, result.village_code)
    today = _today()
    reviewers = objections.reviewers_for(result.village_code)
    form = ObjectionForm(assignee=reviewers[0].id if reviewers else 0)
    form.assignee.choices = [(u.id, f"{u.display_name}（{u.scope.name}）") for u in reviewers]
    if not reviewers:
        form.assignee.choices = [(0, _("（暂无信用办人员，稍后指派）"))]
    if form.validate_on_submit():
        assignee = next((u for u in reviewers if u.id == form.assignee.data), None)
        try:
            objection = objections.raise_objection(
                result,
                raised_by_name=form.raised_by_name.data,
                contact=form.contact.data or "",
                reason=form.reason.data,
                user=current_user,
                today=today,
                assignee=assignee,
                days=current_app.config.get("OBJECTION_DAYS", objections.OBJECTION_DAYS),
            )
        except ObjectionRefused as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(
                _(
                    "异议已登记，该结果已标记为有异议，须于 %(day)s 前答复",
                    day=objection.due_on.isoformat(),
                ),
                "success",
            )
            return redirect(url_for(".objection_show", objection_id=objection.id))
    return render_template(
        "ratings/publication/objection_form.html",
        form=form,
        result=result,
        run=run,
        rating=rating,
        name=_subject_name(result),
        window_open=rating is not None and publication.in_objection_window(rating, today),
        published_on=publication.published_on(rating) if rating else None,
    )


@bp.route("/objections/")
@roles_required(*FILE_KEEPERS)
def objection_list():
    publication.refresh_effective_results(_today())
    today = _today()
    status = request.args.get("status", "open")
    if status not in ("open", "answered", "all"):
        status = "open"
    filters = ObjectionFilters(status=status, overdue=request.args.get("overdue") == "1")
    query = (
        select(Objection)
        .join(RatingResult, RatingResult.id == Objection.result_id)
        .where(in_scope(RatingResult.village_code, current_user))
    )
    if request.args.get("mine") == "1":
        query = query.where(Objection.assignee_id == current_user.id)
    query = objections.filter_objections(query, filters, today)
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], max_per_page=100)
    names = _names_for([o.result for o in page.items])
    users = _users({o.assignee_id for o in page.items})
    villages = {
        r.code: r
        for r in db.session.scalars(
            select(Region).where(Region.code.in_({o.result.village_code for o in page.items}))
        )
    }
    overdue_total = db.session.scalar(
        select(db.func.count())
        .select_from(Objection)
        .join(RatingResult, RatingResult.id == Objection.result_id)
        .where(
            in_scope(RatingResult.village_code, current_user),
            Objection.status == ObjectionStatus.OPEN,
            Objection.due_on < today,
        )
    )
    return render_template(
        "ratings/publication/objections.html",
        page=page,
        filters=filters,
        names=names,
        users=users,
        villages=villages,
        today=today,
        overdue_total=overdue_total,
        status_labels=objections.STATUS_LABELS,
        is_overdue=objections.is_overdue,
    )


def _names_for(results: list[RatingResult]) -> dict[int, str]:
    households = {r.household_id for r in results if r.household_id}
    entities = {r.entity_id for r in results if r.entity_id}
    names: dict[int, str] = {}
    if households:
        by_id = dict(
            db.session.execute(
                select(Household.id, Household.head_name).where(Household.id.in_(households))
            ).all()
        )
        names.update({r.id: by_id.get(r.household_id, "") for r in results if r.household_id})
    if entities:
        by_id = dict(
            db.session.execute(
                select(AgriEntity.id, AgriEntity.name).where(AgriEntity.id.in_(entities))
            ).all()
        )
        names.update({r.id: by_id.get(r.entity_id, "") for r in results if r.entity_id})
    return names


def _users(ids: set[int | None]) -> dict[int, User]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


class AnswerForm(FlaskForm):
    outcome = RadioField(
        _l("处理结果"),
        choices=[
            (ObjectionStatus.CORRECTED.value, _l("异议成立：已更正档案信息并重新评定")),
            (ObjectionStatus.CONFIRMED.value, _l("经核实，维持原评定结果")),
            (ObjectionStatus.UNVERIFIABLE.value, _l("无法核实")),
        ],
        validators=[DataRequired(_l("请选择处理结果"))],
    )
    answer = TextAreaField(
        _l("书面答复及理由"),
        validators=[DataRequired(_l("请填写书面答复及理由")), Length(max=4000)],
        render_kw={"rows": 5},
    )
    submit = SubmitField(_l("提交答复"))


@bp.route("/objections/<int:objection_id>", methods=["GET", "POST"])
@roles_required(*FILE_KEEPERS)
def objection_show(objection_id: int):
    objection = _objection_or_404(objection_id)
    result = objection.result
    run = _run_or_404(result.run_id)
    today = _today()
    form = AnswerForm()
    can_answer = current_user.role == Role.OFFICE and objection.status == ObjectionStatus.OPEN
    if request.method == "POST":
        if not can_answer:
            abort(403)
        if form.validate_on_submit():
            try:
                objections.answer_objection(
                    objection,
                    outcome=form.outcome.data,
                    answer=form.answer.data,
                    user=current_user,
                    today=today,
                )
            except ObjectionRefused as exc:
                db.session.rollback()
                flash(str(exc), "danger")
            else:
                db.session.commit()
                flash(_("已答复异议"), "success")
                return redirect(url_for(".objection_show", objection_id=objection.id))
    users = _users({objection.assignee_id, objection.recorded_by_id, objection.answered_by_id})
    return render_template(
        "ratings/publication/objection.html",
        objection=objection,
        result=result,
        run=run,
        name=_subject_name(result),
        village=db.session.get(Region, result.village_code),
        users=users,
        form=form,
        can_answer=can_answer,
        overdue=objections.is_overdue(objection, today),
        status_labels=objections.STATUS_LABELS,
        indicator_labels=publication.indicator_labels(run),
        today=today,
    )


# ---- review up the tree ---------------------------------------------------------------------------


class ReviewForm(FlaskForm):
    note = TextAreaField(_l("审核意见"), validators=[Length(max=2000)], render_kw={"rows": 2})
    approve = SubmitField(_l("审核通过"))
    send_back = SubmitField(_l("退回"))


class RunApprovalForm(FlaskForm):
    note = TextAreaField(_l("审定意见"), validators=[Length(max=2000)], render_kw={"rows": 2})
    submit = SubmitField(_l("审定本次评定"))


def _reaches(run: RatingRun, user: User) -> bool:
    """A run reaches into the user's scope when its region is inside it, or contains it (a
    township office reviews its villages in a county run)."""
    region = db.session.get(Region, run.region_code)
    return region is not None and (
        user.scope.contains(run.region_code) or region.contains(user.scope_code)
    )


def _runs_for(user: User) -> list[RatingRun]:
    runs = db.session.scalars(
        select(RatingRun)
        .where(RatingRun.status != RunStatus.SUPERSEDED)
        .order_by(RatingRun.year.desc(), RatingRun.id.desc())
    )
    return [run for run in runs if _reaches(run, user)]


@bp.route("/review/")
@roles_required(Role.OFFICE)
def review_index():
    publication.refresh_effective_results(_today())
    return render_template("ratings/publication/review_index.html", runs=_runs_for(current_user))


@bp.route("/review/<int:run_id>")
@roles_required(Role.OFFICE)
def review_run(run_id: int):
    publication.refresh_effective_results(_today())
    run = _run_or_404(run_id)
    if not _reaches(run, current_user):
        abort(404)
    region = db.session.get(Region, run.region_code)
    today = _today()
    township = request.args.get("township") or None
    level, items = approvals.review_items(run, current_user, today, township)
    can_act = {
        i.rating.id: approvals.may_review(current_user, i.rating.level, i.rating.region_code)
        for i in items
    }
    final = approvals.may_approve_run(current_user, run)
    return render_template(
        "ratings/publication/review.html",
        run=run,
        region=region,
        level=level,
        items=items,
        can_act=can_act,
        township=db.session.get(Region, township) if township else None,
        run_blockers=approvals.run_blockers(run) if final else [],
        final=final,
        form=ReviewForm(),
        run_form=RunApprovalForm(),
        status_labels=publication.STATUS_LABELS,
        today=today,
    )


@bp.route("/review/<int:run_id>/regions/<code>", methods=["POST"])
@roles_required(Role.OFFICE)
def review_region(run_id: int, code: str):
    run = _run_or_404(run_id)
    if not region_in_scope(code, current_user):
        abort(404)
    rating = publication.region_rating(run.id, code)
    if rating is None:
        abort(404)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            if form.send_back.data:
                approvals.return_region(run, rating, current_user, _today(), form.note.data or "")
                message = _("已退回")
            else:
                approvals.approve_region(run, rating, current_user, _today(), form.note.data or "")
                message = _("已审核通过")
        except approvals.ReviewRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(message, "success")
    back = {}
    if rating.level == RegionLevel.VILLAGE and current_user.scope.level != RegionLevel.TOWNSHIP:
        back["township"] = code[:9] + "000"  # a county office acting for the township
    return redirect(url_for(".review_run", run_id=run.id, **back))


@bp.route("/review/<int:run_id>/approve", methods=["POST"])
@roles_required(Role.OFFICE)
def approve_run(run_id: int):
    run = _run_or_404(run_id)
    if not approvals.may_approve_run(current_user, run):
        abort(404 if not current_user.scope.contains(run.region_code) else 403)
    form = RunApprovalForm()
    if form.validate_on_submit():
        try:
            approvals.approve_run(run, current_user, form.note.data or "")
        except approvals.ReviewRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("本次评定已审定"), "success")
    return redirect(url_for(".review_run", run_id=run.id))


# ---- certificates ----------------------------------------------------------------------------------


def certificate_number(run: RatingRun, result: RatingResult) -> str:
    """Stable and unique: the year, the run and the result."""
    return f"XYH{run.year}-{run.id:04d}-{result.id:07d}"


def plaque_number(run: RatingRun, rating: RegionRating) -> str:
    return f"XYC{run.year}-{run.id:04d}-{rating.region_code[-6:]}"


def issuing_office(run: RatingRun) -> str:
    county = db.session.get(Region, run.region_code[:6] + "000000")
    name = county.name if county else db.session.get(Region, run.region_code).name
    return _("%(name)s农村信用体系建设办公室", name=name)


@bp.route("/certificates/<int:result_id>")
@roles_required(*FILE_KEEPERS)
def certificate(result_id: int):
    publication.refresh_effective_results(_today())
    result = _result_or_404(result_id)
    run = _run_or_404(result.run_id)
    if result.grade not in CREDIT_GRADES:
        abort(404)
    if result.status != ResultStatus.EFFECTIVE:
        flash(_("该评定结果尚未生效（公示期满且无未决异议后生效），暂不能打印证书"), "warning")
        return redirect(url_for(".village_results", run_id=run.id, code=result.village_code))
    village = db.session.get(Region, result.village_code)
    return render_template(
        "ratings/publication/certificate.html",
        run=run,
        result=result,
        name=_subject_name(result),
        kind="household" if result.household_id else "entity",
        village=village,
        township=db.session.get(Region, village.parent_code) if village.parent_code else None,
        grade_label=publication.grade_labels(run).get(result.grade, ""),
        number=certificate_number(run, result),
        office=issuing_office(run),
        issued_on=(local_date(run.approved_at) if run.approved_at else _today()),
    )


@bp.route("/certificates/villages/<int:run_id>/<code>")
@roles_required(*FILE_KEEPERS)
def plaque(run_id: int, code: str):
    run, rating = _village_or_404(run_id, code)
    if not rating.passed:
        abort(404)
    if rating.status != RegionResultStatus.APPROVED:
        flash(_("信用村须经乡镇审核通过后方可打印牌匾"), "warning")
        return redirect(url_for(".village_results", run_id=run.id, code=code))
    village = db.session.get(Region, code)
    return render_template(
        "ratings/publication/plaque.html",
        run=run,
        rating=rating,
        village=village,
        township=db.session.get(Region, village.parent_code) if village.parent_code else None,
        number=plaque_number(run, rating),
        office=issuing_office(run),
        issued_on=(local_date(rating.reviewed_at) if rating.reviewed_at else _today()),
    )


# ---- command -----------------------------------------------------------------------------------------


@bp.cli.command("ratings-apply-effective")
def apply_effective_command() -> None:
    """Let results whose 公示 period is over take effect (run daily from cron)."""
    count = publication.apply_effective_results(_today())
    db.session.commit()
    click.echo(f"{count} results took effect.")
