"""Bulk entry of the parts of household files: 村评议, assets, land, crops and livestock,
insurance. Each row names its household by the head's ID number (blind index); the household
must be filed in the target village, which lies in the importing user's scope.

The natural key of a row is the household plus the kind's key (`BulkSheet.key`: the year for
村评议, 类别+说明 for an asset, 地类 for land, 类别+品种 for crops and herds, 险种+年度 for
insurance). A row whose key is already on file updates that row in place; re-importing the
same sheet changes nothing. Each household touched gets its totals and completeness
recomputed (the rule `assess_households` applies to a form save), a new file version and one
audit row with the part before and after, as a form save journals it.

Plain functions over DataFrames and a session, as services.py: set-based reads, Core bulk
writes, the caller commits or rolls back.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session

from agri_credit.households.completeness import assess_households
from agri_credit.households.services import CHILD_MODELS, INCOME_FIELDS
from models import (
    AuditEvent,
    Household,
    HouseholdAsset,
    HouseholdMember,
    IdCipher,
    Region,
    clock,
    node_contains,
    utcnow,
)
from village_forms.bulk_sheets import BulkSheet
from village_forms.household_sheet import SheetError

from .services import _canon, _child_counts, _group_records, _journal_value

LAND_COLUMNS = {"承包地": "land_contracted_mu", "流转地": "land_transferred_mu"}
IMPORT_ACTION = "household.bulk_part"
OUT_OF_SCOPE = _l("该证件号码已在本县建档，请联系信用办")  # the household import's wording


@dataclass
class PartPlan:
    spec: BulkSheet
    new: pd.DataFrame  # rows to insert, with household_id
    changed: pd.DataFrame  # rows to update in place: "id" (or household_id for land) + fields
    unchanged: int
    before: dict[int, Any] = field(default_factory=dict)  # household_id → part before
    errors: list[SheetError] = field(default_factory=list)

    @property
    def rows_valid(self) -> int:
        return len(self.new) + len(self.changed) + self.unchanged

    @property
    def touched(self) -> list[int]:
        ids = set(self.new.get("household_id", ())) | set(self.changed.get("household_id", ()))
        return sorted(int(i) for i in ids)


@dataclass(frozen=True)
class PartCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def _row_error(spec: BulkSheet, row: int, column: str, message: Any) -> SheetError:
    return {"sheet": spec.sheet, "row": int(row), "column": column, "message": str(message)}


def resolve_households(
    session: Session,
    rows: pd.DataFrame,
    spec: BulkSheet,
    cipher: IdCipher,
    village_code: str,
    user_scope: str | None,
) -> tuple[pd.DataFrame, list[SheetError]]:
    """`rows` with the household_id of each head, and an error for every row whose head is
    not filed in the village. A household elsewhere is named only when it lies in the user's
    scope; otherwise the household import's wording, which names nothing."""
    sheet = rows.reset_index(drop=True).copy()
    sheet["head_id_hash"] = pd.Series(
        [cipher.blind_index(v) for v in sheet["head_id_number"]], index=sheet.index, dtype=object
    )
    found = session.execute(
        select(
            Household.id.label("household_id"),
            Household.head_id_hash,
            Household.village_code.label("db_village_code"),
            Region.name.label("db_village_name"),
            Household.head_name.label("db_head_name"),
        )
        .join(Region, Region.code == Household.village_code)
        .where(
            Household.county_code == village_code[:6],
            Household.head_id_hash.in_(sheet["head_id_hash"].unique().tolist()),
        )
    ).all()
    existing = pd.DataFrame(
        found,
        columns=[
            "household_id",
            "head_id_hash",
            "db_village_code",
            "db_village_name",
            "db_head_name",
        ],
        dtype=object,
    )
    merged = sheet.merge(existing, on="head_id_hash", how="left")
    header = spec.column("head_id_number").header
    errors: list[SheetError] = []
    missing = merged["household_id"].isna()
    errors += [
        _row_error(spec, r, header, _l("本村没有这个户主身份证号的农户档案，请先建档"))
        for r in merged.loc[missing, "row"]
    ]
    elsewhere = ~missing & (merged["db_village_code"] != village_code)
    for r, code, name in zip(
        merged.loc[elsewhere, "row"],
        merged.loc[elsewhere, "db_village_code"],
        merged.loc[elsewhere, "db_village_name"],
        strict=True,
    ):
        message = (
            _l("该户主在“%(village)s”建档，不属于本村，请在该村导入", village=name)
            if user_scope and node_contains(user_scope, code)
            else OUT_OF_SCOPE
        )
        errors.append(_row_error(spec, r, header, message))
    here = ~missing & ~elsewhere
    wrong_name = (
        here & merged["head_name"].notna() & (merged["head_name"] != merged["db_head_name"])
    )
    errors += [
        _row_error(
            spec,
            r,
            spec.column("head_name").header,
            _l("户主姓名与档案不符（档案为“%(name)s”），请核对身份证号", name=n),
        )
        for r, n in zip(
            merged.loc[wrong_name, "row"], merged.loc[wrong_name, "db_head_name"], strict=True
        )
    ]
    good = merged[here & ~wrong_name].copy()
    good["household_id"] = good["household_id"].astype("int64")
    return good, errors


def _key_columns(frame: pd.DataFrame, key: tuple[str, ...]) -> pd.DataFrame:
    """The key in one spelling ("8.00" = "8"; a blank 说明 = ""), for the merge."""
    return frame.assign(**{f"k_{k}": frame[k].map(_canon) for k in key})


def _part_records(frame: pd.DataFrame, fields: tuple[str, ...]) -> dict[int, list[dict]]:
    return {
        int(h): [{f: _journal_value(r[f]) for f in fields} for r in records]
        for h, records in _group_records(frame, "household_id").items()
    }


def _load_part(session: Session, model: type, fields: tuple[str, ...], ids: list[int]):
    names = ["id", "household_id", *fields]
    rows = session.execute(
        select(*[getattr(model, n) for n in names])
        .where(model.household_id.in_(ids))
        .order_by(model.household_id, model.id)
    ).all()
    return pd.DataFrame(rows, columns=names, dtype=object)


def _plan_children(session: Session, spec: BulkSheet, rows: pd.DataFrame) -> PartPlan:
    model, fields = CHILD_MODELS[spec.kind]
    key = spec.key
    stored = _load_part(session, model, fields, rows["household_id"].unique().tolist())
    before = _part_records(stored, fields)
    # The form may hold two rows with one key: the first one is the row a sheet updates.
    stored_keyed = _key_columns(stored, key).drop_duplicates(
        ["household_id", *[f"k_{k}" for k in key]]
    )
    sheet = _key_columns(rows, key)
    merged = sheet.merge(
        stored_keyed.drop(columns=list(key))
        .add_prefix("db_")
        .rename(
            columns={"db_household_id": "household_id", **{f"db_k_{k}": f"k_{k}" for k in key}}
        ),
        on=["household_id", *[f"k_{k}" for k in key]],
        how="left",
    )
    is_new = merged["db_id"].isna()
    values = [f for f in fields if f not in key]
    old = merged[~is_new]
    differs = pd.Series(False, index=old.index)
    for f in values:
        differs |= old[f].map(_canon) != old[f"db_{f}"].map(_canon)
    changed = old[differs].assign(id=lambda d: d["db_id"].astype("int64"))
    return PartPlan(
        spec,
        new=merged[is_new][["household_id", *fields]],
        changed=changed[["id", "household_id", *fields]],
        unchanged=int((~differs).sum()),
        before={h: before.get(h, []) for h in rows["household_id"].unique().tolist()},
    )


def _plan_land(session: Session, spec: BulkSheet, rows: pd.DataFrame) -> PartPlan:
    ids = rows["household_id"].unique().tolist()
    stored = pd.DataFrame(
        session.execute(
            select(Household.id, Household.land_contracted_mu, Household.land_transferred_mu).where(
                Household.id.in_(ids)
            )
        ).all(),
        columns=["household_id", *LAND_COLUMNS.values()],
        dtype=object,
    ).set_index("household_id")
    sheet = rows.assign(column=rows["land_type"].map(LAND_COLUMNS))
    db_values = [
        stored.at[h, c] for h, c in zip(sheet["household_id"], sheet["column"], strict=True)
    ]
    same = pd.Series(
        [_canon(a) == _canon(b) for a, b in zip(sheet["area_mu"], db_values, strict=True)],
        index=sheet.index,
    )
    changed = sheet[~same].assign(before=[v for v, s in zip(db_values, same, strict=True) if not s])
    return PartPlan(
        spec,
        new=pd.DataFrame(columns=["household_id"]),
        changed=changed[["household_id", "column", "area_mu", "before"]],
        unchanged=int(same.sum()),
    )


def plan_parts(
    session: Session,
    rows: pd.DataFrame,
    spec: BulkSheet,
    cipher: IdCipher,
    village_code: str,
    user_scope: str | None = None,
) -> PartPlan:
    """Sort valid sheet rows into new / changed / unchanged against the database. Read-only."""
    resolved, errors = resolve_households(session, rows, spec, cipher, village_code, user_scope)
    planner = _plan_land if spec.kind == "land" else _plan_children
    if resolved.empty:
        plan = PartPlan(
            spec, pd.DataFrame(columns=["household_id"]), pd.DataFrame(columns=["household_id"]), 0
        )
    else:
        plan = planner(session, spec, resolved)
    plan.errors = errors
    return plan


# ---- writing ---------------------------------------------------------------------------------


def _text(value: Any) -> Any:
    return "" if value is None else value


def _write_children(session: Session, plan: PartPlan) -> None:
    model, fields = CHILD_MODELS[plan.spec.kind]
    if not plan.new.empty:
        session.execute(
            insert(model),
            [
                {"household_id": int(r["household_id"]), **{f: _text(r[f]) for f in fields}}
                for r in plan.new.to_dict("records")
            ],
        )
    if not plan.changed.empty:
        session.execute(
            update(model),
            [
                {"id": int(r["id"]), **{f: _text(r[f]) for f in fields}}
                for r in plan.changed.to_dict("records")
            ],
        )


def _write_land(session: Session, plan: PartPlan) -> None:
    for column, group in plan.changed.groupby("column"):
        session.execute(
            update(Household),
            [
                {"id": int(h), column: a}
                for h, a in zip(group["household_id"], group["area_mu"], strict=True)
            ],
        )


def refresh_derived(
    session: Session, household_ids: list[int], user_id: int | None, now: datetime, today: date
) -> dict[int, int]:
    """Totals, completeness and missing items of the households whose parts changed, with
    the rule a form save applies; each gets its next version (an edit form opened before the
    import is then stale). Returns household_id → new version."""
    if not household_ids:
        return {}
    head_columns = ("phone", "address", "registration_type", "housing", "land_contracted_mu")
    heads = pd.DataFrame(
        session.execute(
            select(
                Household.id,
                *[getattr(Household, c) for c in head_columns],
                Household.annual_spending,
                *[getattr(Household, f) for f in INCOME_FIELDS],
            ).where(Household.id.in_(household_ids))
        ).all(),
        columns=["household_id", *head_columns, "annual_spending", *INCOME_FIELDS],
        dtype=object,
    ).set_index("household_id")
    counts = _child_counts(session, household_ids, today.year)
    members = dict(
        session.execute(
            select(HouseholdMember.household_id, func.count())
            .where(HouseholdMember.household_id.in_(household_ids))
            .group_by(HouseholdMember.household_id)
        ).all()
    )
    totals = {
        h: (total, shares)
        for h, total, shares in session.execute(
            select(
                HouseholdAsset.household_id,
                func.sum(HouseholdAsset.value),
                func.sum(
                    case((HouseholdAsset.kind == "合作社股金", HouseholdAsset.value), else_=0)
                ),
            )
            .where(HouseholdAsset.household_id.in_(household_ids))
            .group_by(HouseholdAsset.household_id)
        ).all()
    }
    frame = heads.join(counts)
    incomes = frame[list(INCOME_FIELDS)]
    frame["income_total"] = incomes.notna().any(axis=1).map(lambda v: 1 if v else None)
    frame["member_count"] = [members.get(h, 0) for h in frame.index]
    frame["recent_evaluation"] = frame["recent_evaluation"].astype(bool)
    for c in ("asset_count", "production_count", "member_count"):
        frame[c] = frame[c].astype("int64")
    assessed = assess_households(frame)
    zero = (0, 0)
    session.execute(
        update(Household),
        [
            {
                "id": int(h),
                "completeness": int(c),
                "missing_fields": m,
                "total_assets": Decimal(totals.get(h, zero)[0] or 0),
                "coop_shares": Decimal(totals.get(h, zero)[1] or 0),
                "updated_at": now,
                "updated_by_id": user_id,
            }
            for h, c, m in zip(
                frame.index, assessed["completeness"], assessed["missing_fields"], strict=True
            )
        ],
    )
    bumped = session.execute(
        update(Household)
        .where(Household.id.in_(household_ids))
        .values(version=Household.version + 1)
        .returning(Household.id, Household.version),
        execution_options={"synchronize_session": False},
    )
    return dict(bumped.all())


def _journal(
    session: Session,
    plan: PartPlan,
    versions: dict[int, int],
    user_id: int | None,
    now: datetime,
    remote_addr: str | None,
    batch_id: int | None,
) -> None:
    """One audit row per household, the part before and after, as a form save journals it."""
    suffix = f"（批次 #{batch_id}）" if batch_id else ""
    if plan.spec.kind == "land":
        changes: dict[int, dict] = {}
        for r in plan.changed.to_dict("records"):
            changes.setdefault(int(r["household_id"]), {})[r["column"]] = [
                _journal_value(r["before"]),
                _journal_value(r["area_mu"]),
            ]
    else:
        model, fields = CHILD_MODELS[plan.spec.kind]
        after = _part_records(_load_part(session, model, fields, plan.touched), fields)
        changes = {
            h: {plan.spec.kind: [plan.before.get(h, []), after.get(h, [])]} for h in plan.touched
        }
    names = dict(
        session.execute(
            select(Household.id, Household.head_name).where(Household.id.in_(plan.touched))
        ).all()
    )
    title = str(plan.spec.title).removesuffix("批量录入")
    rows = [
        {
            "occurred_at": now,
            "user_id": user_id,
            "action": IMPORT_ACTION,
            "subject_type": "household",
            "subject_id": h,
            "subject_version": versions.get(h, 1),
            "summary": f"批量导入{title}：{names.get(h, '')}{suffix}"[:200],
            "changes": changes[h],
            "remote_addr": remote_addr,
        }
        for h in plan.touched
    ]
    if rows:
        session.execute(insert(AuditEvent), rows)


def apply_parts(
    session: Session,
    plan: PartPlan,
    user_id: int | None,
    *,
    remote_addr: str | None = None,
    batch_id: int | None = None,
    now: datetime | None = None,
) -> PartCounts:
    """Write the plan into the session's transaction. The caller commits or rolls back."""
    now = now or utcnow()
    if plan.spec.kind == "land":
        _write_land(session, plan)
    else:
        _write_children(session, plan)
    versions = refresh_derived(session, plan.touched, user_id, now, clock.today())
    _journal(session, plan, versions, user_id, now, remote_addr, batch_id)
    return PartCounts(len(plan.new), len(plan.changed), plan.unchanged)
