"""SME file operations: the list query, the duplicate look-up, the regions a user may file an
SME under, and saving a form with its audit journal entry."""

from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select

from agri_credit.audit import diff_snapshots, journal_value, record_event
from agri_credit.auth.scopes import in_scope
from agri_credit.file_versions import claim_next_version, parse_version
from models import AgriEntity, Enterprise, Region, RegionLevel, User, db

ENTERPRISE_FIELDS = (
    "uscc",
    "name",
    "industry",
    "region_code",
    "legal_representative",
    "phone",
    "registered_capital",
    "founded_on",
    "employees",
)
_TEXT_FIELDS = {"industry", "legal_representative", "phone"}
CENTS = Decimal("0.01")
# An SME is placed at the most precise level known; a province or city is too vague to rate.
FILING_LEVELS = (RegionLevel.COUNTY, RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)
_INDENT = {
    RegionLevel.COUNTY: "",
    RegionLevel.TOWNSHIP: "\u3000",
    RegionLevel.VILLAGE: "\u3000\u3000",
}


def filter_enterprises(query: Select, q: str = "") -> Select:
    """Search by part of the name or (upper-cased, spaces dropped) part of the USCC."""
    q = q.strip()
    if q:
        query = query.where(
            or_(
                Enterprise.name.contains(q, autoescape=True),
                Enterprise.uscc.contains(q.upper().replace(" ", ""), autoescape=True),
            )
        )
    return query.order_by(Enterprise.name, Enterprise.id)


def region_choices(user: User) -> list[tuple[str, str]]:
    """The county, townships and villages in the user's scope, in tree order and indented,
    so a select shows the hierarchy: a cadre gets only her village."""
    regions = db.session.scalars(
        select(Region)
        .where(Region.level.in_([lvl.value for lvl in FILING_LEVELS]), in_scope(Region.code, user))
        .order_by(Region.code)
    )
    return [(r.code, _INDENT[RegionLevel(r.level)] + r.name) for r in regions]


def find_enterprise_by_uscc(uscc: str, exclude_id: int | None = None) -> Enterprise | None:
    """A USCC is unique nationwide, so the look-up ignores the user's scope."""
    query = select(Enterprise).where(Enterprise.uscc == uscc.strip().upper())
    if exclude_id is not None:
        query = query.where(Enterprise.id != exclude_id)
    return db.session.scalar(query)


def find_entity_by_uscc(uscc: str) -> AgriEntity | None:
    """An agricultural entity holding the code: the same subject must not be filed twice,
    or its departmental records would count for two files."""
    return db.session.scalar(select(AgriEntity).where(AgriEntity.uscc == uscc.strip().upper()))


def snapshot(enterprise: Enterprise) -> dict[str, Any]:
    return {f: journal_value(getattr(enterprise, f)) for f in ENTERPRISE_FIELDS}


def form_data_for(enterprise: Enterprise) -> dict[str, Any]:
    return {f: getattr(enterprise, f) for f in ENTERPRISE_FIELDS} | {"version": enterprise.version}


def save_enterprise(enterprise: Enterprise, data: dict[str, Any], user: User) -> dict[str, list]:
    """Apply validated form data, journal the difference, and return it. Caller commits.

    An existing file is saved only on the version its form was opened on (`data["version"]`):
    raises StaleEdit when another save came first.
    """
    is_new = enterprise.id is None
    version = 1 if is_new else claim_next_version(enterprise, parse_version(data.get("version")))
    before = {} if is_new else snapshot(enterprise)
    for f in ENTERPRISE_FIELDS:
        value = data.get(f)
        if value is None and f in _TEXT_FIELDS:
            value = ""
        elif isinstance(value, str):
            value = value.strip()
        elif isinstance(value, Decimal):
            value = value.quantize(CENTS)  # what the Numeric(…, 2) column will store
        setattr(enterprise, f, value)
    enterprise.uscc = enterprise.uscc.upper()
    enterprise.county_code = enterprise.region_code[:6]
    enterprise.updated_by_id = user.id
    if is_new:
        db.session.add(enterprise)
    db.session.flush()
    changes = diff_snapshots(before, snapshot(enterprise))
    if changes:
        action = "enterprise.create" if is_new else "enterprise.update"
        summary = ("新建企业档案：" if is_new else "修改企业档案：") + enterprise.name
        record_event(action, "enterprise", enterprise.id, summary, changes, user, version)
    return changes
