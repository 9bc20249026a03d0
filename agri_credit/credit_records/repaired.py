"""Which negative public records an approved credit repair (信用修复) covers.

A repair is keyed by the record's natural key (subject key, kind, 文书号), not by the row:
departments re-send their lists, each version a new row, and a repaired record must stay
repaired through every later version. File pages, departmental views and rating runs filter
with `not_repaired(model)` (SQL) or `repaired_keys()` (Python); the applications and
decisions themselves live in `agri_credit.rating_cycle.repairs`.
"""

from datetime import date, timedelta

from sqlalchemy import ColumnElement, cast, exists, func, null, select, true

from models import CreditRepair, PublicRecord, RepairStatus, db, utc_start_of

RecordKey = tuple[int, str, str]  # (subject_key_id, kind, document_no)


def _approved(as_of: date | None) -> list[ColumnElement[bool]]:
    conditions = [CreditRepair.status == RepairStatus.APPROVED]
    if as_of is not None:
        # "From then on": a rating as of an earlier date still saw the record.
        conditions.append(CreditRepair.decided_at < utc_start_of(as_of + timedelta(1)))
    return conditions


def not_repaired(model: type = PublicRecord, as_of: date | None = None) -> ColumnElement[bool]:
    """SQL predicate: the rows of `model` no approved credit repair covers (as of a date, or
    now). Only public records can be repaired; for any other model it is always true, so
    callers may apply it to every source alike:

        select(PublicRecord).where(PublicRecord.superseded_by_id.is_(None), not_repaired())
    """
    if model is not PublicRecord:
        return true()
    return ~exists().where(
        CreditRepair.subject_key_id == PublicRecord.subject_key_id,
        CreditRepair.record_kind == PublicRecord.kind,
        CreditRepair.document_no == PublicRecord.document_no,
        *_approved(as_of),
    )


def repaired_on(model: type = PublicRecord) -> ColumnElement:
    """SQL column: when an approved repair of the row was decided (a datetime), else NULL;
    the `repaired_on` column of the rating engine's record frame."""
    if model is not PublicRecord:
        return cast(null(), CreditRepair.decided_at.type)
    return (
        select(func.min(CreditRepair.decided_at))
        .where(
            CreditRepair.subject_key_id == PublicRecord.subject_key_id,
            CreditRepair.record_kind == PublicRecord.kind,
            CreditRepair.document_no == PublicRecord.document_no,
            CreditRepair.status == RepairStatus.APPROVED,
        )
        .scalar_subquery()
    )


def repaired_keys(as_of: date | None = None) -> set[RecordKey]:
    """Natural keys (subject_key_id, kind, document_no) of every repaired record."""
    rows = db.session.execute(
        select(CreditRepair.subject_key_id, CreditRepair.record_kind, CreditRepair.document_no)
        .where(*_approved(as_of))
        .distinct()
    )
    return {(r[0], r[1], r[2]) for r in rows}
