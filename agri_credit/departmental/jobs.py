"""Where an import runs: inline in the request by default, or on an RQ worker when REDIS_URL
is configured (`flask import-worker` runs one). The worker reports progress in the job's
meta, so a batch page closed and reopened picks the progress bar up where it is."""

import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Callback, Queue, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import update

from models import BatchStatus, ImportBatch, db, utcnow

from .importer import run_batch

log = logging.getLogger(__name__)
QUEUE_NAME = "agri-credit-imports"
JOB_TIMEOUT = 2 * 60 * 60  # seconds; a million rows take about a minute
INTERRUPTED = "后台导入任务中断，数据库未作任何改动，请重新上传导入。"


def queue(app: Flask | None = None) -> Queue | None:
    url = (app or current_app).config.get("REDIS_URL")
    if not url:
        return None
    return Queue(QUEUE_NAME, connection=Redis.from_url(url), default_timeout=JOB_TIMEOUT)


def dispatch(batch: ImportBatch, path: Path) -> None:
    """Run the batch: on the queue when there is one, otherwise now."""
    jobs = queue()
    if jobs is not None:
        try:
            job = jobs.enqueue(
                run_import_job,
                batch.id,
                str(path),
                job_id=f"import-{batch.id}",
                on_failure=Callback(job_failed),
            )
        except RedisError:
            log.warning("Redis unreachable; running import %s inline", batch.id)
        else:
            batch.job_id = job.id
            db.session.commit()
            return
    try:
        run_import_job(batch.id, str(path))
    except Exception:  # noqa: BLE001 - recorded on the batch and logged by run_batch
        db.session.rollback()


def run_import_job(batch_id: int, path: str) -> None:
    """The job body, on a worker or inline. The uploaded file goes when the job ends."""
    if not has_app_context():  # an `rq worker` started without `flask import-worker`
        from app import create_app

        with create_app().app_context():
            return run_import_job(batch_id, path)
    job = get_current_job()
    if job is not None:
        # A forked work horse must not reuse the parent's pooled connections.
        db.engine.dispose(close=False)

    def report(rows: int, fraction: float) -> None:
        if job is not None:
            job.meta.update(rows=rows, fraction=round(fraction, 3))
            job.save_meta()

    try:
        run_batch(batch_id, Path(path), progress=report)
    finally:
        Path(path).unlink(missing_ok=True)


def job_failed(job: Job, connection: Any, exc_type: Any, exc_value: Any, tb: Any) -> None:
    """RQ's failure callback: a job that raised or timed out, or that a dead worker left
    behind, fails its batch (its transaction never committed, nothing landed). Conditional:
    a batch the import already finished (with its own reason) keeps its state."""
    if not has_app_context():  # RQ's registry cleanup may run it outside the worker
        from app import create_app

        with create_app().app_context():
            return job_failed(job, connection, exc_type, exc_value, tb)
    db.session.execute(
        update(ImportBatch)
        .where(
            ImportBatch.id == int(job.args[0]),
            ImportBatch.status.in_([BatchStatus.QUEUED, BatchStatus.RUNNING]),
        )
        .values(status=BatchStatus.FAILED, message=INTERRUPTED, finished_at=utcnow())
    )
    db.session.commit()


def progress(batch: ImportBatch) -> dict[str, Any]:
    """Status for the batch page's progress bar, read only: RQ's failure callback
    (`job_failed`) records a failed job on the batch; a job the queue has lost is only
    reported here."""
    state: dict[str, Any] = {
        "status": batch.status,
        "label": batch.status_label,
        "finished": batch.finished,
        "rows": batch.rows_read,
        "fraction": 1.0 if batch.finished else 0.0,
    }
    if batch.finished or not batch.job_id:
        return state
    jobs = queue()
    if jobs is None:
        return state
    try:
        job = Job.fetch(batch.job_id, connection=jobs.connection)
        status = job.get_status(refresh=True)
        meta = job.get_meta(refresh=True)
    except NoSuchJobError:
        status, meta = None, {}
    except RedisError:
        return state | {"label": "无法连接后台任务服务"}
    if status in (None, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        return state | {"label": "后台导入任务已中断"}
    return state | {"rows": meta.get("rows", 0), "fraction": meta.get("fraction", 0.0)}
