"""Entry point of background jobs, beside `app.py`: an RQ work horse runs each queued job
through here, so the job has an app context however the worker was started (`flask --app app
import-worker` pushes one; a plain `rq worker agri-credit-imports` does not, and the app is
created here). Only this module and `app.py` import the factory; `agri_credit` names the entry
(`jobs.WORKER_ENTRY`) instead of importing upward.
"""

from typing import Any

from flask import has_app_context

from agri_credit.departmental import jobs
from agri_credit.rating_cycle.reports import export_jobs
from app import create_app
from loans.scoring_pages import jobs as score_jobs


def run_import_job(batch_id: int, path: str) -> None:
    if has_app_context():
        jobs.run_import_job(batch_id, path)
        return
    with create_app().app_context():
        jobs.run_import_job(batch_id, path)


def import_job_failed(job: Any, connection: Any, *exc_info: Any) -> None:
    """RQ's failure callback, with an app context however the worker was started."""
    if has_app_context():
        jobs.import_job_failed(job, connection, *exc_info)
        return
    with create_app().app_context():
        jobs.import_job_failed(job, connection, *exc_info)


def run_score_job(job_id: int) -> None:
    """A training or county scoring run started from the model pages."""
    if has_app_context():
        score_jobs.run_score_job(job_id)
        return
    with create_app().app_context():
        score_jobs.run_score_job(job_id)


def score_job_failed(job: Any, connection: Any, *exc_info: Any) -> None:
    if has_app_context():
        score_jobs.score_job_failed(job, connection, *exc_info)
        return
    with create_app().app_context():
        score_jobs.score_job_failed(job, connection, *exc_info)


def run_export_job(job_id: int) -> None:
    """A large export (a run's results XLSX) started from its download link."""
    if has_app_context():
        export_jobs.run_export_job(job_id)
        return
    with create_app().app_context():
        export_jobs.run_export_job(job_id)


def export_job_failed(job: Any, connection: Any, *exc_info: Any) -> None:
    if has_app_context():
        export_jobs.export_job_failed(job, connection, *exc_info)
        return
    with create_app().app_context():
        export_jobs.export_job_failed(job, connection, *exc_info)
