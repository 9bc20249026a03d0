"""为此证件号建档: departmental rows kept under an ID number or credit code no file holds
(unmatched subjects) are listed for the credit office, which asks the cadre of the right
village to build the file; the cadre's dashboard shows the request, and the new-file form
opens with the number filled in. The rows attach themselves when the file is saved (through
the link confirmation of departmental/matching.py when the import was the county's)."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select

from agri_credit.audit import record_event
from agri_credit.auth.scopes import in_scope
from models import (
    FileRequest,
    ImportBatch,
    Region,
    RegionLevel,
    SubjectKey,
    User,
    db,
    local_date,
)


class FileRequestRefused(ValueError):
    """The request cannot be made; the message is Chinese."""


def unmatched_keys(user: User) -> Select:
    """Subject keys of departmental rows imported in the user's scope that no file holds."""
    return select(SubjectKey).where(
        SubjectKey.household_id.is_(None),
        SubjectKey.entity_id.is_(None),
        SubjectKey.enterprise_id.is_(None),
        SubjectKey.scope_code.is_not(None),
        in_scope(SubjectKey.scope_code, user),
    )


@dataclass(frozen=True)
class UnmatchedRow:
    key: SubjectKey
    source: str | None  # the source of the first import that brought it
    first_seen: date | None
    request: FileRequest | None
    village: Region | None


def unmatched_rows(keys: list[SubjectKey]) -> list[UnmatchedRow]:
    """One page of unmatched keys with where they came from and any open request."""
    batches = {
        b.id: b
        for b in db.session.scalars(
            select(ImportBatch).where(ImportBatch.id.in_({k.first_batch_id for k in keys}))
        )
    }
    requests = {
        r.subject_key_id: r
        for r in db.session.scalars(
            select(FileRequest)
            .where(FileRequest.subject_key_id.in_([k.id for k in keys]))
            .order_by(FileRequest.id)
        )
    }
    villages = {
        v.code: v
        for v in db.session.scalars(
            select(Region).where(Region.code.in_({r.village_code for r in requests.values()}))
        )
    }
    rows = []
    for key in keys:
        batch = batches.get(key.first_batch_id)
        request = requests.get(key.id)
        rows.append(
            UnmatchedRow(
                key,
                batch.source if batch else None,
                local_date(key.created_at) if key.created_at else None,
                request,
                villages.get(request.village_code) if request else None,
            )
        )
    return rows


def request_file(key: SubjectKey, village_code: str, user: User) -> FileRequest:
    """Ask the cadre of `village_code` to build this subject's file."""
    if key.matched:
        raise FileRequestRefused("该证件号已有档案，无需再建档")
    village = db.session.get(Region, village_code)
    if (
        village is None
        or village.level != RegionLevel.VILLAGE
        or not user.scope.contains(village_code)
    ):
        raise FileRequestRefused("请选择您辖区内的一个村")
    existing = db.session.scalar(select(FileRequest).where(FileRequest.subject_key_id == key.id))
    if existing is not None:
        if existing.village_code == village_code:
            raise FileRequestRefused(f"已请{village.name}为此证件号建档")
        before = existing.village_code
        existing.village_code = village_code
        existing.requested_by_id = user.id
        record_event(
            "file_request.move",
            "subject_key",
            key.id,
            f"改请{village.name}为 {key.masked} 建档",
            {"village_code": [before, village_code]},
            user=user,
        )
        return existing
    request = FileRequest(subject_key_id=key.id, village_code=village_code, requested_by_id=user.id)
    db.session.add(request)
    db.session.flush()
    record_event(
        "file_request.create",
        "subject_key",
        key.id,
        f"请{village.name}为 {key.masked} 建档",
        {"village_code": village_code},
        user=user,
    )
    return request


def open_file_requests(user: User) -> list[tuple[FileRequest, SubjectKey]]:
    """Requests to villages in the user's scope whose subject still has no file."""
    rows = db.session.execute(
        select(FileRequest, SubjectKey)
        .join(SubjectKey, SubjectKey.id == FileRequest.subject_key_id)
        .where(
            in_scope(FileRequest.village_code, user),
            SubjectKey.household_id.is_(None),
            SubjectKey.entity_id.is_(None),
            SubjectKey.enterprise_id.is_(None),
        )
        .order_by(FileRequest.requested_at, FileRequest.id)
    ).all()
    return [(request, key) for request, key in rows]


def open_request_or_none(
    request_id: int, user: User, kind: str = "household"
) -> tuple[FileRequest, SubjectKey] | None:
    """An open request of the user's village, for the new-file form to start from: an ID
    number for a household file (`kind` "household"), a credit code for an entity's."""
    number = SubjectKey.id_cipher if kind == "household" else SubjectKey.uscc
    row = db.session.execute(
        select(FileRequest, SubjectKey)
        .join(SubjectKey, SubjectKey.id == FileRequest.subject_key_id)
        .where(
            FileRequest.id == request_id,
            in_scope(FileRequest.village_code, user),
            SubjectKey.household_id.is_(None),
            SubjectKey.entity_id.is_(None),
            SubjectKey.enterprise_id.is_(None),
            number.is_not(None),
        )
    ).first()
    return (row[0], row[1]) if row else None
