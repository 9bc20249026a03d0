"""Batches whose run died, and the files they leave: the scheduled sweep (`flask
departmental-sweep`, from cron) records interrupted batches as failed and deletes uploads
kept past their retention; a credit office starts an interrupted batch again from its file.

A killed import never committed (the import is one transaction), so marking it failed is
true: nothing of it landed. Its upload is kept for IMPORT_FILE_RETENTION_HOURS so that it can
be started again without uploading it once more; then it goes (it holds ID numbers in clear).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from models import BatchStatus, ImportBatch, db

from . import jobs, uploads
from .importer import STUCK_MESSAGE, BatchRefused

UNFINISHED = (BatchStatus.QUEUED, BatchStatus.RUNNING)
# Ended for good: a file left by a process that died just after the end goes at once. A
# failed batch's file is kept for the retention time, for a restart.
ENDED = (BatchStatus.IMPORTED, BatchStatus.REJECTED, BatchStatus.ROLLED_BACK)


@dataclass(frozen=True)
class SweepResult:
    failed: list[int]  # batches recorded as failed (interrupted)
    files_deleted: int  # uploads of ended batches past retention, or of no batch
    abandoned: int  # uploads never mapped, deleted with their pending batch


def sweep(folder: Path, now: datetime, retention: timedelta) -> SweepResult:
    """Record interrupted batches as failed, then delete the files nobody will use."""
    failed = []
    for batch in db.session.scalars(select(ImportBatch).where(ImportBatch.status.in_(UNFINISHED))):
        if jobs.interrupted(batch, now):
            marked = db.session.execute(
                update(ImportBatch)
                .where(
                    ImportBatch.id == batch.id,
                    ImportBatch.status == batch.status,
                    ImportBatch.attempt == batch.attempt,
                )
                .values(status=BatchStatus.FAILED, message=STUCK_MESSAGE, finished_at=now)
            ).rowcount
            if marked:
                failed.append(batch.id)
    db.session.commit()
    files = 0
    for path in folder.glob("batch-*.upload"):
        batch = db.session.get(ImportBatch, _batch_id(path))
        if batch is None or batch.status in ENDED or _past(batch, now - retention):
            path.unlink(missing_ok=True)
            files += 1
    abandoned = uploads.purge_abandoned_uploads(folder, now)
    db.session.commit()
    return SweepResult(failed, files, abandoned)


def _past(batch: ImportBatch, cutoff: datetime) -> bool:
    return batch.status == BatchStatus.FAILED and (batch.finished_at or cutoff) < cutoff


def _batch_id(path: Path) -> int:
    try:
        return int(path.stem.removeprefix("batch-"))
    except ValueError:
        return 0


def restartable(batch: ImportBatch, path: Path, now: datetime) -> bool:
    """An interrupted batch whose file is still kept (a batch the importer itself failed
    had its file deleted: that one is uploaded again)."""
    if not path.exists():
        return False
    return batch.status == BatchStatus.FAILED or jobs.interrupted(batch, now)


def restart(batch: ImportBatch, path: Path, now: datetime) -> None:
    """Queue an interrupted batch again, exactly once; the caller dispatches it."""
    if not restartable(batch, path, now):
        raise BatchRefused("只有中断且文件仍保留的批次可以重新导入，请重新上传文件")
    taken = db.session.execute(
        update(ImportBatch)
        .where(
            ImportBatch.id == batch.id,
            ImportBatch.status == batch.status,
            ImportBatch.attempt == batch.attempt,
        )
        .values(
            status=BatchStatus.QUEUED,
            message="",
            finished_at=None,
            job_id="",
            heartbeat_at=now,
        )
    ).rowcount
    db.session.commit()
    if not taken:
        raise BatchRefused("该批次已在重新导入")
    db.session.refresh(batch)
