"""Thin views of the model pages; county credit office only (access.py)."""

from flask import abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from agri_credit.downloads import ascii_filename, attachment
from agri_credit.rating_cycle.reports.exports import ReportFontMissing
from loans.scoring.asof import SUBJECT_TYPE_LABELS, SUBJECT_TYPES
from loans.scoring.catalog import SOURCE_NAMES
from models import ScoreJob, ScoreModel, ScoreModelActivation, clock, db

from . import bp, jobs
from .access import county_office_required
from .forms import ActivationForm, RunForm
from .pdf import model_report_pdf
from .report import build_report, stability_levels, stability_rows
from .services import active_models, latest_stability, recent_jobs, township_names


@bp.route("/models")
@county_office_required
def model_list():
    page = db.paginate(
        select(ScoreModel).order_by(ScoreModel.id.desc()), per_page=20, max_per_page=50
    )
    return render_template(
        "scoring/models.html",
        page=page,
        active=active_models(),
        jobs=recent_jobs(),
        run_form=RunForm(),
        type_labels=SUBJECT_TYPE_LABELS,
        subject_types=SUBJECT_TYPES,
        kind_labels=jobs.KIND_LABELS,
        status_labels=jobs.STATUS_LABELS,
    )


def _model_or_404(model_id: int) -> ScoreModel:
    return db.get_or_404(ScoreModel, model_id)


@bp.route("/models/<int:model_id>")
@county_office_required
def model_show(model_id: int):
    model = _model_or_404(model_id)
    return _render_model(model, ActivationForm(prefix="promote"), ActivationForm(prefix="back"))


def _render_model(model: ScoreModel, promote_form: ActivationForm, rollback_form: ActivationForm):
    report = build_report(model.metrics, township_names(), _)
    stability = {
        kind: (job, stability_rows(values))
        for kind, (job, values) in latest_stability(model.id).items()
    }
    history = db.session.scalars(
        select(ScoreModelActivation)
        .where(ScoreModelActivation.model_id == model.id)
        .order_by(ScoreModelActivation.activated_at.desc(), ScoreModelActivation.id.desc())
    ).all()
    return render_template(
        "scoring/model.html",
        model=model,
        report=report,
        stability=stability,
        levels=stability_levels(),
        history=history,
        active=active_models(),
        promote_form=promote_form,
        rollback_form=rollback_form,
        type_labels=SUBJECT_TYPE_LABELS,
        source_names=SOURCE_NAMES,
    )


@bp.route("/models/<int:model_id>/report.pdf")
@county_office_required
def model_report(model_id: int):
    model = _model_or_404(model_id)
    report = build_report(model.metrics, township_names(), _)
    try:
        pdf = model_report_pdf(model, report, current_app.config["ASSET_ROOT"], clock.now())
    except ReportFontMissing as exc:
        abort(503, description=str(exc))
    return attachment(
        pdf,
        mimetype="application/pdf",
        filename=_("违约风险模型报告-v%(id)s.pdf", id=model.id),
        fallback=ascii_filename("default-risk-model-report", f"v{model.id}", suffix=".pdf"),
    )


@bp.route("/models/<int:model_id>/promote", methods=["POST"])
@county_office_required
def promote(model_id: int):
    from loans.scoring.registry import RegistryRefused, promote

    model = _model_or_404(model_id)
    form = ActivationForm(prefix="promote")
    if form.validate_on_submit():
        try:
            promote(model, form.subject_type.data, current_user, form.reason.data)
        except RegistryRefused as exc:
            db.session.rollback()
            form.reason.errors.append(_(str(exc)))
        else:
            db.session.commit()
            flash(
                _(
                    "模型 v%(v)s 已启用于%(kind)s。",
                    v=model.id,
                    kind=_(SUBJECT_TYPE_LABELS[form.subject_type.data]),
                ),
                "success",
            )
            return redirect(url_for("scoring.model_show", model_id=model.id))
    flash(_("未启用：请按红色提示修改。"), "danger")
    return _render_model(model, form, ActivationForm(prefix="back")), 400


@bp.route("/models/<int:model_id>/rollback", methods=["POST"])
@county_office_required
def rollback(model_id: int):
    """Roll a subject type back to the model active before its current one (asked from the
    page of the model now active)."""
    from loans.scoring.registry import RegistryRefused, rollback

    model = _model_or_404(model_id)
    form = ActivationForm(prefix="back")
    if form.validate_on_submit():
        try:
            previous = rollback(form.subject_type.data, current_user, form.reason.data)
        except RegistryRefused as exc:
            db.session.rollback()
            form.reason.errors.append(_(str(exc)))
        else:
            db.session.commit()
            flash(
                _(
                    "%(kind)s已回退到模型 v%(v)s。",
                    v=previous.id,
                    kind=_(SUBJECT_TYPE_LABELS[form.subject_type.data]),
                ),
                "success",
            )
            return redirect(url_for("scoring.model_show", model_id=previous.id))
    flash(_("未回退：请按红色提示修改。"), "danger")
    return _render_model(model, ActivationForm(prefix="promote"), form), 400


@bp.route("/jobs", methods=["POST"])
@county_office_required
def start_job():
    form = RunForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        job = jobs.start(form.kind.data, clock.today(), current_user)
    except jobs.RunRefused as exc:
        flash(_(str(exc)), "warning")
        return redirect(url_for("scoring.model_list"))
    return redirect(url_for("scoring.job_show", job_id=job.id))


def _job_or_404(job_id: int) -> ScoreJob:
    return db.get_or_404(ScoreJob, job_id)


@bp.route("/jobs/<int:job_id>")
@county_office_required
def job_show(job_id: int):
    job = _job_or_404(job_id)
    return render_template(
        "scoring/job.html",
        job=job,
        state=jobs.progress_state(job),
        kind_labels=jobs.KIND_LABELS,
        status_labels=jobs.STATUS_LABELS,
        type_labels=SUBJECT_TYPE_LABELS,
    )


@bp.route("/jobs/<int:job_id>/progress")
@county_office_required
def job_progress(job_id: int):
    state = jobs.progress_state(_job_or_404(job_id))
    return jsonify(state | {"label": _(state["label"]), "step": _(state["step"])})
