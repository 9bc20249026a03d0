"""Views of the review up the region tree (审核): township offices approve or return their
villages, the county its townships, and the run is approved as a whole. URLs under
/ratings/review."""

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agri_credit.auth.permissions import roles_required
from models import Region, RegionLevel, Role, clock, db

from .. import bp
from ..access import region_rating_or_404, run_or_404
from ..publication import services as publication
from ..runs.services import current_runs
from ..second_person import own_work
from . import reminders
from . import services as approvals
from .forms import RemindForm, ReviewForm, RunApprovalForm


def _today() -> date:
    return clock.today()


@bp.route("/review/")
@roles_required(Role.OFFICE)
def review_index():
    return render_template("ratings/publication/review_index.html", runs=current_runs(current_user))


@bp.route("/review/<int:run_id>")
@roles_required(Role.OFFICE)
def review_run(run_id: int):
    run = run_or_404(run_id)
    region = db.session.get(Region, run.region_code)
    today = _today()
    township = request.args.get("township") or None
    if township and not current_user.scope.contains(township):
        abort(404)
    level, items = approvals.review_items(run, current_user, today, township)
    # A township office reviews its own part of a county run: the page is titled for it.
    shown = current_user.scope if region.contains(current_user.scope_code) else region
    can_act = {
        i.rating.id: approvals.may_review(current_user, i.rating.level, i.rating.region_code)
        for i in items
    }
    final = approvals.may_approve_run(current_user, run)
    run_blockers = approvals.run_blockers(run) if final else []
    if final and (
        refusal := own_work(
            current_user, [run.started_by_id], "run", current_app.config["SECOND_PERSON_APPROVAL"]
        )
    ):
        run_blockers.append(_(refusal))
    return render_template(
        "ratings/publication/review.html",
        run=run,
        region=region,
        shown=db.session.get(Region, township) if township else shown,
        level=level,
        unpublished=[i.region.code for i in items if i.rating.status == "proposed"]
        if level == RegionLevel.VILLAGE
        else [],
        reminded=reminders.reminded_today(
            run.id, [i.region.code for i in items if i.rating.status == "proposed"], today
        )
        if level == RegionLevel.VILLAGE
        else set(),
        remind_form=RemindForm(),
        items=items,
        can_act=can_act,
        township=db.session.get(Region, township) if township else None,
        run_blockers=run_blockers,
        final=final,
        form=ReviewForm(),
        run_form=RunApprovalForm(),
        status_labels=publication.STATUS_LABELS,
        today=today,
    )


@bp.route("/review/<int:run_id>/regions/<code>", methods=["POST"])
@roles_required(Role.OFFICE)
def review_region(run_id: int, code: str):
    run, rating = region_rating_or_404(run_id, code)
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


@bp.route("/review/<int:run_id>/remind", methods=["POST"])
@roles_required(Role.OFFICE)
def remind(run_id: int):
    run = run_or_404(run_id)
    form = RemindForm()
    township = request.form.get("township") or None
    if township and not current_user.scope.contains(township):
        abort(404)
    if form.validate_on_submit():
        if form.code.data:
            run, _rating = region_rating_or_404(run.id, form.code.data, RegionLevel.VILLAGE)
            codes = [form.code.data]
        else:
            codes = reminders.unpublished_villages(run, current_user, township)
        try:
            sent = reminders.remind_villages(
                run, codes, current_user, _today(), form.message.data or ""
            )
        except reminders.ReminderRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            if sent:
                flash(_("已催办 %(n)s 个村，村干部的工作台上会看到", n=sent), "success")
            else:
                flash(_("这些村今天已催办过"), "info")
    else:
        for errors in form.errors.values():
            flash("；".join(str(e) for e in errors), "danger")
    back = {"township": township} if township else {}
    return redirect(url_for(".review_run", run_id=run.id, **back))


@bp.route("/review/<int:run_id>/approve", methods=["POST"])
@roles_required(Role.OFFICE)
def approve_run(run_id: int):
    run = run_or_404(run_id)
    if not approvals.may_approve_run(current_user, run):
        abort(404 if not current_user.scope.contains(run.region_code) else 403)
    form = RunApprovalForm()
    if form.validate_on_submit():
        try:
            approvals.approve_run(
                run,
                current_user,
                form.note.data or "",
                current_app.config["SECOND_PERSON_APPROVAL"],
            )
        except approvals.ReviewRefused as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("本次评定已审定"), "success")
    return redirect(url_for(".review_run", run_id=run.id))
