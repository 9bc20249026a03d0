"""Rating dashboards and exports: grade distribution per village and township, the shares of
信用户 / 信用村 / 信用乡镇 and their course over the years, the villages closest to 信用村,
and a run's results as XLSX and as a PDF report. Credit offices and village cadres, each for
their own scope."""

from flask import abort, current_app, flash, jsonify, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from agri_credit.audit import record_event
from agri_credit.auth.permissions import FILE_KEEPERS, roles_required
from agri_credit.downloads import ascii_filename, attachment, content_disposition
from agri_credit.url_arguments import id_arg
from models import RUN_STATUS_LABELS, ExportJob, RatingRun, clock, db

from .. import bp
from ..access import run_or_404
from ..runs.services import current_runs, runs_reaching
from . import export_jobs
from .exports import (
    XLSX_MIME,
    ReportFontMissing,
    report_pdf,
    results_frame,
    results_workbook,
)
from .services import (
    GATED,
    UNGRADED,
    closest_villages,
    default_run,
    grade_chart,
    records,
    run_figures,
    yearly_shares,
    years_chart,
)

_file_stem = export_jobs.file_stem


class StartExportForm(FlaskForm):
    """Only the CSRF token: starting a job is a POST."""


@bp.route("/dashboard")
@roles_required(*FILE_KEEPERS)
def dashboard():
    run_id = id_arg("run")
    run = run_or_404(run_id) if run_id else default_run(current_user)
    years = yearly_shares(current_user)
    labels = {
        "credit_household_share": _("信用户占比"),
        "credit_village_share": _("信用村占比"),
        "credit_township_share": _("信用乡镇占比"),
    }
    if run is None:
        return render_template(
            "ratings/reports/dashboard.html", run=None, choices=[], figures=None, charts={}
        )
    figures = run_figures(run, current_user)
    words = {UNGRADED: _(UNGRADED), GATED: _(GATED), "户": _("户")}
    charts = {
        "townships": grade_chart(figures.townships, "township_name", figures.grades, words),
        "villages": grade_chart(figures.villages, "village_name", figures.grades, words),
    }
    if len(years):
        charts["years"] = years_chart(years, labels)
    choices = current_runs(current_user)
    if run not in choices:
        choices.insert(0, run)
    return render_template(
        "ratings/reports/dashboard.html",
        run=run,
        choices=choices,
        figures=figures,
        closest=closest_villages(figures),
        year_rows=records(years),
        village_rows=records(figures.villages),
        charts=charts,
        run_status_labels=RUN_STATUS_LABELS,
        grade_names=words,
    )


@bp.route("/runs/<int:run_id>/results.xlsx")
@roles_required(*FILE_KEEPERS)
def run_results_xlsx(run_id: int):
    run = run_or_404(run_id)
    rows = export_jobs.results_in_scope(run, current_user)
    if rows > current_app.config["EXPORT_JOB_MIN_ROWS"]:
        # Too large for a request: a page that starts the job (a GET starts nothing).
        return render_template(
            "ratings/reports/export_start.html", run=run, rows=rows, form=StartExportForm()
        )
    figures = run_figures(run, current_user)
    results = results_frame(figures, current_user)
    _journal_export(run, figures.scope_name, len(results))
    db.session.commit()
    return attachment(
        results_workbook(figures, results, clock.now()),
        mimetype=XLSX_MIME,
        filename=f"{_file_stem(run, figures.scope_name)}.xlsx",
        fallback=ascii_filename(
            "rating-results", run.year, current_user.scope_code, f"run{run.id}", suffix=".xlsx"
        ),
    )


def _journal_export(run: RatingRun, scope_name: str, rows: int) -> None:
    record_event(
        "rating.export",
        "rating_run",
        run.id,
        f"导出评定结果（Excel）：{scope_name} {run.year}年，{rows} 条",
    )


@bp.route("/runs/<int:run_id>/results-export", methods=["POST"])
@roles_required(*FILE_KEEPERS)
def start_results_export(run_id: int):
    run = run_or_404(run_id)
    if not StartExportForm().validate_on_submit():
        abort(400)
    job = export_jobs.start(run, current_user)
    return redirect(url_for("rating_cycle.export_show", job_id=job.id))


def _export_or_404(job_id: int) -> ExportJob:
    """The user's own export, made for the scope he still has, of a run he still reaches:
    anyone else's is a 404, like a run out of reach."""
    job = db.session.scalar(
        select(ExportJob)
        .join(RatingRun, RatingRun.id == ExportJob.run_id)
        .where(
            ExportJob.id == job_id,
            ExportJob.requested_by_id == current_user.id,
            ExportJob.scope_code == current_user.scope_code,
            runs_reaching(current_user),
        )
    )
    if job is None:
        abort(404)
    return job


@bp.route("/exports/<int:job_id>")
@roles_required(*FILE_KEEPERS)
def export_show(job_id: int):
    job = _export_or_404(job_id)
    return render_template(
        "ratings/reports/export_job.html",
        job=job,
        state=export_jobs.progress_state(job),
        ready=export_jobs.stored_file(job) is not None,
        status_labels=export_jobs.STATUS_LABELS,
    )


@bp.route("/exports/<int:job_id>/progress")
@roles_required(*FILE_KEEPERS)
def export_progress(job_id: int):
    state = export_jobs.progress_state(_export_or_404(job_id))
    step = _(state["step"]) if state["step"] else ""  # gettext("") is the catalog's header
    return jsonify(state | {"label": _(state["label"]), "step": step})


@bp.route("/exports/<int:job_id>/download")
@roles_required(*FILE_KEEPERS)
def export_download(job_id: int):
    job = _export_or_404(job_id)
    path = export_jobs.stored_file(job)
    if path is None:
        abort(404)
    scope_name = current_user.scope.name
    _journal_export(job.run, scope_name, job.rows)
    db.session.commit()
    response = send_file(path, mimetype=XLSX_MIME)
    response.headers["Content-Disposition"] = content_disposition(job.filename, job.fallback)
    return response


@bp.route("/runs/<int:run_id>/report.pdf")
@roles_required(*FILE_KEEPERS)
def run_report_pdf(run_id: int):
    run = run_or_404(run_id)
    figures = run_figures(run, current_user)
    try:
        pdf = report_pdf(figures, current_app.config["ASSET_ROOT"], clock.now())
    except ReportFontMissing as error:
        current_app.logger.error("PDF report without its font: %s", error)
        flash(str(error), "danger")
        return redirect(url_for("rating_cycle.dashboard", run=run.id))
    record_event(
        "rating.export",
        "rating_run",
        run.id,
        f"导出评定报告（PDF）：{figures.scope_name} {run.year}年",
    )
    db.session.commit()
    return attachment(
        pdf,
        mimetype="application/pdf",
        filename=f"{_file_stem(run, figures.scope_name)}.pdf",
        fallback=ascii_filename(
            "rating-report", run.year, current_user.scope_code, f"run{run.id}", suffix=".pdf"
        ),
    )
