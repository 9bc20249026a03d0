"""One upload of a bulk sheet (村评议, assets, land, crops and livestock, insurance, entities)
from file to database: read (XLSX, or CSV through the departmental reader's encoding
detection), check against the sheet's rules and the database, then import when clean or when
she asked for the valid rows. The batch (`UploadBatch`, stored sealed by
`services.store_upload`) records the outcome, as for the household sheet."""

import tempfile
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from agri_credit.departmental.parsing import UnreadableFile, iter_chunks, sniff
from models import AuditEvent, IdCipher, UploadBatch, utcnow
from village_forms.bulk_sheet_reader import (
    ParsedRows,
    fatal,
    parse_bulk_xlsx,
    too_many_rows,
    validate_bulk_rows,
)
from village_forms.bulk_sheets import BulkSheet
from village_forms.household_sheet import SheetError
from village_forms.xlsx_archive import XlsxLimits

from .entity_import import apply_entities, plan_entities
from .part_import import apply_parts, plan_parts

ZIP_MAGIC = b"PK\x03\x04"


def is_xlsx(content: bytes) -> bool:
    return content.startswith(ZIP_MAGIC)


def _read_csv(content: bytes, spec: BulkSheet, max_rows: int) -> ParsedRows:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        path.write_bytes(content)
        try:
            info = sniff(path)
            data: list[tuple[int, tuple]] = []
            for chunk in iter_chunks(path, info, chunk_rows=max_rows + 1):
                data += chunk.itertuples(index=True, name=None)
                if len(data) > max_rows:
                    return too_many_rows(spec, max_rows)
        except UnreadableFile as exc:
            return fatal(str(exc))
    return validate_bulk_rows(info.headers, [(n, tuple(v)) for n, *v in data], spec)


def read_bulk_upload(
    content: bytes, spec: BulkSheet, max_rows: int, limits: XlsxLimits | None = None
) -> ParsedRows:
    """The rows of an uploaded file and every problem in them; never raises for a bad file."""
    if not content.strip():
        return fatal(_l("文件是空的"))
    if is_xlsx(content) or content.startswith(b"\xd0\xcf\x11\xe0"):
        return parse_bulk_xlsx(content, spec, max_rows, limits)
    return _read_csv(content, spec, max_rows)


def _summary(spec: BulkSheet, inserted: int, updated: int, unchanged: int, rejected: int) -> str:
    unit = "个主体" if spec.kind == "entities" else "行"
    return (
        f"{spec.title}：新增{inserted}{unit}，更新{updated}{unit}，"
        f"未变{unchanged}{unit}，拒绝{rejected}{unit}"
    )


def process_bulk_batch(
    session: Session,
    batch: UploadBatch,
    spec: BulkSheet,
    content: bytes,
    cipher: IdCipher,
    user_id: int,
    max_rows: int,
    import_valid_rows: bool,
    *,
    remote_addr: str | None = None,
    parsed: ParsedRows | None = None,
    user_scope: str | None = None,
) -> ParsedRows:
    """Check a stored upload and import it when clean, or when she asked for the valid rows.
    Records the outcome on the batch; the caller commits or rolls back."""
    if parsed is None:
        parsed = read_bulk_upload(content, spec, max_rows)
    if parsed.fatal:
        batch.errors, batch.status = parsed.errors, "rejected"
        return parsed
    rows = parsed.valid_rows()
    if spec.kind == "entities":
        plan = plan_entities(session, rows, cipher, batch.scope_code, user_scope)
    else:
        plan = plan_parts(session, rows, spec, cipher, batch.scope_code, user_scope)
    order = {c.header: i for i, c in enumerate(spec.columns)}
    errors: list[SheetError] = sorted(
        parsed.errors + plan.errors, key=lambda e: (e["row"] or 0, order.get(e["column"], 99))
    )
    batch.errors = errors
    batch.rows_read = parsed.rows_read
    batch.rows_valid = plan.rows_valid
    if plan.rows_valid == 0 or (errors and not import_valid_rows):
        return parsed
    if spec.kind == "entities":
        inserted, updated, unchanged = apply_entities(
            session, plan, cipher, user_id, remote_addr=remote_addr, batch_id=batch.id
        )
    else:
        counts = apply_parts(session, plan, user_id, remote_addr=remote_addr, batch_id=batch.id)
        inserted, updated, unchanged = counts.inserted, counts.updated, counts.unchanged
    batch.rows_inserted, batch.rows_updated, batch.rows_unchanged = inserted, updated, unchanged
    batch.status, batch.imported_at = "imported", utcnow()
    if inserted or updated:
        session.add(
            AuditEvent(
                user_id=user_id,
                action=f"bulk_import.{spec.kind}",
                subject_type="upload_batch",
                subject_id=batch.id,
                summary=_summary(
                    spec, inserted, updated, unchanged, batch.rows_read - plan.rows_valid
                )[:200],
                changes={"village_code": batch.scope_code, "sha256": batch.sha256},
                remote_addr=remote_addr,
            )
        )
    return parsed
