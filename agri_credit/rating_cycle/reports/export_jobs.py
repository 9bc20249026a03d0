"""A run's results XLSX as a background job when it is large (issue 12 point 19).

Writing every household of a county takes seconds, too long for a request that other users'
pages wait behind. Above EXPORT_JOB_MIN_ROWS results in the user's scope the download link
leads to a page that starts an `ExportJob` (a POST); the job runs on the RQ queue the imports
and scoring runs use when REDIS_URL is configured, inside the request otherwise, and writes
the same workbook the direct export would into the instance folder. The job page polls its
progress and offers the file when it is ready. Only the user who asked fetches it, only while
his scope is still the one the file was made for and the run is still his to see; each
download is journalled like the direct export.
"""

import logging
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from rq import get_current_job
from sqlalchemy import func, select, update

from agri_credit.auth.scopes import in_scope
from agri_credit.departmental.jobs import enqueue_or_run, is_lost, mark_lost, progress_of
from agri_credit.downloads import ascii_filename
from models import N_, ExportJob, RatingResult, RatingRun, User, clock, db, utcnow

log = logging.getLogger(__name__)
KIND = "rating_results"
# Named, not imported: the worker module sits above `agri_credit` and gives the job an app.
WORKER_ENTRY = "worker.run_export_job"
FAILURE_ENTRY = "worker.export_job_failed"
JOB_TIMEOUT = 30 * 60  # seconds; 200,000 households write in well under a minute
RUNNING = ("queued", "running")
STATUS_LABELS = {
    "queued": N_("排队中"),
    "running": N_("生成中"),
    "done": N_("已完成"),
    "failed": N_("失败"),
}
FAILED_MESSAGE = N_("导出出错，未生成文件。请稍后重试，或请管理员查看服务器日志。")
LOST_MESSAGE = N_("后台任务中断（进程退出或超时），未生成文件。")


def file_stem(run: RatingRun, scope_name: str) -> str:
    """The download's name without suffix, shared with the direct export."""
    return f"信用评定-{scope_name}-{run.year}-{run.id}"


def results_in_scope(run: RatingRun, user: User) -> int:
    """How many results of the run the user's export would hold (one COUNT)."""
    return db.session.scalar(
        select(func.count())
        .select_from(RatingResult)
        .where(RatingResult.run_id == run.id, in_scope(RatingResult.village_code, user))
    )


def export_folder(instance_path: str) -> Path:
    return Path(instance_path) / "exports"


def stored_file(job: ExportJob) -> Path | None:
    """The finished file on disk, or None (not written yet, or cleaned up)."""
    if job.status != "done" or not job.stored_as:
        return None
    path = export_folder(current_app.instance_path) / job.stored_as
    return path if path.is_file() else None


def _pending(run: RatingRun, user: User) -> ExportJob | None:
    """The user's export of this run still queued or running: a second click follows it
    instead of writing the same file twice."""
    since = utcnow() - timedelta(seconds=JOB_TIMEOUT)
    return db.session.scalar(
        select(ExportJob)
        .where(
            ExportJob.kind == KIND,
            ExportJob.run_id == run.id,
            ExportJob.requested_by_id == user.id,
            ExportJob.scope_code == user.scope_code,
            ExportJob.status.in_(RUNNING),
            ExportJob.created_at > since,
        )
        .order_by(ExportJob.id.desc())
        .limit(1)
    )


def start(run: RatingRun, user: User) -> ExportJob:
    """Queue the export of the run's results in the user's scope, and dispatch it."""
    job = _pending(run, user)
    if job is not None:
        return job
    job = ExportJob(
        kind=KIND,
        run_id=run.id,
        scope_code=user.scope_code,
        requested_by_id=user.id,
        status="queued",
        step="",
        message="",
    )
    db.session.add(job)
    db.session.commit()
    dispatch(job.id)
    return db.session.get(ExportJob, job.id)


def dispatch(job_id: int) -> None:
    enqueue_or_run(ExportJob, job_id, WORKER_ENTRY, FAILURE_ENTRY, run_export_job, "export", JOB_TIMEOUT)


def _set(job_id: int, **values: Any) -> None:
    db.session.execute(update(ExportJob).where(ExportJob.id == job_id).values(**values))
    db.session.commit()


def run_export_job(job_id: int) -> None:
    """The job body, on a worker or inline. A job another process already took is left
    alone (the conditional update moves it from queued to running once)."""
    if get_current_job() is not None:
        # A forked work horse must not reuse the parent's pooled connections.
        db.engine.dispose(close=False)
    taken = db.session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == "queued")
        .values(status="running", fraction=0.05, step=N_("读取评定结果"))
    ).rowcount
    db.session.commit()
    if not taken:
        return
    try:
        _write(db.session.get(ExportJob, job_id))
    except Exception:
        db.session.rollback()
        log.exception("export job %s failed", job_id)
        _set(job_id, status="failed", message=FAILED_MESSAGE, finished_at=utcnow())
        if get_current_job() is not None:
            raise


def _write(job: ExportJob) -> None:
    # Imported here: the exports module pulls in reportlab, which a worker needs only now.
    from .exports import results_frame, results_workbook
    from .services import run_figures

    user, run = job.requested_by, job.run
    if user.scope_code != job.scope_code:
        # His scope moved since he asked: the file would not be the one he asked for.
        _set(job.id, status="failed", message=LOST_MESSAGE, finished_at=utcnow())
        return
    figures = run_figures(run, user)
    results = results_frame(figures, user)
    _set(job.id, fraction=0.4, step=N_("写入 Excel"), rows=len(results))
    content = results_workbook(figures, results, clock.now())
    folder = export_folder(current_app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    # An unguessable name: the folder is no way in, but a file name should not be one either.
    name = f"{job.id}-{secrets.token_hex(8)}.xlsx"
    (folder / name).write_bytes(content)
    stem = file_stem(run, figures.scope_name)
    _set(
        job.id,
        status="done",
        fraction=1.0,
        step=N_("完成"),
        stored_as=name,
        filename=f"{stem}.xlsx",
        fallback=ascii_filename(
            "rating-results", run.year, job.scope_code, f"run{run.id}", suffix=".xlsx"
        ),
        finished_at=utcnow(),
    )


def export_job_failed(job: Any, connection: Any, *exc_info: Any) -> None:
    """RQ's failure callback (a killed work horse, a timeout): the export failed."""
    mark_lost(ExportJob, int(job.args[0]), LOST_MESSAGE)


def lost(job: ExportJob) -> bool:
    return is_lost(job, JOB_TIMEOUT)


def progress_state(job: ExportJob) -> dict[str, Any]:
    """Status for the job page's progress bar (the msgids; the caller translates)."""
    return progress_of(job, JOB_TIMEOUT, STATUS_LABELS, LOST_MESSAGE)
