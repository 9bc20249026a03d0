"""Where an import runs: inline in the request by default, or on an RQ worker when REDIS_URL
is configured (`flask import-worker` runs one). The worker reports progress in the job's
meta, so a batch page closed and reopened picks the progress bar up where it is."""

import logging
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from models import BatchStatus, ImportBatch, db, utcnow

from .importer import run_batch

log = logging.getLogger(__name__)
QUEUE_NAME = "agri-credit-imports"
JOB_TIMEOUT = 2 * 60 * 60  # seconds; a million rows take about a minute
# A worker runs the job through the top-level `worker` module, which gives it an app context
# (named, not imported: agri_credit never imports the app factory above it).
WORKER_ENTRY = "worker.run_import_job"


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
            job = jobs.enqueue(WORKER_ENTRY, batch.id, str(path), job_id=f"import-{batch.id}")
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
    """The job body, inline or on a worker (through `worker.run_import_job`, which supplies
    the app context). The uploaded file goes when the job ends."""
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


def progress(batch: ImportBatch) -> dict[str, Any]:
    """Status for the batch page's progress bar. A job the queue lost or marked failed (a
    killed worker) fails the batch: its transaction never committed, nothing landed."""
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
        db.session.refresh(batch)
        if not batch.finished:
            batch.status = BatchStatus.FAILED
            batch.message = "后台导入任务中断，数据库未作任何改动，请重新上传导入。"
            batch.finished_at = utcnow()
            db.session.commit()
        return progress(batch)
    return state | {"rows": meta.get("rows", 0), "fraction": meta.get("fraction", 0.0)}
