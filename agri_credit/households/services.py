"""Household file operations: list queries, saving a form, snapshots for the audit journal."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Select, func, select

from agri_credit.audit import diff_snapshots, journal_value, record_event
from agri_credit.file_filters import filter_by_completeness
from agri_credit.file_versions import claim_next_version, opened_values, parse_version
from models import (
    AuditEvent,
    CreditRecord,
    Household,
    HouseholdAsset,
    HouseholdLiability,
    HouseholdMember,
    IdCipher,
    InsurancePolicy,
    ProductionItem,
    User,
    VillageEvaluation,
    clock,
    db,
)
from models.sensitive import mask_id
from village_forms.identifiers import id_birth_date, id_gender

from .completeness import assess_households

HEAD_FIELDS = (
    "village_code",
    "group_name",
    "head_name",
    "head_education",
    "head_health",
    "phone",
    "address",
    "registration_type",
    "housing",
    "house_area_m2",
    "land_contracted_mu",
    "land_transferred_mu",
    "income_crops",
    "income_livestock",
    "income_business",
    "income_wages",
    "income_other",
    "annual_spending",
    "notes",
)
INCOME_FIELDS = (
    "income_crops",
    "income_livestock",
    "income_business",
    "income_wages",
    "income_other",
)
LABOUR_VALUES = {"全劳动力": 1, "半劳动力": 1}
# A seriously ill or disabled head of household does not count as labour.
HEAD_NOT_LABOUR = ("重病", "残疾")
WORKING_AGE = 16

CHILD_MODELS: dict[str, tuple[type, tuple[str, ...]]] = {
    "assets": (HouseholdAsset, ("kind", "description", "value")),
    "liabilities": (
        HouseholdLiability,
        ("kind", "creditor", "balance", "start_date", "due_date", "overdue_days"),
    ),
    "production": (ProductionItem, ("kind", "name", "quantity", "unit")),
    "insurance": (InsurancePolicy, ("kind", "insurer", "insured_amount", "year")),
    "evaluations": (
        VillageEvaluation,
        ("year", "law_abiding", "neighbourliness", "elder_care", "diligence", "overall", "remarks"),
    ),
    "records": (
        CreditRecord,
        ("polarity", "category", "description", "occurred_on", "ended_on", "source"),
    ),
}
MEMBER_FIELDS = ("name", "relation", "health", "labour_ability", "occupation")


# ---- listing -------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdFilters:
    q: str = ""
    village: str = ""
    group: str = ""
    grade: str = ""
    completeness: str = ""  # "complete", "incomplete", "low"
    missing: str = ""  # a label from completeness.HOUSEHOLD_CHECKS
    id_hash: str = ""  # set by the caller when q is a whole ID number
    sort: str = "name"

    SORTS = {
        "name": (Household.head_name, Household.id),
        "-updated": (Household.updated_at.desc(), Household.id.desc()),
        "completeness": (Household.completeness, Household.id),
        "-completeness": (Household.completeness.desc(), Household.id),
        "grade": (Household.credit_grade, Household.id),
    }


def filter_households(
    query: Select, filters: HouseholdFilters, grade: Any = Household.credit_grade
) -> Select:
    """`grade` is the grade column to filter and sort by (the grade effective today may be
    an expression over the stored one)."""
    q = filters.q.strip().upper()
    if filters.id_hash:  # a whole ID number, found through its blind index
        query = query.where(Household.head_id_hash == filters.id_hash)
    elif len(q) <= 4 and q.rstrip("X").isdigit():
        tail = Household.head_id_tail  # four characters hit the index; fewer must scan
        query = query.where(tail == q if len(q) == 4 else tail.endswith(q))
    elif q.isdigit():
        query = query.where(Household.phone.startswith(q))
    elif q:
        query = query.where(Household.head_name.contains(q, autoescape=True))
    if filters.village:
        query = query.where(Household.village_code == filters.village)
    if filters.group:
        query = query.where(Household.group_name == filters.group)
    if filters.grade == "none":
        query = query.where(grade.is_(None))
    elif filters.grade:
        query = query.where(grade == filters.grade)
    query = filter_by_completeness(
        query,
        Household.completeness,
        Household.missing_fields,
        filters.completeness,
        filters.missing,
    )
    order = HouseholdFilters.SORTS.get(filters.sort, HouseholdFilters.SORTS["name"])
    if filters.sort == "grade":
        order = (grade, Household.id)
    return query.order_by(*order)


def member_counts(household_ids: list[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(HouseholdMember.household_id, func.count())
        .where(HouseholdMember.household_id.in_(household_ids))
        .group_by(HouseholdMember.household_id)
    )
    return dict(rows.all())


# ---- duplicates --------------------------------------------------------------------------


def find_registration_of_id_number(
    cipher: IdCipher, county_code: str, id_number: str, exclude_id: int | None = None
) -> tuple[Household, str] | None:
    """Another household of the county holding this ID number, as its head ("head") or as one
    of its members ("member"): a person is registered once in a county."""
    blind = cipher.blind_index(id_number.strip().upper())
    others = Household.county_code == county_code
    if exclude_id is not None:
        others = others & (Household.id != exclude_id)
    head = db.session.scalar(select(Household).where(others, Household.head_id_hash == blind))
    if head is not None:
        return head, "head"
    member = db.session.scalar(
        select(Household)
        .join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(others, HouseholdMember.id_hash == blind)
        .limit(1)
    )
    return (member, "member") if member is not None else None


# ---- snapshots and saving -------------------------------------------------------------------


def snapshot(household: Household) -> dict[str, Any]:
    """A JSON-safe picture of the whole file; ID numbers only ever appear masked."""
    data: dict[str, Any] = {f: journal_value(getattr(household, f)) for f in HEAD_FIELDS}
    data["head_id_number"] = household.head_id_masked
    data["members"] = [
        {
            "name": m.name,
            "id_number": m.id_masked,
            **{f: journal_value(getattr(m, f)) for f in MEMBER_FIELDS[1:]},
        }
        for m in household.members
    ]
    for name, (_, fields) in CHILD_MODELS.items():
        data[name] = [
            {f: journal_value(getattr(row, f)) for f in fields} for row in getattr(household, name)
        ]
    return data


def form_data_for(household: Household) -> dict[str, Any]:
    """Initial form values; ID numbers stay blank (the form says blank keeps them)."""
    data = {f: getattr(household, f) for f in HEAD_FIELDS}
    data["version"] = household.version
    data["members"] = [
        {"key": str(m.id), **{f: getattr(m, f) for f in MEMBER_FIELDS}} for m in household.members
    ]
    for name, (_, fields) in CHILD_MODELS.items():
        data[name] = [{f: getattr(row, f) for f in fields} for row in getattr(household, name)]
    return data


def _set_head_id(household: Household, cipher: IdCipher, id_number: str) -> None:
    protected = cipher.protect(id_number)
    household.head_id_cipher = protected["cipher"]
    household.head_id_hash = protected["hash"]
    household.head_id_masked = protected["masked"]
    household.head_id_tail = protected["tail"]
    household.head_gender = id_gender(id_number)
    household.head_birth_date = id_birth_date(id_number)


def _apply_members(household: Household, rows: list[dict], cipher: IdCipher) -> None:
    existing = {str(m.id): m for m in household.members}
    members = []
    for row in rows:
        member = existing.get(row.get("key") or "") or HouseholdMember()
        for f in MEMBER_FIELDS:
            setattr(member, f, row.get(f) or "")
        if row.get("id_number"):
            protected = cipher.protect(row["id_number"])
            member.id_cipher = protected["cipher"]
            member.id_hash = protected["hash"]
            member.id_masked = protected["masked"]
            member.gender = id_gender(row["id_number"].strip().upper())
            member.birth_date = id_birth_date(row["id_number"].strip().upper())
        members.append(member)
    household.members = members


def _apply_children(household: Household, name: str, rows: list[dict]) -> None:
    model, fields = CHILD_MODELS[name]
    values = [{f: row.get(f) for f in fields} for row in rows]
    current = [{f: getattr(r, f) for f in fields} for r in getattr(household, name)]
    if values == current:  # unchanged rows keep their ids, and the journal stays quiet
        return
    built = []
    for v in values:
        if name == "liabilities":
            v["overdue_days"] = v["overdue_days"] or 0
        if name == "records":
            v["ended_on"] = v["ended_on"] or None
        built.append(
            model(
                **{k: ("" if val is None and k in _TEXT_DEFAULTS else val) for k, val in v.items()}
            )
        )
    setattr(household, name, built)


_TEXT_DEFAULTS = {"description", "creditor", "insurer", "remarks", "source"}


def derive_totals(household: Household, as_of_year: int | None = None) -> None:
    """Recompute the denormalised figures lists, dashboards and ratings read."""
    as_of_year = as_of_year or clock.today().year
    household.household_size = 1 + len(household.members)
    born = household.head_birth_date
    # A head below working age (16) heads the file but is not labour.
    child_head = born is not None and as_of_year - born.year < WORKING_AGE
    head_labour = 1 if household.head_health not in HEAD_NOT_LABOUR and not child_head else 0
    household.labour_count = head_labour + sum(
        LABOUR_VALUES.get(m.labour_ability, 0) for m in household.members
    )
    household.total_assets = sum((a.value for a in household.assets), Decimal("0"))
    household.coop_shares = sum(
        (a.value for a in household.assets if a.kind == "合作社股金"), Decimal("0")
    )
    household.total_liabilities = sum((x.balance for x in household.liabilities), Decimal("0"))
    incomes = [getattr(household, f) for f in INCOME_FIELDS]
    frame = pd.DataFrame(
        [
            {
                "phone": household.phone,
                "address": household.address,
                "registration_type": household.registration_type,
                "housing": household.housing,
                "land_contracted_mu": household.land_contracted_mu,
                "income_total": None if all(i is None for i in incomes) else 1,
                "annual_spending": household.annual_spending,
                "member_count": len(household.members),
                "asset_count": len(household.assets),
                "production_count": len(household.production),
                "recent_evaluation": any(e.year >= as_of_year - 1 for e in household.evaluations),
            }
        ]
    )
    assessed = assess_households(frame).iloc[0]
    household.completeness = int(assessed["completeness"])
    household.missing_fields = assessed["missing_fields"]


def save_household(
    household: Household, data: dict[str, Any], cipher: IdCipher, user: User
) -> dict[str, list]:
    """Apply validated form data, journal the difference, and return it. Caller commits.

    An existing file is saved only on the version its form was opened on (`data["version"]`):
    raises StaleEdit when another save came first.
    """
    is_new = household.id is None
    version = 1 if is_new else claim_next_version(household, parse_version(data.get("version")))
    before = {} if is_new else snapshot(household)
    for f in HEAD_FIELDS:
        value = data.get(f)
        setattr(household, f, value if value is not None or f not in _HEAD_TEXT else "")
    household.county_code = household.village_code[:6]
    if data.get("head_id_number"):
        _set_head_id(household, cipher, data["head_id_number"].strip().upper())
    _apply_members(household, data.get("members", []), cipher)
    for name in CHILD_MODELS:
        _apply_children(household, name, data.get(name, []))
    derive_totals(household)
    household.updated_by_id = user.id
    if is_new:
        db.session.add(household)
    db.session.flush()
    after = snapshot(household)
    changes = diff_snapshots(before, after)
    if changes:
        action = "household.create" if is_new else "household.update"
        summary = ("新建农户档案：" if is_new else "修改农户档案：") + household.head_name
        record_event(action, "household", household.id, summary, changes, user, version)
    return changes


_HEAD_TEXT = {
    "group_name",
    "head_education",
    "head_health",
    "phone",
    "address",
    "registration_type",
    "housing",
    "notes",
}


def rebase_members(
    posted: list[dict[str, Any]], events: list[AuditEvent], household: Household
) -> list[dict[str, Any]]:
    """The member rows a stale form should show on the file's current version.

    If the cadre left the members as they were when she opened the form, they are the current
    members (so saving again keeps what others changed). Otherwise her rows stay, and members
    others added since come back in: she never saw them, so their absence is not a deletion.
    A row of a member others removed becomes a new row.
    """
    current = {str(m.id): m for m in household.members}
    current_rows = [
        {"key": key, **{f: getattr(m, f) for f in MEMBER_FIELDS}, "id_number": ""}
        for key, m in current.items()
    ]
    opened = opened_values(events).get("members")
    if opened is not None and _member_journal(posted, current) == opened:
        return current_rows
    added: set[tuple[str, str]] = set()
    for event in events:
        before, after = (event.changes or {}).get("members") or [None, None]
        had = {(m.get("name"), m.get("id_number") or "") for m in before or []}
        added |= {(m.get("name"), m.get("id_number") or "") for m in after or []} - had
    rows = [{**row, "key": row.get("key") if row.get("key") in current else ""} for row in posted]
    kept = {row["key"] for row in rows}
    return rows + [
        row
        for row in current_rows
        if row["key"] not in kept and (row["name"], current[row["key"]].id_masked or "") in added
    ]


def _member_journal(
    rows: list[dict[str, Any]], current: dict[str, HouseholdMember]
) -> list[dict[str, Any]]:
    """Posted member rows as snapshot() journals them (a blank ID keeps the stored one)."""
    journal = []
    for row in rows:
        stored = current.get(row.get("key") or "")
        typed = (row.get("id_number") or "").strip()
        journal.append(
            {
                "name": row.get("name") or "",
                "id_number": mask_id(typed) if typed else (stored.id_masked if stored else ""),
                **{f: journal_value(row.get(f) or "") for f in MEMBER_FIELDS[1:]},
            }
        )
    return journal


def reveal_id_numbers(
    household: Household, cipher: IdCipher, user: User, reason: str = ""
) -> dict[str, str]:
    """Decrypt the head's and members' ID numbers for one look, journalled as sensitive
    with the reason the user gave."""
    revealed = {"head": cipher.decrypt(household.head_id_cipher)}
    for member in household.members:
        if member.id_cipher:
            revealed[str(member.id)] = cipher.decrypt(member.id_cipher)
    record_event(
        "id.reveal",
        "household",
        household.id,
        "查看完整身份证号：" + household.head_name + (f"（原因：{reason}）" if reason else ""),
        {"fields": sorted(revealed), "reason": reason},
        user,
    )
    return revealed
