"""Department files on disk between upload and import. They hold ID numbers in clear, so they
live only under the instance folder, are deleted when their import ends (jobs.py), and an
upload whose column mapping was never confirmed is deleted with its pending batch after a day.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select

from models import BatchStatus, ImportBatch, db

ABANDONED_AFTER = timedelta(hours=24)


def upload_folder(instance_path: str | Path) -> Path:
    folder = Path(instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pending_path(folder: Path, batch_id: int) -> Path:
    return folder / f"batch-{batch_id}.upload"


def purge_abandoned_uploads(
    folder: Path, now: datetime, older_than: timedelta = ABANDONED_AFTER
) -> int:
    """Delete uploads left waiting for their mapping since before `now - older_than`, their
    pending batches (which hold no records), and temporary files of uploads that died before
    they became a batch. Returns how many batches went; the caller commits."""
    cutoff = now - older_than
    ids = list(
        db.session.scalars(
            select(ImportBatch.id).where(
                ImportBatch.status == BatchStatus.PENDING, ImportBatch.created_at < cutoff
            )
        )
    )
    if ids:
        # Still pending: a mapping confirmed since the select keeps its batch and its file.
        ids = list(
            db.session.scalars(
                delete(ImportBatch)
                .where(ImportBatch.id.in_(ids), ImportBatch.status == BatchStatus.PENDING)
                .returning(ImportBatch.id)
            )
        )
    for batch_id in ids:
        pending_path(folder, batch_id).unlink(missing_ok=True)
    for stray in folder.glob("upload-*.tmp"):
        modified = datetime.fromtimestamp(stray.stat().st_mtime, UTC).replace(tzinfo=None)
        if modified < cutoff:  # naive UTC, like `now`
            stray.unlink(missing_ok=True)
    return len(ids)
