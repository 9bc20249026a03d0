"""One departmental import, start to finish: the batch record, the chunked read, validation,
subject matching and the merge, in a single transaction so that a file that fails midway
(undecodable bytes, a killed worker, a database error) leaves the records as they were.

`import_file` is the whole thing inline (tests, the demo seed, the CLI). The web flow splits
it: `create_batch` at upload, the user confirms the mapping, then `jobs.dispatch` runs
`run_batch` inline or on an RQ worker.
"""

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, delete, exists, insert, or_, select, text, update

from agri_credit.extensions import id_cipher
from agri_credit.signals import records_changed
from models import (
    RECORD_MODELS,
    AuditEvent,
    BatchStatus,
    ImportBatch,
    ImportRejection,
    Source,
    SubjectKey,
    User,
    db,
    mask_id,
    utcnow,
)

from . import matching, store
from .parsing import (
    CHUNK_ROWS,
    FileInfo,
    Progress,
    UnreadableFile,
    UploadLimits,
    iter_chunks,
    sniff,
)
from .sources import SourceSpec, spec_for
from .validation import ERROR_COLUMNS, SUBJECT_ID, clean_chunk

log = logging.getLogger(__name__)
MAX_STORED_REJECTIONS = 100_000  # the counts stay exact; the report lists this many


class BatchRefused(ValueError):
    """A batch operation the user asked for cannot be done; the message says why."""


@dataclass(frozen=True)
class _Job:
    """What a run needs from the batch row, read once so that no ORM transaction stays
    open while the import writes (SQLite would lock itself out)."""

    id: int
    source: str
    columns: dict[str, str]
    keep_valid_rows: bool
    user_id: int
    scope_code: str
    attempt: int


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def create_batch(
    path: Path,
    *,
    source: Source | str,
    user: User,
    scope_code: str,
    filename: str,
    columns: dict[str, str] | None = None,
    keep_valid_rows: bool = False,
    status: BatchStatus = BatchStatus.QUEUED,
    limits: UploadLimits | None = None,
) -> tuple[ImportBatch, FileInfo]:
    """Record an uploaded file as a batch. Raises UnreadableFile before recording anything,
    also when the file is over `limits` (an upload's: zip bomb, too many columns)."""
    info = sniff(path, limits)
    batch = ImportBatch(
        source=Source(source).value,
        user_id=user.id,
        scope_code=scope_code,
        filename=filename[:200],
        sha256=file_digest(path),
        file_size=path.stat().st_size,
        encoding=info.encoding or "xlsx",
        columns=dict(columns or {}),
        keep_valid_rows=keep_valid_rows,
        status=status,
    )
    db.session.add(batch)
    db.session.commit()
    return batch, info


def earlier_import_of(batch: ImportBatch) -> ImportBatch | None:
    """The batch that already imported this very file, if any."""
    return db.session.scalar(
        select(ImportBatch)
        .where(
            ImportBatch.source == batch.source,
            ImportBatch.sha256 == batch.sha256,
            ImportBatch.status == BatchStatus.IMPORTED,
            ImportBatch.id != batch.id,
        )
        .order_by(ImportBatch.id.desc())
        .limit(1)
    )


def import_file(
    path: Path,
    *,
    source: Source | str,
    columns: dict[str, str],
    user: User,
    scope_code: str,
    filename: str | None = None,
    keep_valid_rows: bool = False,
) -> ImportBatch:
    """Import a department's file inline and return its (committed) batch."""
    batch, _ = create_batch(
        path,
        source=source,
        user=user,
        scope_code=scope_code,
        filename=filename or path.name,
        columns=columns,
        keep_valid_rows=keep_valid_rows,
    )
    run_batch(batch.id, path)
    db.session.expire_all()
    return db.session.get(ImportBatch, batch.id)


def take_batch(batch_id: int) -> int | None:
    """Move a queued batch to running, exactly once: the attempt number this run owns, or
    None when another run (a second click, a second worker) already took it."""
    attempt = db.session.scalar(
        update(ImportBatch)
        .where(ImportBatch.id == batch_id, ImportBatch.status == BatchStatus.QUEUED)
        .values(
            status=BatchStatus.RUNNING,
            attempt=ImportBatch.attempt + 1,
            heartbeat_at=utcnow(),
            message="",
        )
        .returning(ImportBatch.attempt)
    )
    db.session.commit()
    return attempt


def run_batch(
    batch_id: int, path: Path, progress: Progress | None = None, chunk_rows: int = CHUNK_ROWS
) -> bool:
    """Run a queued batch to its end state: imported, rejected or failed (True). A batch
    another run has taken is left alone (False), its file too."""
    attempt = take_batch(batch_id)
    if attempt is None:
        return False
    batch = db.session.get(ImportBatch, batch_id)
    job = _Job(
        batch.id,
        batch.source,
        dict(batch.columns),
        batch.keep_valid_rows,
        batch.user_id,
        batch.scope_code,
        attempt,
    )
    # Commit and touch nothing after: the session holds no transaction while the import
    # writes on its own connection (on SQLite an open reader would block the final commit).
    db.session.commit()
    try:
        _run(job, path, _beating(job, path, progress), chunk_rows)
    except _Rejected as rejected:
        _finish_without_records(job, BatchStatus.REJECTED, rejected.message, rejected)
    except UnreadableFile as exc:
        _finish_without_records(job, BatchStatus.FAILED, str(exc))
    except _TakenAway:
        # Declared dead and started again: the new run owns the batch and its file.
        log.warning("departmental import %s was started again elsewhere; this run undone", job.id)
        return False
    except Exception:
        log.exception("departmental import %s failed", job.id)
        _finish_without_records(
            job, BatchStatus.FAILED, "导入过程中出错，数据库未作任何改动。请稍后重试或联系管理员。"
        )
        raise
    records_changed.send(None, source=job.source, batch_id=job.id, rolled_back=False, key_ids=None)
    return True


class _TakenAway(Exception):
    """The batch is no longer this run's (declared dead and started again)."""


# ---- heartbeat -----------------------------------------------------------------------------


def _beating(job: _Job, path: Path, progress: Progress | None) -> Progress:
    """The progress callback plus a heartbeat after every chunk."""

    def report(rows: int, fraction: float) -> None:
        beat(job.id, job.attempt, path)
        if progress:
            progress(rows, fraction)

    return report


def beat(batch_id: int, attempt: int, path: Path) -> None:
    """Say the import is alive, outside its own transaction so that the import stays one
    transaction. On SQLite the import holds the database's only write lock, so no other
    connection can write: there the kept upload's modification time is the heartbeat."""
    if db.engine.dialect.name == "sqlite":
        with suppress(OSError):
            os.utime(path)
        return
    with db.engine.connect() as conn, conn.begin():
        conn.execute(
            update(ImportBatch)
            .where(
                ImportBatch.id == batch_id,
                ImportBatch.attempt == attempt,
                ImportBatch.status == BatchStatus.RUNNING,
            )
            .values(heartbeat_at=utcnow())
        )


def last_sign_of_life(batch: ImportBatch, path: Path) -> datetime | None:
    """When a running batch last said it was alive: its heartbeat, or its kept file's time."""
    times = [batch.heartbeat_at] if batch.heartbeat_at else []
    with suppress(OSError):
        times.append(datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None))
    return max(times, default=None)


def is_stuck(batch: ImportBatch, path: Path, now: datetime, stale_after: timedelta) -> bool:
    """A running batch that has not beaten for `stale_after` was killed with its process:
    its transaction never committed, so nothing of it landed."""
    if batch.status != BatchStatus.RUNNING:
        return False
    alive = last_sign_of_life(batch, path)
    return alive is None or alive < now - stale_after


STUCK_MESSAGE = "导入进程已中断（服务器或后台任务被终止），数据库未作任何改动。"


# ---- locks (PostgreSQL) --------------------------------------------------------------------

# pg_advisory_xact_lock(namespace, key): one lock per source serialises its imports and
# rollbacks; the subject-key lock is shared by every import (they may reuse any key) and
# taken exclusively by a rollback that deletes keys. SQLite serialises writers by itself.
_LOCK_NAMESPACE = 0x1A6C
LOCK_POLL_SECONDS = 1.0
_SUBJECT_KEYS = 0


def _source_key(source: str) -> int:
    return list(Source).index(Source(source)) + 1


def _lock_for_import(conn: Connection, source: str, waiting: Callable[[], None]) -> None:
    """Wait (beating) until no rollback or other import of the source runs."""
    if conn.dialect.name != "postgresql":
        return
    # A job has no statement timeout (web requests do), and the server notices within a
    # second when the job's process dies instead of finishing an orphaned INSERT.
    conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
    if conn.connection.driver_connection.info.server_version >= 140000:
        conn.exec_driver_sql("SET LOCAL client_connection_check_interval = 1000")
    lock = text("SELECT pg_try_advisory_xact_lock(:ns, :key)")
    while not conn.execute(lock, {"ns": _LOCK_NAMESPACE, "key": _source_key(source)}).scalar():
        waiting()
        time.sleep(LOCK_POLL_SECONDS)
    conn.execute(
        text("SELECT pg_advisory_xact_lock_shared(:ns, :key)"),
        {"ns": _LOCK_NAMESPACE, "key": _SUBJECT_KEYS},
    )


def _try_lock(key: int) -> bool:
    """Take a lock for the session's transaction if free (always True on SQLite)."""
    if db.engine.dialect.name != "postgresql":
        return True
    return bool(
        db.session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:ns, :key)"),
            {"ns": _LOCK_NAMESPACE, "key": key},
        )
    )


@contextmanager
def _cancel_on_failure(conn: Connection) -> Iterator[None]:
    """Whatever interrupts the job (a timeout signal, a crash in Python) cancels the statement
    the server is still running, instead of leaving it to run on for seconds."""
    try:
        yield
    except BaseException:
        if conn.dialect.name == "postgresql":
            driver = conn.connection.driver_connection
            if driver is not None and driver.pgconn.transaction_status == 1:  # ACTIVE
                with suppress(Exception):
                    driver.cancel_safe(timeout=5.0)
                # The cancelled statement's result is still pending on this connection:
                # close it rather than send a ROLLBACK it cannot take (the server rolls
                # back a closed connection's transaction).
                conn.invalidate()
        raise


class _Rejected(Exception):
    def __init__(self, message: str, rows_read: int, errors: pd.DataFrame, n_errors: int):
        super().__init__(message)
        self.message = message
        self.rows_read = rows_read
        self.errors = errors
        self.n_errors = n_errors


def _run(job: _Job, path: Path, progress: Progress | None, chunk_rows: int) -> None:
    spec = spec_for(job.source)
    missing = [f.label for f in spec.fields if f.required and not job.columns.get(f.name)]
    if missing:
        raise UnreadableFile(f"未指定必填字段对应的列：{'、'.join(missing)}")
    info = sniff(path)
    absent = [h for h in job.columns.values() if h and h not in info.headers]
    if absent:
        raise UnreadableFile(f"文件中没有这些列：{'、'.join(absent)}（请检查列对应）")
    layout = store.layout_of(spec)
    cipher = id_cipher()
    errors: list[pd.DataFrame] = []
    n_errors = rows_read = 0
    rejected_rows: set[int] = set()
    verdicts: dict[str, bool] = {}  # number -> outside the office's scope, across chunks

    with db.engine.connect() as conn, conn.begin(), _cancel_on_failure(conn):
        _lock_for_import(conn, job.source, lambda: progress(0, 0.0) if progress else None)
        # The stage is a temporary table created inside the transaction: a rollback drops it.
        store.create_stage(conn, layout)
        for raw in iter_chunks(path, info, chunk_rows, progress):
            rows_read += len(raw)
            cleaned = clean_chunk(spec, job.columns, raw)
            if len(cleaned.errors):
                n_errors += len(cleaned.errors)
                rejected_rows.update(cleaned.errors["row_number"].tolist())
                _keep(errors, cleaned.errors)
            rows = cleaned.rows
            lookups = store.subject_lookups(rows, cipher) if len(rows) else {}
            if len(rows):
                refused = store.outside_scope(conn, rows, lookups, job.scope_code, verdicts)
                if refused.any():
                    out = _scope_errors(spec, job.columns, rows[refused])
                    n_errors += len(out)
                    rejected_rows.update(out["row_number"].tolist())
                    _keep(errors, out)
                    rows = rows[~refused].copy()
            if len(rows) and (job.keep_valid_rows or not n_errors):
                rows["subject_key_id"] = store.resolve_subject_keys(
                    conn, rows, cipher, job.id, lookups, job.scope_code
                )
                rows["fingerprint"] = fingerprint(rows, layout)
                store.stage_rows(conn, layout, rows)
        store.index_stage(conn, layout)
        duplicates = store.duplicate_rows(conn, layout)
        if duplicates:
            store.drop_staged(conn, [row for row, _ in duplicates])
            dup = _duplicate_errors(spec, job.columns, duplicates)
            n_errors += len(dup)
            rejected_rows.update(dup["row_number"].tolist())
            _keep(errors, dup)
        report = (
            pd.concat(errors, ignore_index=True).sort_values("row_number", kind="stable")
            if errors
            else pd.DataFrame(columns=ERROR_COLUMNS)
        )
        if n_errors and not job.keep_valid_rows:
            raise _Rejected(
                f"{len(rejected_rows)} 行有错误，按“全部正确才导入”的选择，整个文件未导入。"
                "请下载错误报告，改正后重新上传。",
                rows_read,
                report,
                len(rejected_rows),
            )
        inserted, updated, unchanged = store.merge(conn, layout, job.id)
        matching.match_batch_keys(conn, store.STAGE, job.scope_code)
        unmatched = store.unmatched_rows(conn)
        _write_rejections(conn, job.id, report)
        finished = conn.execute(
            update(ImportBatch)
            .where(
                ImportBatch.id == job.id,
                ImportBatch.status == BatchStatus.RUNNING,
                ImportBatch.attempt == job.attempt,
            )
            .values(
                status=BatchStatus.IMPORTED,
                rows_read=rows_read,
                rows_inserted=inserted,
                rows_updated=updated,
                rows_unchanged=unchanged,
                rows_rejected=len(rejected_rows),
                rows_unmatched=unmatched,
                message="",
                finished_at=utcnow(),
            )
        )
        if finished.rowcount != 1:
            raise _TakenAway  # rolls the whole import back
        conn.execute(
            insert(AuditEvent).values(
                action="departmental.import",
                subject_type="import_batch",
                subject_id=job.id,
                summary=f"{spec.label} 读取{rows_read} 新增{inserted} 更新{updated}"[:200],
                changes={"rows_rejected": len(rejected_rows), "rows_unmatched": unmatched},
                user_id=job.user_id,
                occurred_at=utcnow(),
            )
        )
        store.drop_stage(conn)
    if progress:
        progress(rows_read, 1.0)


def _keep(errors: list[pd.DataFrame], more: pd.DataFrame) -> None:
    kept = sum(len(e) for e in errors)
    if kept < MAX_STORED_REJECTIONS:
        errors.append(more.head(MAX_STORED_REJECTIONS - kept))


def _duplicate_errors(
    spec: SourceSpec, columns: dict[str, str], duplicates: list[tuple[int, int]]
) -> pd.DataFrame:
    rows, firsts = zip(*duplicates, strict=True)
    return pd.DataFrame(
        {
            "row_number": list(rows),
            "field": spec.fields[0].label,
            "column": columns.get(spec.fields[0].name, ""),
            "value": "",
            "message": [
                f"与第{first}行是同一条记录（主体和{_key_labels(spec)}相同）" for first in firsts
            ],
        }
    )


def _scope_errors(spec: SourceSpec, columns: dict[str, str], rows: pd.DataFrame) -> pd.DataFrame:
    """Rows naming a subject the office may not write to. The reason names no one and is the
    same whether the number is filed in another office's area or nowhere at all."""
    field = spec.field("subject_code")
    codes = rows["subject_code"].astype(str)
    return pd.DataFrame(
        {
            "row_number": rows["row_number"].astype("int64").to_numpy(),
            "field": field.label,
            "column": columns.get(field.name, ""),
            "value": codes.where(rows["subject_kind"] != SUBJECT_ID, codes.map(mask_id)).to_numpy(),
            "message": str(_l("该证件号码不在本单位辖区")),
        }
    )


def _key_labels(spec: SourceSpec) -> str:
    names = {f.name: f.label for f in spec.fields} | {"year": "所属期", "month": "所属期"}
    labels = [names.get(k) for k in spec.key if k in names]
    return "、".join(dict.fromkeys(label for label in labels if label))


def fingerprint(rows: pd.DataFrame, layout: store.Layout) -> pd.Series:
    """A 64-bit hash of a row's values (not its key): equal values, equal fingerprint."""
    text = pd.Series("", index=rows.index, dtype=str)
    for name in layout.values:
        column = rows[name]
        if column.dtype.kind == "M":
            part = column.dt.strftime("%Y-%m-%d")
        elif column.dtype.kind == "f":
            part = column.round(2).astype(str)  # repr of equal floats is equal
        else:
            part = column.astype(str)
        text = text + "\x1f" + part.fillna("").astype(str)
    hashed = pd.util.hash_array(text.to_numpy(dtype=object))
    return pd.Series(hashed.view(np.int64), index=rows.index)


def _write_rejections(conn, batch_id: int, report: pd.DataFrame) -> None:
    if report.empty:
        return
    frame = report.head(MAX_STORED_REJECTIONS).assign(batch_id=batch_id)
    frame["row_number"] = frame["row_number"].astype("int64")
    for name in ("field", "column", "value", "message"):
        frame[name] = frame[name].astype(str).str.slice(0, 200 if name != "field" else 40)
    conn.execute(insert(ImportRejection), frame.to_dict("records"))


def _finish_without_records(
    job: _Job, status: BatchStatus, message: str, rejected: _Rejected | None = None
) -> None:
    """Nothing landed: say why, and keep the error report for a rejected file. Only the run
    that owns the batch says how it ended: one that lost it must not overwrite the result."""
    with db.engine.connect() as conn, conn.begin():
        values = {"status": status, "message": message[:1000], "finished_at": utcnow()}
        if rejected is not None:
            values |= {"rows_read": rejected.rows_read, "rows_rejected": rejected.n_errors}
        owned = conn.execute(
            update(ImportBatch)
            .where(
                ImportBatch.id == job.id,
                ImportBatch.status == BatchStatus.RUNNING,
                ImportBatch.attempt == job.attempt,
            )
            .values(**values)
        ).rowcount
        if owned and rejected is not None:
            _write_rejections(conn, job.id, rejected.errors)


def rollback_batch(batch: ImportBatch, user: User, now: datetime | None = None) -> None:
    """Undo an imported batch as a whole: its rows go, the rows it superseded come back.

    Refused while a later batch of the same source is still imported (it superseded or
    confirmed, as unchanged, rows of this one: newest first) and while an import of the
    source runs. On PostgreSQL the source's lock, which every import of it holds for its
    whole transaction, makes the check and the delete one step; SQLite has one writer."""
    if batch.status != BatchStatus.IMPORTED:
        raise BatchRefused("只有已导入的批次可以撤销")
    if not _try_lock(_source_key(batch.source)):
        raise BatchRefused(f"{batch.source_label}数据正在导入，请等导入结束后再撤销")
    running = db.session.scalar(
        select(ImportBatch.id)
        .where(
            ImportBatch.source == batch.source,
            ImportBatch.id != batch.id,
            ImportBatch.status == BatchStatus.RUNNING,
        )
        .limit(1)
    )
    if running is not None:
        raise BatchRefused(f"批次 #{running} 正在导入{batch.source_label}数据，请等它结束后再撤销")
    later = db.session.scalar(
        select(ImportBatch.id)
        .where(
            ImportBatch.source == batch.source,
            ImportBatch.id > batch.id,
            ImportBatch.status == BatchStatus.IMPORTED,
        )
        .order_by(ImportBatch.id.desc())
        .limit(1)
    )
    if later is not None:
        raise BatchRefused(f"批次 #{later} 是在本批次之后导入的，请先撤销批次 #{later}")
    # Exactly once, even for two clicks: the second finds the batch no longer imported.
    taken = db.session.execute(
        update(ImportBatch)
        .where(ImportBatch.id == batch.id, ImportBatch.status == BatchStatus.IMPORTED)
        .values(
            status=BatchStatus.ROLLED_BACK,
            rolled_back_at=now or utcnow(),
            rolled_back_by_id=user.id,
        )
    ).rowcount
    if taken != 1:
        db.session.rollback()
        raise BatchRefused("只有已导入的批次可以撤销")
    model = spec_for(batch.source).model
    touched = (
        list(
            db.session.scalars(
                select(model.subject_key_id)
                .where(or_(model.batch_id == batch.id, model.superseded_by_id == batch.id))
                .distinct()
            )
        )
        if records_changed.receivers
        else []
    )
    db.session.execute(delete(model).where(model.batch_id == batch.id))
    db.session.execute(
        update(model).where(model.superseded_by_id == batch.id).values(superseded_by_id=None)
    )
    # Keys are shared by every source: an import running now may be staging rows on a key
    # this batch introduced. Then the keys stay (unused keys do no harm) for a later rollback.
    if _try_lock(_SUBJECT_KEYS):
        _drop_orphan_keys(batch.id)
    db.session.add(
        AuditEvent(
            action="departmental.rollback",
            subject_type="import_batch",
            subject_id=batch.id,
            summary=f"撤销{batch.source_label}批次 #{batch.id}",
            changes={},
            user_id=user.id,
        )
    )
    db.session.commit()
    db.session.refresh(batch)
    records_changed.send(
        None, source=batch.source, batch_id=batch.id, rolled_back=True, key_ids=touched
    )


def _drop_orphan_keys(batch_id: int) -> None:
    """Keys this batch introduced that no remaining record uses."""
    still_used = [
        exists().where(model.subject_key_id == SubjectKey.id)
        for model in dict.fromkeys(RECORD_MODELS.values())
    ]
    orphaned = select(SubjectKey.id).where(SubjectKey.first_batch_id == batch_id)
    for used in still_used:
        orphaned = orphaned.where(~used)
    ids = list(db.session.scalars(orphaned))
    if ids:
        db.session.execute(delete(SubjectKey).where(SubjectKey.id.in_(ids)))
