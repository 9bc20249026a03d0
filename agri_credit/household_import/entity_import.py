"""Bulk filing of 新型农业经营主体 from the 经营主体 sheet, with the entity form's rules.

The natural key is the USCC (unique nationwide, as `find_entity_by_uscc`); a 种养大户 without
one is known by its operator's ID number, one such file per operator in a county (as
`find_unregistered_by_operator_id`). A matched file in the target village is updated in
place, blank cells keeping what it holds; a file in another village is refused, named only
when it lies in the user's scope, otherwise in the entity form's wording. Set-based reads,
Core bulk writes, one audit row per file created or changed; the caller commits.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from agri_credit.entities.completeness import INPUT_COLUMNS, assess_entities
from models import AgriEntity, AuditEvent, IdCipher, Region, mask_id, node_contains, utcnow
from village_forms.bulk_sheets import ENTITIES
from village_forms.household_sheet import SheetError

from .services import _canon, _journal_value

FIELDS = tuple(c.key for c in ENTITIES.columns if c.key not in ("uscc", "operator_id_number"))
TEXT_FIELDS = frozenset(
    c.key for c in ENTITIES.columns if c.kind in ("text", "name", "phone", "choice")
) - {"keeps_books"}
IMPORT_ACTION = "entity.import"


@dataclass
class EntityPlan:
    village_code: str
    new: pd.DataFrame
    changed: pd.DataFrame  # "entity_id", effective fields, "changes"
    unchanged: int
    errors: list[SheetError] = field(default_factory=list)

    @property
    def rows_valid(self) -> int:
        return len(self.new) + len(self.changed) + self.unchanged


def _same(value: Any) -> str:
    """services._canon, with 有规范账簿 (a bool, which Decimal cannot read) spelled out."""
    return str(value) if isinstance(value, bool) else _canon(value)


def _load(session: Session, county: str, usccs: list[str], hashes: list[str]) -> pd.DataFrame:
    columns = [
        AgriEntity.id.label("entity_id"),
        AgriEntity.uscc.label("db_uscc"),
        AgriEntity.operator_id_hash.label("db_operator_id_hash"),
        AgriEntity.operator_id_masked.label("db_operator_id_masked"),
        AgriEntity.village_code.label("db_village_code"),
        Region.name.label("db_village_name"),
        *[getattr(AgriEntity, f).label(f"db_{f}") for f in FIELDS],
    ]
    rows = session.execute(
        select(*columns)
        .join(Region, Region.code == AgriEntity.village_code)
        .where(
            or_(
                AgriEntity.uscc.in_(usccs),
                and_(
                    AgriEntity.county_code == county,
                    AgriEntity.uscc.is_(None),
                    AgriEntity.operator_id_hash.in_(hashes),
                ),
            )
        )
    ).all()
    return pd.DataFrame(rows, columns=[c.name for c in columns], dtype=object)


def plan_entities(
    session: Session,
    rows: pd.DataFrame,
    cipher: IdCipher,
    village_code: str,
    user_scope: str | None = None,
) -> EntityPlan:
    """Sort valid sheet rows into new / changed / unchanged against the database. Read-only."""
    sheet = rows.reset_index(drop=True).copy()
    sheet["operator_id_hash"] = pd.Series(
        [cipher.blind_index(v) if v else None for v in sheet["operator_id_number"]],
        index=sheet.index,
        dtype=object,
    )
    usccs = sheet["uscc"].dropna().tolist()
    unregistered = sheet["uscc"].isna()
    hashes = sheet.loc[unregistered, "operator_id_hash"].dropna().tolist()
    stored = _load(session, village_code[:6], usccs, hashes)
    by_uscc = stored.dropna(subset=["db_uscc"]).set_index("db_uscc", drop=False)
    by_operator = (
        stored[stored["db_uscc"].isna()]
        .drop_duplicates("db_operator_id_hash")
        .set_index("db_operator_id_hash", drop=False)
    )
    matched = pd.concat(
        [
            sheet[~unregistered].join(by_uscc, on="uscc"),
            sheet[unregistered].join(by_operator, on="operator_id_hash"),
        ]
    ).sort_values("row")
    found = matched["entity_id"].notna()
    elsewhere = found & (matched["db_village_code"] != village_code)
    errors: list[SheetError] = []
    for r, code, name, uscc in zip(
        matched.loc[elsewhere, "row"],
        matched.loc[elsewhere, "db_village_code"],
        matched.loc[elsewhere, "db_village_name"],
        matched.loc[elsewhere, "uscc"],
        strict=True,
    ):
        if user_scope and node_contains(user_scope, code):
            message = _l("该主体已在“%(village)s”建档，不能导入到本村", village=name)
        elif uscc:
            message = _l("该统一社会信用代码已在本平台建档，请联系信用办")
        else:
            message = _l("该证件号码已在本县建档，请联系信用办")
        column = ENTITIES.column("uscc" if uscc else "operator_id_number").header
        errors.append(
            {"sheet": ENTITIES.sheet, "row": int(r), "column": column, "message": str(message)}
        )
    matched = matched[~elsewhere]
    is_new = matched["entity_id"].isna()
    new = matched[is_new].copy()
    new[list(FIELDS)] = new[list(FIELDS)].astype(object)

    old = matched[~is_new].copy()
    old["entity_id"] = old["entity_id"].astype("int64")
    field_changed = pd.DataFrame(
        {f: old[f].notna() & (old[f].map(_same) != old[f"db_{f}"].map(_same)) for f in FIELDS},
        index=old.index,
    )
    id_changed = old["operator_id_hash"].notna() & (
        old["operator_id_hash"] != old["db_operator_id_hash"]
    )
    is_changed = field_changed.any(axis=1) | id_changed
    changed = old[is_changed].copy()
    for f in FIELDS:
        changed[f] = changed[f].where(changed[f].notna(), changed[f"db_{f}"])
    changed["changes"] = [
        {
            **{
                f: [_journal_value(row[f"db_{f}"]), _journal_value(row[f])]
                for f in FIELDS
                if field_changed.at[i, f]
            },
            **(
                {
                    "operator_id_number": [
                        row["db_operator_id_masked"] or None,
                        mask_id(row["operator_id_number"]),
                    ]
                }
                if id_changed[i]
                else {}
            ),
        }
        for i, row in changed.iterrows()
    ]
    return EntityPlan(village_code, new, changed, int((~is_changed).sum()), errors)


def _assessed(frame: pd.DataFrame) -> pd.DataFrame:
    inputs = frame.assign(operator_id_masked=frame["operator_id_masked"])[list(INPUT_COLUMNS)]
    return assess_entities(inputs)


def _value(name: str, value: Any) -> Any:
    if name == "keeps_books":
        return bool(value)
    if value is None and name in TEXT_FIELDS:
        return ""
    return value


def apply_entities(
    session: Session,
    plan: EntityPlan,
    cipher: IdCipher,
    user_id: int | None,
    *,
    remote_addr: str | None = None,
    batch_id: int | None = None,
    now: datetime | None = None,
) -> tuple[int, int, int]:
    """Write the plan; returns (inserted, updated, unchanged). The caller commits."""
    now = now or utcnow()
    suffix = f"（批次 #{batch_id}）" if batch_id else ""
    events = []
    if not plan.new.empty:
        new = plan.new.copy()
        protected = [cipher.protect(v) if v else None for v in new["operator_id_number"]]
        new["operator_id_masked"] = [p["masked"] if p else "" for p in protected]
        assessed = _assessed(new)
        rows = [
            {
                **{f: _value(f, r[f]) for f in FIELDS},
                "uscc": r["uscc"],
                "village_code": plan.village_code,
                "county_code": plan.village_code[:6],
                "operator_id_cipher": p["cipher"] if p else None,
                "operator_id_hash": p["hash"] if p else None,
                "operator_id_masked": p["masked"] if p else "",
                "completeness": int(assessed.at[i, "completeness"]),
                "missing_fields": assessed.at[i, "missing_fields"],
                "created_at": now,
                "updated_at": now,
                "updated_by_id": user_id,
            }
            for (i, r), p in zip(new.iterrows(), protected, strict=True)
        ]
        session.execute(insert(AgriEntity), rows)
        ids = _ids_of(session, plan.village_code, new)
        for r, entity_id in zip(rows, ids, strict=True):
            changes = {
                f: [None, _journal_value(r[f])] for f in ("uscc", *FIELDS) if r[f] not in ("", None)
            }
            if r["operator_id_masked"]:
                changes["operator_id_number"] = [None, r["operator_id_masked"]]
            events.append((entity_id, 1, f"批量导入新建经营主体档案：{r['name']}{suffix}", changes))
    if not plan.changed.empty:
        changed = plan.changed.copy()
        changed["operator_id_masked"] = [
            mask_id(v) if v else m
            for v, m in zip(
                changed["operator_id_number"], changed["db_operator_id_masked"], strict=True
            )
        ]
        assessed = _assessed(changed)
        rows = []
        for i, r in changed.iterrows():
            row = {
                "id": int(r["entity_id"]),
                **{f: _value(f, r[f]) for f in FIELDS},
                "completeness": int(assessed.at[i, "completeness"]),
                "missing_fields": assessed.at[i, "missing_fields"],
                "updated_at": now,
                "updated_by_id": user_id,
            }
            if r["operator_id_number"] and r["operator_id_hash"] != r["db_operator_id_hash"]:
                p = cipher.protect(r["operator_id_number"])
                row |= {
                    "operator_id_cipher": p["cipher"],
                    "operator_id_hash": p["hash"],
                    "operator_id_masked": p["masked"],
                }
            rows.append(row)
        # Executemany needs one column set per statement: files whose ID changes go apart.
        for with_id in (True, False):
            batch = [r for r in rows if ("operator_id_hash" in r) == with_id]
            if batch:
                session.execute(update(AgriEntity), batch)
        versions = dict(
            session.execute(
                update(AgriEntity)
                .where(AgriEntity.id.in_([r["id"] for r in rows]))
                .values(version=AgriEntity.version + 1)
                .returning(AgriEntity.id, AgriEntity.version),
                execution_options={"synchronize_session": False},
            ).all()
        )
        for r in changed.to_dict("records"):
            entity_id = int(r["entity_id"])
            events.append(
                (
                    entity_id,
                    versions[entity_id],
                    f"批量导入修改经营主体档案：{r['name']}{suffix}",
                    r["changes"],
                )
            )
    if events:
        session.execute(
            insert(AuditEvent),
            [
                {
                    "occurred_at": now,
                    "user_id": user_id,
                    "action": IMPORT_ACTION,
                    "subject_type": "entity",
                    "subject_id": entity_id,
                    "subject_version": version,
                    "summary": summary[:200],
                    "changes": changes,
                    "remote_addr": remote_addr,
                }
                for entity_id, version, summary, changes in events
            ],
        )
    return len(plan.new), len(plan.changed), plan.unchanged


def _ids_of(session: Session, village_code: str, new: pd.DataFrame) -> list[int]:
    """The new files' keys, in the order of `new`: by USCC, else by operator ID."""
    usccs = new["uscc"].dropna().tolist()
    hashes = new.loc[new["uscc"].isna(), "operator_id_hash"].tolist()
    found = session.execute(
        select(AgriEntity.id, AgriEntity.uscc, AgriEntity.operator_id_hash).where(
            or_(
                AgriEntity.uscc.in_(usccs),
                and_(
                    AgriEntity.county_code == village_code[:6],
                    AgriEntity.uscc.is_(None),
                    AgriEntity.operator_id_hash.in_(hashes),
                ),
            )
        )
    ).all()
    by_uscc = {u: i for i, u, _ in found if u}
    by_hash = {h: i for i, u, h in found if not u}
    return [
        by_uscc[u] if u else by_hash[h]
        for u, h in zip(new["uscc"], new["operator_id_hash"], strict=True)
    ]
