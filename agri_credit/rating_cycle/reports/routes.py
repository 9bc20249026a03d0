"""Rating dashboards and exports: grade distribution per village and township, the shares of
信用户 / 信用村 / 信用乡镇 and their course over the years, the villages closest to 信用村,
and a run's results as XLSX and as a PDF report. Credit offices and village cadres, each for
their own scope."""

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agri_credit.audit import record_event
from agri_credit.auth.permissions import FILE_KEEPERS, roles_required
from agri_credit.downloads import ascii_filename, attachment
from agri_credit.url_arguments import id_arg
from models import RUN_STATUS_LABELS, RatingRun, clock, db

from .. import bp
from ..access import run_or_404
from ..runs.services import current_runs
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


def _file_stem(run: RatingRun, scope_name: str) -> str:
    return f"信用评定-{scope_name}-{run.year}-{run.id}"


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
    figures = run_figures(run, current_user)
    results = results_frame(figures, current_user)
    record_event(
        "rating.export",
        "rating_run",
        run.id,
        f"导出评定结果（Excel）：{figures.scope_name} {run.year}年，{len(results)} 条",
    )
    db.session.commit()
    return attachment(
        results_workbook(figures, results, clock.now()),
        mimetype=XLSX_MIME,
        filename=f"{_file_stem(run, figures.scope_name)}.xlsx",
        fallback=ascii_filename(
            "rating-results", run.year, current_user.scope_code, f"run{run.id}", suffix=".xlsx"
        ),
    )


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
