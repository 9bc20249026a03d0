"""Scope-aware queries: every list, detail, export and API answer starts here, so a view
cannot forget to limit what a user sees to her node of the region tree."""

from flask import abort
from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import InstrumentedAttribute

from models import (
    AgriEntity,
    Enterprise,
    Household,
    Region,
    RegionLevel,
    Role,
    User,
    code_range,
    db,
)


def in_scope(column: InstrumentedAttribute[str], user: User) -> ColumnElement[bool]:
    low, high = code_range(user.scope_code, user.scope.level)
    return column.between(low, high)


def file_scope(
    village_column: InstrumentedAttribute[str],
    county_column: InstrumentedAttribute[str],
    user: User,
) -> ColumnElement[bool]:
    """The scope predicate for tables that carry both codes. Village and township users match
    on the village code; county and wider users on the 6-digit county code, so county-wide
    lists can walk the (county_code, …) indexes in sort order instead of sorting the county."""
    level = RegionLevel(user.scope.level)
    if level == RegionLevel.VILLAGE:
        return village_column == user.scope_code
    if level == RegionLevel.TOWNSHIP:
        return in_scope(village_column, user)
    if level == RegionLevel.COUNTY:
        return county_column == user.scope_code[:6]
    low, high = code_range(user.scope_code, user.scope.level)
    return county_column.between(low[:6], high[:6])


def households_in_scope(user: User) -> Select[tuple[Household]]:
    return select(Household).where(file_scope(Household.village_code, Household.county_code, user))


def entities_in_scope(user: User) -> Select[tuple[AgriEntity]]:
    return select(AgriEntity).where(
        file_scope(AgriEntity.village_code, AgriEntity.county_code, user)
    )


def household_or_404(household_id: int, user: User) -> Household:
    """Another village's household is a 404: its existence is not disclosed."""
    household = db.session.scalar(households_in_scope(user).where(Household.id == household_id))
    if household is None:
        abort(404)
    return household


def entity_or_404(entity_id: int, user: User) -> AgriEntity:
    entity = db.session.scalar(entities_in_scope(user).where(AgriEntity.id == entity_id))
    if entity is None:
        abort(404)
    return entity


def enterprises_in_scope(user: User) -> Select[tuple[Enterprise]]:
    """SMEs registered at a village, a township or the county itself: an office sees those
    in its subtree, a cadre those of her village. Bank officers and applicants will reach
    an SME only through its authorisation, which does not exist yet: none for now."""
    query = select(Enterprise)
    if user.role not in (Role.CADRE, Role.OFFICE):
        return query.where(false())
    return query.where(file_scope(Enterprise.region_code, Enterprise.county_code, user))


def enterprise_or_404(enterprise_id: int, user: User) -> Enterprise:
    enterprise = db.session.scalar(enterprises_in_scope(user).where(Enterprise.id == enterprise_id))
    if enterprise is None:
        abort(404)
    return enterprise


def villages_in_scope(user: User) -> list[Region]:
    return list(
        db.session.scalars(
            select(Region)
            .where(Region.level == RegionLevel.VILLAGE, in_scope(Region.code, user))
            .order_by(Region.code)
        )
    )


def villages_by_township(user: User) -> list[tuple[str, list[Region]]]:
    """The villages in scope grouped by township (name, villages), in code order: what a
    village picker shows as <optgroup>s."""
    villages = villages_in_scope(user)
    names = dict(
        db.session.execute(
            select(Region.code, Region.name).where(
                Region.code.in_({v.parent_code for v in villages if v.parent_code})
            )
        ).all()
    )
    groups: dict[str, list[Region]] = {}
    for village in villages:
        groups.setdefault(names.get(village.parent_code or "", ""), []).append(village)
    return list(groups.items())


def village_choices(user: User) -> dict[str, list[tuple[str, str]]]:
    """A WTForms SelectField's choices for a village: grouped by township (<optgroup>)."""
    return {
        township: [(v.code, v.name) for v in villages]
        for township, villages in villages_by_township(user)
    }


def region_in_scope(code: str, user: User) -> bool:
    return user.scope.contains(code)
