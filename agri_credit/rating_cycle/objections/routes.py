"""Views of objections (异议): registered during 公示, listed with overdue ones highlighted,
answered by the credit office. URLs under /ratings/objections."""

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from agri_credit.auth.permissions import FILE_KEEPERS, roles_required
from agri_credit.auth.scopes import in_scope
from agri_credit.url_arguments import page_number
from models import (
    AgriEntity,
    Household,
    Objection,
    ObjectionStatus,
    RatingResult,
    Region,
    Role,
    User,
    clock,
    db,
)

from .. import bp
from ..access import objection_or_404, result_or_404, run_or_404
from ..publication import services as publication
from ..publication.services import subject_name
from . import services as objections
from .forms import AnswerForm, ObjectionForm
from .services import ObjectionFilters, ObjectionRefused


def _today() -> date:
    return clock.today()


@bp.route("/objections/new/<int:result_id>", methods=["GET", "POST"])
@roles_required(*FILE_KEEPERS)
def objection_new(result_id: int):
    result = result_or_404(result_id)
    run = run_or_404(result.run_id)
    rating = publication.region_rating(run.id, result.village_code)
    today = _today()
    reviewers = objections.reviewers_for(result.village_code)
    form = ObjectionForm(assignee=reviewers[0].id if reviewers else 0)
    form.assignee.choices = [(u.id, objections.reviewer_label(u)) for u in reviewers]
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
                days=current_app.config["OBJECTION_DAYS"],
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
        name=subject_name(result),
        window_open=rating is not None and publication.in_objection_window(rating, today),
        published_on=publication.published_on(rating) if rating else None,
    )


@bp.route("/objections/")
@roles_required(*FILE_KEEPERS)
def objection_list():
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
    page = db.paginate(
        query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], max_per_page=100
    )
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


@bp.route("/objections/<int:objection_id>", methods=["GET", "POST"])
@roles_required(*FILE_KEEPERS)
def objection_show(objection_id: int):
    objection = objection_or_404(objection_id)
    result = objection.result
    run = run_or_404(result.run_id)
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
        name=subject_name(result),
        village=db.session.get(Region, result.village_code),
        users=users,
        form=form,
        can_answer=can_answer,
        overdue=objections.is_overdue(objection, today),
        status_labels=objections.STATUS_LABELS,
        indicator_labels=publication.indicator_labels(run),
        today=today,
    )
