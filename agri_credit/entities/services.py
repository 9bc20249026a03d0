"""Entity file operations: list queries, duplicate look-ups, saving a form, snapshots for the
audit journal, and the journalled look at an operator's full ID number."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Select, or_, select

from agri_credit.audit import diff_snapshots, journal_value, record_event
from agri_credit.file_filters import filter_by_completeness
from agri_credit.file_versions import claim_next_version, parse_version
from models import AgriEntity, CreditRecord, IdCipher, User, db
from village_forms.entity_fields import join_certifications, split_certifications

from .completeness import INPUT_COLUMNS, assess_entities

# Plain columns the form edits one-to-one. Identifiers, certifications and records are
# handled separately: they are normalised, encrypted or repeatable.
ENTITY_FIELDS = (
    "entity_type",
    "name",
    "village_code",
    "operator_name",
    "phone",
    "address",
    "founded_on",
    "member_count",
    "farmer_capital_share",
    "employees",
    "land_mu",
    "herd_size",
    "main_products",
    "annual_revenue",
    "total_assets",
    "total_debts",
    "insurance",
    "demonstration_level",
    "sales_channels",
    "keeps_books",
    "notes",
)
_TEXT_FIELDS = {
    "phone",
    "address",
    "main_products",
    "insurance",
    "demonstration_level",
    "sales_channels",
    "notes",
}
CENTS = Decimal("0.01")
RECORD_FIELDS = ("polarity", "category", "description", "occurred_on", "ended_on", "source")


# ---- listing -------------------------------------------------------------------------


@dataclass(frozen=True)
class EntityFilters:
    q: str = ""
    entity_type: str = ""
    village: str = ""
    completeness: str = ""  # "complete", "incomplete", "low"
    missing: str = ""  # a label from completeness.ENTITY_CHECKS
    operator_id_hash: str = ""  # set by the caller when q is a whole ID number
    sort: str = "name"

    SORTS = {
        "name": (AgriEntity.name, AgriEntity.id),
        "-updated": (AgriEntity.updated_at.desc(), AgriEntity.id.desc()),
        "completeness": (AgriEntity.completeness, AgriEntity.id),
        "-completeness": (AgriEntity.completeness.desc(), AgriEntity.id),
        "type": (AgriEntity.entity_type, AgriEntity.name, AgriEntity.id),
    }


def filter_entities(query: Select, filters: EntityFilters) -> Select:
    """Search matches the name, the operator's name, or (upper-cased) part of the USCC; a
    whole operator ID number is found through its blind index, never by its plain text."""
    q = filters.q.strip()
    if filters.operator_id_hash:
        query = query.where(AgriEntity.operator_id_hash == filters.operator_id_hash)
    elif q:
        query = query.where(
            or_(
                AgriEntity.name.contains(q, autoescape=True),
                AgriEntity.operator_name.contains(q, autoescape=True),
                AgriEntity.uscc.contains(q.upper().replace(" ", ""), autoescape=True),
            )
        )
    if filters.entity_type:
        query = query.where(AgriEntity.entity_type == filters.entity_type)
    if filters.village:
        query = query.where(AgriEntity.village_code == filters.village)
    query = filter_by_completeness(
        query,
        AgriEntity.completeness,
        AgriEntity.missing_fields,
        filters.completeness,
        filters.missing,
    )
    order = EntityFilters.SORTS.get(filters.sort, EntityFilters.SORTS["name"])
    return query.order_by(*order)


# ---- duplicates --------------------------------------------------------------------------


def find_entity_by_uscc(uscc: str, exclude_id: int | None = None) -> AgriEntity | None:
    """A USCC is unique nationwide, so the look-up ignores the user's scope."""
    query = select(AgriEntity).where(AgriEntity.uscc == uscc.strip().upper())
    if exclude_id is not None:
        query = query.where(AgriEntity.id != exclude_id)
    return db.session.scalar(query)


def find_unregistered_by_operator_id(
    cipher: IdCipher, county_code: str, id_number: str, exclude_id: int | None = None
) -> AgriEntity | None:
    """An entity without a USCC is known only by its operator's ID number: one such file per
    operator in a county, or the same 种养大户 ends up filed twice."""
    query = select(AgriEntity).where(
        AgriEntity.county_code == county_code,
        AgriEntity.uscc.is_(None),
        AgriEntity.operator_id_hash == cipher.blind_index(id_number),
    )
    if exclude_id is not None:
        query = query.where(AgriEntity.id != exclude_id)
    return db.session.scalar(query.limit(1))


# ---- snapshots and saving -------------------------------------------------------------------


def snapshot(entity: AgriEntity) -> dict[str, Any]:
    """A JSON-safe picture of the whole file; the operator's ID only ever appears masked."""
    data: dict[str, Any] = {f: journal_value(getattr(entity, f)) for f in ENTITY_FIELDS}
    data["uscc"] = entity.uscc
    data["operator_id_number"] = entity.operator_id_masked
    data["certifications"] = entity.certifications
    data["records"] = [
        {f: journal_value(getattr(r, f)) for f in RECORD_FIELDS} for r in entity.records
    ]
    return data


def form_data_for(entity: AgriEntity) -> dict[str, Any]:
    """Initial form values; the operator's ID stays blank (the form says blank keeps it)."""
    data = {f: getattr(entity, f) for f in ENTITY_FIELDS}
    data["version"] = entity.version
    data["uscc"] = entity.uscc or ""
    data["certifications"] = split_certifications(entity.certifications)
    data["records"] = [{f: getattr(r, f) for f in RECORD_FIELDS} for r in entity.records]
    return data


def _set_operator_id(entity: AgriEntity, cipher: IdCipher, id_number: str) -> None:
    protected = cipher.protect(id_number)
    entity.operator_id_cipher = protected["cipher"]
    entity.operator_id_hash = protected["hash"]
    entity.operator_id_masked = protected["masked"]


def _apply_records(entity: AgriEntity, rows: list[dict]) -> None:
    values = [{f: row.get(f) for f in RECORD_FIELDS} for row in rows]
    for v in values:
        v["ended_on"] = v["ended_on"] or None
        v["source"] = v["source"] or ""
    current = [{f: getattr(r, f) for f in RECORD_FIELDS} for r in entity.records]
    if values == current:  # unchanged rows keep their ids, and the journal stays quiet
        return
    entity.records = [CreditRecord(**v) for v in values]


def assess(entity: AgriEntity) -> None:
    """Recompute the completeness figures lists and dashboards read, with the shared rule."""
    frame = pd.DataFrame([{c: getattr(entity, c) for c in INPUT_COLUMNS}])
    assessed = assess_entities(frame).iloc[0]
    entity.completeness = int(assessed["completeness"])
    entity.missing_fields = assessed["missing_fields"]


def save_entity(
    entity: AgriEntity, data: dict[str, Any], cipher: IdCipher, user: User
) -> dict[str, list]:
    """Apply validated form data, journal the difference, and return it. Caller commits.

    A blank operator ID keeps the stored one: the form never shows it in full to retype. An
    existing file is saved only on the version its form was opened on (`data["version"]`):
    raises StaleEdit when another save came first.
    """
    is_new = entity.id is None
    version = 1 if is_new else claim_next_version(entity, parse_version(data.get("version")))
    before = {} if is_new else snapshot(entity)
    for f in ENTITY_FIELDS:
        value = data.get(f)
        if value is None and f in _TEXT_FIELDS:
            value = ""
        elif isinstance(value, Decimal):
            value = value.quantize(CENTS)  # what the Numeric(…, 2) column will store
        setattr(entity, f, value)
    entity.keeps_books = bool(data.get("keeps_books"))
    entity.county_code = entity.village_code[:6]
    # NULL, never "", when absent: the column is unique and several 种养大户 have none.
    entity.uscc = (data.get("uscc") or "").strip().upper() or None
    entity.certifications = join_certifications(data.get("certifications"))
    if data.get("operator_id_number"):
        _set_operator_id(entity, cipher, data["operator_id_number"].strip().upper())
    _apply_records(entity, data.get("records", []))
    assess(entity)
    entity.updated_by_id = user.id
    if is_new:
        db.session.add(entity)
    db.session.flush()
    changes = diff_snapshots(before, snapshot(entity))
    if changes:
        action = "entity.create" if is_new else "entity.update"
        summary = ("新建经营主体档案：" if is_new else "修改经营主体档案：") + entity.name
        record_event(action, "entity", entity.id, summary, changes, user, version)
    return changes


def reveal_operator_id(
    entity: AgriEntity, cipher: IdCipher, user: User, reason: str = ""
) -> dict[str, str]:
    """Decrypt the operator's ID number for one look, journalled as sensitive with the
    reason the user gave."""
    if not entity.operator_id_cipher:
        return {}
    revealed = {"operator": cipher.decrypt(entity.operator_id_cipher)}
    record_event(
        "id.reveal",
        "entity",
        entity.id,
        "查看经营者完整身份证号：" + entity.name + (f"（原因：{reason}）" if reason else ""),
        {"fields": sorted(revealed), "reason": reason},
        user,
    )
    return revealed
