"""Where an import runs: on an RQ worker when REDIS_URL is configured (`flask import-worker`
runs one), otherwise in a background thread of the web process (IMPORTS_IN_BACKGROUND; tests
turn it off to run inline). Either way the request only queues the batch and the batch page
shows progress: the worker reports it in the job's meta, and every run beats a heartbeat on
its batch, so a batch whose process was killed shows as interrupted and can be started again
from its kept file.
"""

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Callback, Queue, Worker, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import update

from models import BatchStatus, ImportBatch, db, utcnow

from . import uploads
from .importer import STUCK_MESSAGE, is_stuck, run_batch

log = logging.getLogger(__name__)
QUEUE_NAME = "agri-credit-imports"
JOB_TIMEOUT = 2 * 60 * 60  # seconds; a million rows take about a minute
# A worker runs the job through the top-level `worker` module, which gives it an app context
# (named, not imported: agri_credit never imports the app factory above it).
WORKER_ENTRY = "worker.run_import_job"
FAILURE_ENTRY = "worker.import_job_failed"
LOST = (None, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)


def queue(app: Flask | None = None) -> Queue | None:
    config = (app or current_app).config
    url = config.get("REDIS_URL")
    if not url:
        return None
    # IMPORT_QUEUE_NAME: parallel test workers sharing one Redis each use their own queue.
    name = config.get("IMPORT_QUEUE_NAME") or QUEUE_NAME
    return Queue(name, connection=Redis.from_url(url), default_timeout=JOB_TIMEOUT)


def enqueue_or_run(
    job_table: Any,
    job_id: int,
    entry: str,
    failure_entry: str,
    run: Callable[[int], None],
    label: str,
    timeout: int,
) -> None:
    """Start a job row of `job_table` (a model with `id` and `job_id`): on the RQ queue when
    Redis is configured and reachable (its RQ id kept on the row), else now, in the request,
    through `run` - a page never fails because Redis went away."""
    jobs = queue()
    if jobs is not None:
        try:
            rq_job = jobs.enqueue(
                entry,
                job_id,
                job_id=f"{label}-{job_id}-{uuid.uuid4().hex[:8]}",
                job_timeout=timeout,
                on_failure=Callback(failure_entry),
            )
        except RedisError:
            log.warning("Redis unreachable; running %s job %s in the request", label, job_id)
        else:
            db.session.execute(
                update(job_table).where(job_table.id == job_id).values(job_id=rq_job.id)
            )
            db.session.commit()
            return
    run(job_id)


def mark_lost(job_table: Any, job_id: int, message: str) -> None:
    """RQ's failure callback for a job row (a killed work horse, a timeout): a job still
    queued or running has failed, with `message`."""
    db.session.execute(
        update(job_table)
        .where(job_table.id == job_id, job_table.status.in_(("queued", "running")))
        .values(status="failed", message=message, finished_at=utcnow())
    )
    db.session.commit()


def is_lost(job: Any, timeout: int) -> bool:
    """Still queued or running after the job timeout: its process is gone (a killed web
    worker that ran it inline leaves no failure callback). Read only."""
    return not job.finished and job.created_at < utcnow() - timedelta(seconds=timeout)


def progress_of(job: Any, timeout: int, labels: dict[str, str], lost_message: str) -> dict:
    """Status for a job page's progress bar (msgids; the caller translates)."""
    if is_lost(job, timeout):
        return {
            "status": "failed",
            "label": labels["failed"],
            "fraction": 1.0,
            "step": lost_message,
            "finished": True,
        }
    return {
        "status": job.status,
        "label": labels.get(job.status, job.status),
        "fraction": 1.0 if job.finished else job.fraction,
        "step": job.step,
        "finished": job.finished,
    }


def dispatch(batch: ImportBatch, path: Path) -> None:
    """Run a queued batch: on the queue when there is one, else in a background thread (or
    now, when IMPORTS_IN_BACKGROUND is off)."""
    jobs = queue()
    if jobs is not None:
        try:
            job = jobs.enqueue(
                WORKER_ENTRY,
                batch.id,
                str(path),
                job_id=f"import-{batch.id}-{uuid.uuid4().hex[:8]}",
                on_failure=Callback(FAILURE_ENTRY),
            )
        except RedisError:
            log.warning("Redis unreachable; running import %s in the web process", batch.id)
        else:
            db.session.execute(
                update(ImportBatch).where(ImportBatch.id == batch.id).values(job_id=job.id)
            )
            db.session.commit()
            return
    if current_app.config.get("IMPORTS_IN_BACKGROUND", True):
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        threading.Thread(
            target=_run_in_thread, args=(app, batch.id, str(path)), daemon=True
        ).start()
        return
    try:
        run_import_job(batch.id, str(path))
    except Exception:  # noqa: BLE001 - recorded on the batch and logged by run_batch
        db.session.rollback()


def _run_in_thread(app: Flask, batch_id: int, path: str) -> None:
    with app.app_context():
        try:
            run_import_job(batch_id, path)
        except Exception:  # noqa: BLE001 - recorded on the batch and logged by run_batch
            db.session.rollback()


def run_import_job(batch_id: int, path: str) -> None:
    """The job body, on a worker, a thread or inline. A batch another run already took is
    left alone, file and all. Once the run has ended the batch (imported, rejected or
    failed) the uploaded file goes; a run killed midway leaves it for a restart."""
    job = get_current_job()
    if job is not None:
        # A forked work horse must not reuse the parent's pooled connections.
        db.engine.dispose(close=False)

    def report(rows: int, fraction: float) -> None:
        if job is not None:
            job.meta.update(rows=rows, fraction=round(fraction, 3))
            job.save_meta()

    try:
        ran = run_batch(batch_id, Path(path), progress=report)
    except Exception:
        Path(path).unlink(missing_ok=True)
        raise
    if ran:
        Path(path).unlink(missing_ok=True)


def import_job_failed(job: Job, connection: Redis, *exc_info: Any) -> None:
    """RQ's failure callback (a killed work horse, a timeout, a job the registry found
    abandoned): the batch failed, nothing landed; its file is kept for a restart."""
    batch_id = int(job.args[0])
    db.session.execute(
        update(ImportBatch)
        .where(
            ImportBatch.id == batch_id,
            ImportBatch.job_id == job.id,
            ImportBatch.status.in_([BatchStatus.QUEUED, BatchStatus.RUNNING]),
        )
        .values(status=BatchStatus.FAILED, message=STUCK_MESSAGE, finished_at=utcnow())
    )
    db.session.commit()


def worker(jobs: Queue) -> Worker:
    """An import worker: a work horse killed under it (OOM, SIGKILL) fails its batch at
    once instead of leaving it running until the heartbeat goes stale."""
    return Worker(
        [jobs],
        connection=jobs.connection,
        work_horse_killed_handler=lambda job, *_: import_job_failed(job, jobs.connection),
    )


def stale_after(app: Flask | None = None) -> timedelta:
    return timedelta(minutes=(app or current_app).config["IMPORT_STALE_AFTER_MINUTES"])


def interrupted(batch: ImportBatch, now: datetime) -> bool:
    """A batch still queued or running whose run is gone: its heartbeat stopped, or the
    queue lost or failed its job. Read only: the scheduled sweep records it."""
    if batch.finished:
        return False
    path = uploads.pending_path(uploads.upload_folder(current_app.instance_path), batch.id)
    if batch.status == BatchStatus.RUNNING and is_stuck(batch, path, now, stale_after()):
        return True
    jobs = queue()
    if batch.job_id and jobs is not None:
        try:
            return Job.fetch(batch.job_id, connection=jobs.connection).get_status() in LOST
        except NoSuchJobError:
            return True
        except RedisError:
            return False
    # Queued for a thread that never took it (the server died in between).
    alive = batch.heartbeat_at or batch.created_at
    return batch.status == BatchStatus.QUEUED and alive < now - stale_after()


def progress(batch: ImportBatch) -> dict[str, Any]:
    """Status for the batch page's progress bar. Read only: a batch whose run is gone shows
    as interrupted (nothing landed), and the scheduled sweep marks it failed."""
    state: dict[str, Any] = {
        "status": batch.status,
        "label": batch.status_label,
        "finished": batch.finished,
        "rows": batch.rows_read,
        "fraction": 1.0 if batch.finished else 0.0,
        "interrupted": False,
    }
    if batch.finished:
        return state
    if interrupted(batch, utcnow()):
        return state | {
            "label": "已中断，未导入",
            "finished": True,
            "interrupted": True,
            "message": STUCK_MESSAGE,
        }
    jobs = queue()
    if jobs is None or not batch.job_id:
        return state
    try:
        meta = Job.fetch(batch.job_id, connection=jobs.connection).get_meta(refresh=True)
    except (NoSuchJobError, RedisError):
        return state
    return state | {"rows": meta.get("rows", 0), "fraction": meta.get("fraction", 0.0)}
