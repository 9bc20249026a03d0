"""One departmental import, start to finish: the batch record, the chunked read, validation,
subject matching and the merge, in a single transaction so that a file that fails midway
(undecodable bytes, a killed worker, a database error) leaves the records as they were.

`import_file` is the whole thing inline (tests, the demo seed, the CLI). The web flow splits
it: `create_batch` at upload, the user confirms the mapping, then `jobs.dispatch` runs
`run_batch` inline or on an RQ worker.
"""

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, insert, select, update

from agri_credit.extensions import id_cipher
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


def run_batch(
    batch_id: int, path: Path, progress: Progress | None = None, chunk_rows: int = CHUNK_ROWS
) -> None:
    """Run a queued batch to its end state: imported, rejected or failed."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.status not in (BatchStatus.QUEUED, BatchStatus.RUNNING):
        return
    job = _Job(
        batch.id,
        batch.source,
        dict(batch.columns),
        batch.keep_valid_rows,
        batch.user_id,
        batch.scope_code,
    )
    batch.status = BatchStatus.RUNNING
    # Commit and touch nothing after: the session holds no transaction while the import
    # writes on its own connection (on SQLite an open reader would block the final commit).
    db.session.commit()
    try:
        _run(job, path, progress, chunk_rows)
    except _Rejected as rejected:
        _finish_without_records(job, BatchStatus.REJECTED, rejected.message, rejected)
    except UnreadableFile as exc:
        _finish_without_records(job, BatchStatus.FAILED, str(exc))
    except Exception:
        log.exception("departmental import %s failed", job.id)
        _finish_without_records(
            job, BatchStatus.FAILED, "导入过程中出错，数据库未作任何改动。请稍后重试或联系管理员。"
        )
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

    with db.engine.connect() as conn, conn.begin():
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
        conn.execute(
            update(ImportBatch)
            .where(ImportBatch.id == job.id)
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
    """Nothing landed: say why, and keep the error report for a rejected file."""
    with db.engine.connect() as conn, conn.begin():
        values = {"status": status, "message": message[:1000], "finished_at": utcnow()}
        if rejected is not None:
            values |= {"rows_read": rejected.rows_read, "rows_rejected": rejected.n_errors}
            _write_rejections(conn, job.id, rejected.errors)
        conn.execute(update(ImportBatch).where(ImportBatch.id == job.id).values(**values))


def rollback_batch(batch: ImportBatch, user: User) -> None:
    """Undo an imported batch as a whole: its rows go, the rows it superseded come back."""
    if batch.status != BatchStatus.IMPORTED:
        raise BatchRefused("只有已导入的批次可以撤销")
    model = spec_for(batch.source).model
    later = db.session.scalar(
        select(model.superseded_by_id)
        .where(model.batch_id == batch.id, model.superseded_by_id.is_not(None))
        .limit(1)
    )
    if later is not None:
        raise BatchRefused(f"批次 #{later} 更新了本批次的记录，请先撤销批次 #{later}")
    db.session.execute(delete(model).where(model.batch_id == batch.id))
    db.session.execute(
        update(model).where(model.superseded_by_id == batch.id).values(superseded_by_id=None)
    )
    _drop_orphan_keys(batch.id)
    batch.status = BatchStatus.ROLLED_BACK
    batch.rolled_back_at = utcnow()
    batch.rolled_back_by_id = user.id
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
