"""Bulk import of household credit files from a checked spreadsheet.

Plain functions over DataFrames and an SQLAlchemy session (no request, no current_app), so
the web upload, the benchmark and the tests drive the same code:

* `plan_import` reads what already exists (one query for the households, one for their
  members, three small counts for the changed ones) and sorts every valid row into new,
  changed or unchanged; a head already filed in another village of the county is rejected.
* `apply_plan` writes with Core bulk statements (executemany, never one ORM object per row)
  into the session's open transaction and journals each household created or changed.
  The caller commits; any exception means it rolls back and nothing is written.

The natural key is the head's ID number through its blind index, unique per county.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from agri_credit.audit import journal_value
from agri_credit.departmental.matching import link_new_households
from agri_credit.households.completeness import assess_households
from agri_credit.households.services import (
    HEAD_NOT_LABOUR,
    INCOME_FIELDS,
    LABOUR_VALUES,
    MEMBER_FIELDS,
)
from models import (
    AuditEvent,
    Household,
    HouseholdAsset,
    HouseholdMember,
    IdCipher,
    ProductionItem,
    Region,
    UploadBatch,
    VillageEvaluation,
    clock,
    mask_id,
    node_contains,
    utcnow,
)
from village_forms.household_sheet import (
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_SHEET,
    ParsedSheet,
    SheetError,
)
from village_forms.household_sheet_reader import parse_workbook
from village_forms.identifiers import id_birth_date, id_gender

IMPORT_ACTION = "household.import"
BATCH_ACTION = "household.import_batch"
# Columns the sheet carries besides the key; blank cells keep what the file already holds.
SHEET_FIELDS = tuple(c.key for c in HOUSEHOLD_COLUMNS if c.key != "head_id_number")
TEXT_FIELDS = frozenset(c.key for c in HOUSEHOLD_COLUMNS if c.kind != "decimal")
HEADER_OF = {c.key: c.header for c in HOUSEHOLD_COLUMNS}


@dataclass
class ImportPlan:
    village_code: str
    new: pd.DataFrame  # one row per household to create, effective values and derived columns
    changed: pd.DataFrame  # existing households with a difference: "household_id", "changes"
    unchanged: int
    # Sheet member rows to write: for new households, and for existing ones whose members differ.
    members: pd.DataFrame
    errors: list[SheetError] = field(default_factory=list)

    @property
    def rows_valid(self) -> int:
        return len(self.new) + len(self.changed) + self.unchanged


@dataclass(frozen=True)
class ImportCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


# ---- comparing values ------------------------------------------------------------------------


def _canon(value: Any) -> str:
    """One spelling per value, so Decimal('8.00') from the database equals 8 from the sheet."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, int | float):
        return format(Decimal(str(value)).normalize(), "f")
    return str(value).strip()


def _journal_value(value: Any) -> Any:
    """audit.journal_value, with pandas' NaN (a missing value after a merge) as None."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return journal_value(value)


def _member_key(row: dict[str, Any]) -> str:
    return "|".join(_canon(row.get(f)) for f in ("id_hash", *MEMBER_FIELDS))


def _member_journal(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "id_number": row.get("id_masked") or "",
        **{f: row.get(f) or "" for f in MEMBER_FIELDS[1:]},
    }


# ---- planning --------------------------------------------------------------------------------


def _load_existing(session: Session, county_code: str, hashes: Sequence[str]) -> pd.DataFrame:
    # One IN list per upload: XLSX_MAX_ROWS (20,000) stays below SQLite's 32,766 bound
    # parameters and PostgreSQL's 65,535.
    columns = [
        Household.id.label("household_id"),
        Household.head_id_hash,
        Household.village_code.label("db_village_code"),
        Region.name.label("db_village_name"),
        *[getattr(Household, f).label(f"db_{f}") for f in SHEET_FIELDS],
    ]
    rows = session.execute(
        select(*columns)
        .join(Region, Region.code == Household.village_code)
        .where(Household.county_code == county_code, Household.head_id_hash.in_(list(hashes)))
    ).all()
    return pd.DataFrame(rows, columns=[c.name for c in columns], dtype=object)


def _load_members(session: Session, household_ids: Sequence[int]) -> pd.DataFrame:
    names = ["household_id", "id_hash", "id_masked", *MEMBER_FIELDS]
    if not household_ids:
        return pd.DataFrame(columns=names, dtype=object)
    rows = session.execute(
        select(*[getattr(HouseholdMember, n) for n in names])
        .where(HouseholdMember.household_id.in_(list(household_ids)))
        .order_by(HouseholdMember.household_id, HouseholdMember.id)
    ).all()
    return pd.DataFrame(rows, columns=names, dtype=object)


def _child_counts(session: Session, household_ids: Sequence[int], year: int) -> pd.DataFrame:
    """What completeness needs from the parts the sheet does not carry, kept as they are."""
    ids = list(household_ids)
    frame = pd.DataFrame(index=pd.Index(ids, name="household_id"))
    if not ids:
        return frame.assign(asset_count=0, production_count=0, recent_evaluation=False)
    for name, model in (("asset_count", HouseholdAsset), ("production_count", ProductionItem)):
        counts = dict(
            session.execute(
                select(model.household_id, func.count())
                .where(model.household_id.in_(ids))
                .group_by(model.household_id)
            ).all()
        )
        frame[name] = [counts.get(i, 0) for i in ids]
    recent = set(
        session.scalars(
            select(VillageEvaluation.household_id)
            .where(VillageEvaluation.household_id.in_(ids), VillageEvaluation.year >= year - 1)
            .distinct()
        )
    )
    frame["recent_evaluation"] = [i in recent for i in ids]
    return frame


def _derive(frame: pd.DataFrame, member_sets: pd.Series, counts: pd.DataFrame) -> pd.DataFrame:
    """household_size, labour_count, completeness and missing_fields for each row of `frame`,
    whose members are `member_sets` (a list of member dicts per row)."""
    if frame.empty:
        return pd.DataFrame(
            columns=["household_size", "labour_count", "completeness", "missing_fields"],
            index=frame.index,
        )
    member_count = member_sets.map(len).astype("int64")
    member_labour = member_sets.map(
        lambda ms: sum(LABOUR_VALUES.get(m.get("labour_ability") or "", 0) for m in ms)
    )
    head_labour = (~frame["head_health"].isin(HEAD_NOT_LABOUR)).astype("int64")
    incomes = frame[list(INCOME_FIELDS)]
    assessed = assess_households(
        pd.DataFrame(
            {
                "phone": frame["phone"],
                "address": frame["address"],
                "registration_type": frame["registration_type"],
                "housing": frame["housing"],
                "land_contracted_mu": frame["land_contracted_mu"],
                "income_total": incomes.notna().any(axis=1).map({True: 1, False: None}),
                "annual_spending": frame["annual_spending"],
                "member_count": member_count,
                "asset_count": counts["asset_count"].astype("int64"),
                "production_count": counts["production_count"].astype("int64"),
                "recent_evaluation": counts["recent_evaluation"].astype(bool),
            },
            index=frame.index,
        )
    )
    return pd.DataFrame(
        {
            "household_size": member_count + 1,
            "labour_count": head_labour + member_labour,
            "completeness": assessed["completeness"],
            "missing_fields": assessed["missing_fields"],
        },
        index=frame.index,
    )


def _group_records(frame: pd.DataFrame, key: str) -> dict[Any, list[dict[str, Any]]]:
    """Rows as dicts grouped by `key`, in frame order (one pass; groupby.apply is slow)."""
    groups: dict[Any, list[dict[str, Any]]] = {}
    for record in frame.to_dict("records"):
        groups.setdefault(record[key], []).append(record)
    return groups


def _sheet_members(members: pd.DataFrame, cipher: IdCipher) -> pd.DataFrame:
    frame = members.copy()
    frame["head_id_hash"] = [cipher.blind_index(v) for v in frame["head_id_number"]]
    frame["id_hash"] = [cipher.blind_index(v) if v else None for v in frame["id_number"]]
    frame["id_masked"] = [mask_id(v) if v else "" for v in frame["id_number"]]
    for f in MEMBER_FIELDS:
        frame[f] = frame[f].map(lambda v: "" if v is None else v)
    return frame


def plan_import(
    session: Session,
    households: pd.DataFrame,
    members: pd.DataFrame,
    cipher: IdCipher,
    village_code: str,
    today: date | None = None,
    user_scope: str | None = None,
) -> ImportPlan:
    """Sort valid sheet rows into new / changed / unchanged against the database. Read-only.

    A head filed in another village is refused; the village is named only when it lies in
    `user_scope` (the importing user's region node), never to someone who may not see it."""
    year = (today or clock.today()).year
    county_code = village_code[:6]
    sheet = households.reset_index(drop=True).copy()
    # object dtype even with no valid row: an empty list would make a float column that
    # cannot be merged with the stored hashes (a sheet where every row is wrong).
    sheet["head_id_hash"] = pd.Series(
        [cipher.blind_index(v) for v in sheet["head_id_number"]], index=sheet.index, dtype=object
    )
    existing = _load_existing(session, county_code, sheet["head_id_hash"].tolist())
    merged = sheet.merge(existing, on="head_id_hash", how="left")

    elsewhere = merged["db_village_code"].notna() & (merged["db_village_code"] != village_code)
    errors: list[SheetError] = [
        {
            "sheet": HOUSEHOLD_SHEET,
            "row": int(row),
            "column": HEADER_OF["head_id_number"],
            "message": str(
                _l(
                    "该户主已在本县“%(village)s”建档，不能导入到本村；如需迁户请联系信用办",
                    village=name,
                )
                if user_scope and node_contains(user_scope, code)
                else _l("该证件号码已在本县建档，请联系信用办")
            ),
        }
        for row, name, code in zip(
            merged.loc[elsewhere, "row"],
            merged.loc[elsewhere, "db_village_name"],
            merged.loc[elsewhere, "db_village_code"],
            strict=True,
        )
    ]
    merged = merged[~elsewhere]
    is_new = merged["household_id"].isna()

    by_head = _sheet_members(members, cipher)
    by_head = by_head[by_head["head_id_hash"].isin(set(merged["head_id_hash"]))]
    sheet_sets = _group_records(by_head, "head_id_hash")

    # Existing households: blank cells keep the stored value; a filled cell that differs is a
    # change. Members from the sheet replace the stored ones only when the two sets differ.
    old = merged[~is_new].copy()
    old["household_id"] = old["household_id"].astype("int64")
    stored = _load_members(session, old["household_id"].tolist())
    stored_sets = _group_records(stored, "household_id")
    old_members = old["household_id"].map(lambda i: stored_sets.get(i, []))
    new_members = old["head_id_hash"].map(lambda h: sheet_sets.get(h))
    members_differ = pd.Series(
        [
            sheet_set is not None
            and sorted(map(_member_key, sheet_set)) != sorted(map(_member_key, stored_set))
            for sheet_set, stored_set in zip(new_members, old_members, strict=True)
        ],
        index=old.index,
        dtype=bool,
    )
    field_changed = pd.DataFrame(
        {
            f: old[f].notna() & (old[f].map(_canon) != old[f"db_{f}"].map(_canon))
            for f in SHEET_FIELDS
        },
        index=old.index,
    )
    is_changed = field_changed.any(axis=1) | members_differ
    changed = old[is_changed].copy()
    for f in SHEET_FIELDS:
        changed[f] = changed[f].where(changed[f].notna(), changed[f"db_{f}"])
    changed["replace_members"] = members_differ[is_changed]
    effective_sets = pd.Series(
        [new_members[i] if members_differ[i] else old_members[i] for i in changed.index],
        index=changed.index,
        dtype=object,
    )
    counts = _child_counts(session, changed["household_id"].tolist(), year)
    derived = _derive(
        changed, effective_sets, counts.loc[changed["household_id"]].set_index(changed.index)
    )
    changed = changed.join(derived)
    changed["changes"] = [
        _update_changes(
            row, field_changed.loc[i], old_members[i], new_members[i], members_differ[i]
        )
        for i, row in changed.iterrows()
    ]

    new = merged[is_new].copy()
    new_sets = new["head_id_hash"].map(lambda h: sheet_sets.get(h) or [])
    none = pd.DataFrame(
        {"asset_count": 0, "production_count": 0, "recent_evaluation": False}, index=new.index
    )
    new = new.join(_derive(new, new_sets, none))

    replaced = set(changed.loc[changed["replace_members"], "head_id_hash"])
    write_members = by_head[by_head["head_id_hash"].isin(set(new["head_id_hash"]) | replaced)]
    return ImportPlan(
        village_code=village_code,
        new=new,
        changed=changed,
        unchanged=int((~is_changed).sum()),
        members=write_members,
        errors=errors,
    )


def _update_changes(
    row: pd.Series,
    field_changed: pd.Series,
    before_members: list[dict],
    after_members: list[dict] | None,
    members_differ: bool,
) -> dict[str, list]:
    changes = {
        f: [_journal_value(row[f"db_{f}"]), _journal_value(row[f])]
        for f in SHEET_FIELDS
        if field_changed[f]
    }
    if members_differ:
        changes["members"] = [
            [_member_journal(m) for m in before_members],
            [_member_journal(m) for m in after_members or []],
        ]
    return changes


# ---- writing ---------------------------------------------------------------------------------


def _text(value: Any) -> Any:
    return "" if value is None else value


def _insert_households(
    session: Session, plan: ImportPlan, cipher: IdCipher, user_id: int | None, now: datetime
) -> dict[str, int]:
    """Bulk insert; returns the head ID hash → new primary key."""
    if plan.new.empty:
        return {}
    rows = []
    for record in plan.new.to_dict("records"):
        id_number = record["head_id_number"]
        protected = cipher.protect(id_number)
        rows.append(
            {
                "village_code": plan.village_code,
                "county_code": plan.village_code[:6],
                **{f: _text(record[f]) if f in TEXT_FIELDS else record[f] for f in SHEET_FIELDS},
                "head_id_cipher": protected["cipher"],
                "head_id_hash": protected["hash"],
                "head_id_masked": protected["masked"],
                "head_id_tail": protected["tail"],
                "head_gender": id_gender(id_number),
                "head_birth_date": id_birth_date(id_number),
                "household_size": int(record["household_size"]),
                "labour_count": int(record["labour_count"]),
                "total_assets": Decimal("0"),
                "total_liabilities": Decimal("0"),
                "coop_shares": Decimal("0"),
                "completeness": int(record["completeness"]),
                "missing_fields": record["missing_fields"],
                "created_at": now,
                "updated_at": now,
                "updated_by_id": user_id,
            }
        )
    # Plain executemany, then one SELECT for the new keys: INSERT .. RETURNING with a
    # guaranteed row order falls back to one row per statement on SQLite (15x slower here).
    session.execute(insert(Household), rows)
    hashes = [r["head_id_hash"] for r in rows]
    return dict(
        session.execute(
            select(Household.head_id_hash, Household.id).where(
                Household.county_code == plan.village_code[:6],
                Household.head_id_hash.in_(hashes),
            )
        ).all()
    )


def _update_households(
    session: Session, plan: ImportPlan, user_id: int | None, now: datetime
) -> dict[int, int]:
    """Write the changed files; returns each one's new version (see file_versions.py: an
    import is a save too, so an edit form opened before it is stale)."""
    if plan.changed.empty:
        return {}
    rows = [
        {
            "id": int(record["household_id"]),
            **{f: _text(record[f]) if f in TEXT_FIELDS else record[f] for f in SHEET_FIELDS},
            "household_size": int(record["household_size"]),
            "labour_count": int(record["labour_count"]),
            "completeness": int(record["completeness"]),
            "missing_fields": record["missing_fields"],
            "updated_at": now,
            "updated_by_id": user_id,
        }
        for record in plan.changed.to_dict("records")
    ]
    session.execute(update(Household), rows)  # executemany by primary key
    bumped = session.execute(
        update(Household)
        .where(Household.id.in_([r["id"] for r in rows]))
        .values(version=Household.version + 1)
        .returning(Household.id, Household.version),
        execution_options={"synchronize_session": False},
    )
    return dict(bumped.all())


def _insert_members(
    session: Session, plan: ImportPlan, cipher: IdCipher, household_ids: dict[str, int]
) -> None:
    replaced = plan.changed.loc[plan.changed["replace_members"], "household_id"].astype(int)
    if len(replaced):
        session.execute(
            delete(HouseholdMember).where(HouseholdMember.household_id.in_(replaced.tolist())),
            execution_options={"synchronize_session": False},
        )
    rows = []
    for record in plan.members.to_dict("records"):
        id_number = record["id_number"]
        protected = cipher.protect(id_number) if id_number else None
        rows.append(
            {
                "household_id": household_ids[record["head_id_hash"]],
                "name": record["name"],
                "id_cipher": protected["cipher"] if protected else None,
                "id_hash": protected["hash"] if protected else None,
                "id_masked": protected["masked"] if protected else "",
                "gender": id_gender(id_number) if id_number else "",
                "birth_date": id_birth_date(id_number) if id_number else None,
                **{f: record[f] for f in MEMBER_FIELDS[1:]},
            }
        )
    if rows:
        session.execute(insert(HouseholdMember), rows)


def _journal(
    session: Session,
    plan: ImportPlan,
    household_ids: dict[str, int],
    versions: dict[int, int],
    user_id: int | None,
    now: datetime,
    remote_addr: str | None,
    batch_id: int | None,
) -> None:
    """One audit row per household created or changed; ID numbers only ever masked."""
    suffix = f"（批次 #{batch_id}）" if batch_id else ""
    members_by_head = {
        h: [_member_journal(m) for m in ms]
        for h, ms in _group_records(plan.members, "head_id_hash").items()
    }
    rows = []
    for record in plan.new.to_dict("records"):
        changes: dict[str, list] = {"village_code": [None, plan.village_code]}
        changes["head_id_number"] = [None, mask_id(record["head_id_number"])]
        for f in SHEET_FIELDS:
            if record[f] is not None:
                changes[f] = [None, _journal_value(record[f])]
        if members_by_head.get(record["head_id_hash"]):
            changes["members"] = [None, members_by_head[record["head_id_hash"]]]
        rows.append(
            {
                "household_id": household_ids[record["head_id_hash"]],
                "summary": f"批量导入新建农户档案：{record['head_name']}{suffix}",
                "changes": changes,
            }
        )
    for record in plan.changed.to_dict("records"):
        rows.append(
            {
                "household_id": int(record["household_id"]),
                "summary": f"批量导入修改农户档案：{record['head_name']}{suffix}",
                "changes": record["changes"],
            }
        )
    if rows:
        session.execute(
            insert(AuditEvent),
            [
                {
                    "occurred_at": now,
                    "user_id": user_id,
                    "action": IMPORT_ACTION,
                    "subject_type": "household",
                    "subject_id": r["household_id"],
                    "subject_version": versions.get(r["household_id"], 1),
                    "summary": r["summary"][:200],
                    "changes": r["changes"],
                    "remote_addr": remote_addr,
                }
                for r in rows
            ],
        )


def apply_plan(
    session: Session,
    plan: ImportPlan,
    cipher: IdCipher,
    user_id: int | None,
    *,
    remote_addr: str | None = None,
    batch_id: int | None = None,
    now: datetime | None = None,
) -> ImportCounts:
    """Write the plan into the session's transaction. The caller commits or rolls back."""
    now = now or utcnow()
    household_ids = _insert_households(session, plan, cipher, user_id, now)
    # Departmental records already held under a new head's number: the same rule as a form.
    link_new_households(session.connection(), list(household_ids.values()), user_id)
    household_ids.update(
        dict(
            zip(plan.changed["head_id_hash"], plan.changed["household_id"].astype(int), strict=True)
        )
    )
    versions = _update_households(session, plan, user_id, now)
    _insert_members(session, plan, cipher, household_ids)
    _journal(session, plan, household_ids, versions, user_id, now, remote_addr, batch_id)
    return ImportCounts(inserted=len(plan.new), updated=len(plan.changed), unchanged=plan.unchanged)


def import_households(
    session: Session,
    households: pd.DataFrame,
    members: pd.DataFrame,
    cipher: IdCipher,
    village_code: str,
    user_id: int | None,
    **options: Any,
) -> tuple[ImportCounts, list[SheetError]]:
    """Plan and apply in one call, for scripts and the benchmark: valid rows in, counts and
    the rows rejected against the database out."""
    plan = plan_import(session, households, members, cipher, village_code)
    return apply_plan(session, plan, cipher, user_id, **options), plan.errors


# ---- upload batches ----------------------------------------------------------------------------


def store_upload(
    session: Session,
    content: bytes,
    filename: str,
    user_id: int,
    village_code: str,
    cipher: IdCipher,
    kind: str = "households",
) -> UploadBatch:
    """The sheet holds ID numbers in plain text, so the stored upload is sealed."""
    batch = UploadBatch(
        kind=kind,
        user_id=user_id,
        scope_code=village_code,
        filename=(filename or "upload.xlsx")[:200],
        sha256=hashlib.sha256(content).hexdigest(),
        content=cipher.seal(content),
        status="checked",
        errors=[],
    )
    session.add(batch)
    session.flush()
    return batch


def _sort_errors(errors: list[SheetError]) -> list[SheetError]:
    order = {c.header: i for i, c in enumerate(HOUSEHOLD_COLUMNS)}
    return sorted(
        errors,
        key=lambda e: (e["sheet"] != HOUSEHOLD_SHEET, e["row"] or 0, order.get(e["column"], 99)),
    )


def check_upload(
    session: Session,
    parsed: ParsedSheet,
    cipher: IdCipher,
    village_code: str,
    user_scope: str | None = None,
) -> tuple[ImportPlan, list[SheetError]]:
    """The import plan and every error: cell rules from the sheet, conflicts from the database."""
    plan = plan_import(
        session,
        parsed.valid_households(),
        parsed.valid_members(),
        cipher,
        village_code,
        user_scope=user_scope,
    )
    return plan, _sort_errors(parsed.errors + plan.errors)


def process_batch(
    session: Session,
    batch: UploadBatch,
    content: bytes,
    cipher: IdCipher,
    user_id: int,
    max_rows: int,
    import_valid_rows: bool,
    remote_addr: str | None = None,
    parsed: ParsedSheet | None = None,
    user_scope: str | None = None,
) -> ParsedSheet:
    """Check a stored upload and import it when it is clean, or when she asked for the valid
    rows. Records the outcome on the batch. The caller commits or rolls back.

    `parsed` saves a second read when the caller has just parsed `content`."""
    if parsed is None:
        parsed = parse_workbook(content, max_rows)
    if parsed.fatal:
        batch.errors, batch.status = parsed.errors, "rejected"
        return parsed
    plan, errors = check_upload(session, parsed, cipher, batch.scope_code, user_scope)
    batch.errors = errors
    batch.rows_read = parsed.rows_read
    batch.rows_valid = plan.rows_valid
    if plan.rows_valid == 0 or (errors and not import_valid_rows):
        return parsed
    counts = apply_plan(session, plan, cipher, user_id, remote_addr=remote_addr, batch_id=batch.id)
    batch.rows_inserted, batch.rows_updated = counts.inserted, counts.updated
    batch.rows_unchanged = counts.unchanged
    batch.status, batch.imported_at = "imported", utcnow()
    if counts.inserted or counts.updated:
        session.add(
            AuditEvent(
                user_id=user_id,
                action=BATCH_ACTION,
                subject_type="upload_batch",
                subject_id=batch.id,
                summary=(
                    f"批量导入农户档案：新建{counts.inserted}户，修改{counts.updated}户，"
                    f"未变{counts.unchanged}户，拒绝{batch.rows_read - plan.rows_valid}户"
                ),
                changes={"village_code": batch.scope_code, "sha256": batch.sha256},
                remote_addr=remote_addr,
            )
        )
    return parsed
