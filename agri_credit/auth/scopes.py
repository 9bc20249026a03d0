"""Scope-aware queries: every list, detail, export and API answer starts here, so a view
cannot forget to limit what a user sees to her node of the region tree."""

from flask import abort
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute

from models import AgriEntity, Household, Region, RegionLevel, User, code_range, db


def in_scope(column: InstrumentedAttribute[str], user: User) -> ColumnElement[bool]:
    low, high = code_range(user.scope_code, user.scope.level)
    return column.between(low, high)


def households_in_scope(user: User) -> Select[tuple[Household]]:
    return select(Household).where(in_scope(Household.village_code, user))


def entities_in_scope(user: User) -> Select[tuple[AgriEntity]]:
    return select(AgriEntity).where(in_scope(AgriEntity.village_code, user))


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


def villages_in_scope(user: User) -> list[Region]:
    return list(
        db.session.scalars(
            select(Region)
            .where(Region.level == RegionLevel.VILLAGE, in_scope(Region.code, user))
            .order_by(Region.code)
        )
    )


def region_in_scope(code: str, user: User) -> bool:
    return user.scope.contains(code)
