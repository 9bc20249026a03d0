"""Who may do what in 信易贷, and the scoped lookups every loans route uses, so a view cannot
forget the scope: 404 for objects outside it.

- the county credit office (an office whose node is the county or wider) registers banks;
- an officer works inside his bank (`users.bank_id`);
- an applicant acts for her own subject (`users.subject_type` / `subject_id`);
- a cadre acts for a household of her village, once its signed consent is on file.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import func, select

from models import (
    AgriEntity,
    Enterprise,
    Household,
    HouseholdConsent,
    RegionLevel,
    Role,
    User,
    db,
)

COUNTY_OR_WIDER = {RegionLevel.COUNTY, RegionLevel.CITY, RegionLevel.PROVINCE}


def is_county_office(user: User) -> bool:
    return user.role == Role.OFFICE and RegionLevel(user.scope.level) in COUNTY_OR_WIDER


def county_office_required(view: Callable) -> Callable:
    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not is_county_office(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def officer_required(view: Callable) -> Callable:
    """An officer with a bank; an officer account not yet tied to a bank has no loans pages."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.role != Role.OFFICER or current_user.bank_id is None:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def acting_required(view: Callable) -> Callable:
    """Applicants and cadres: the two roles that post needs and grant authorisations."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.role not in (Role.APPLICANT, Role.CADRE):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@dataclass(frozen=True)
class Subject:
    """The household, entity or enterprise a page acts for."""

    type: str
    id: int
    name: str
    region_code: str


def _load_subject(subject_type: str, subject_id: int) -> Subject | None:
    if subject_type == "household":
        row = db.session.get(Household, subject_id)
        return row and Subject("household", row.id, row.head_name, row.village_code)
    if subject_type == "entity":
        row = db.session.get(AgriEntity, subject_id)
        return row and Subject("entity", row.id, row.name, row.village_code)
    if subject_type == "enterprise":
        row = db.session.get(Enterprise, subject_id)
        return row and Subject("enterprise", row.id, row.name, row.region_code)
    return None


def own_subject(user: User) -> Subject | None:
    """The subject an applicant account acts for, or None (not an applicant / not linked)."""
    if user.role != Role.APPLICANT or not user.subject_type or user.subject_id is None:
        return None
    return _load_subject(user.subject_type, user.subject_id)


def may_act_for(user: User, subject_type: str, subject_id: int) -> Subject | None:
    """The subject when the user may see and act for it: the applicant's own, or a household
    of the cadre's village. None otherwise (the caller answers 404)."""
    if user.role == Role.APPLICANT:
        subject = own_subject(user)
        if subject and subject.type == subject_type and subject.id == subject_id:
            return subject
        return None
    if user.role == Role.CADRE and subject_type == "household":
        subject = _load_subject(subject_type, subject_id)
        if subject and subject.region_code == user.scope_code:
            return subject
    return None


def subject_or_404(user: User, subject_type: str, subject_id: int) -> Subject:
    subject = may_act_for(user, subject_type, subject_id)
    if subject is None:
        abort(404)
    return subject


def _in_force(today: date):
    return (
        HouseholdConsent.revoked_at.is_(None),
        HouseholdConsent.valid_from <= today,
        HouseholdConsent.valid_to >= today,
    )


def consents_in_force(household_ids: list[int], today: date) -> dict[int, date]:
    """The last valid day of each household's consent in force today (one query a page)."""
    rows = db.session.execute(
        select(HouseholdConsent.household_id, func.max(HouseholdConsent.valid_to))
        .where(HouseholdConsent.household_id.in_(household_ids), *_in_force(today))
        .group_by(HouseholdConsent.household_id)
    ).all()
    return dict(rows)


def valid_consent(household_id: int, today: date) -> HouseholdConsent | None:
    """The household's signed consent in force today (the newest), or None."""
    return db.session.scalar(
        select(HouseholdConsent)
        .where(HouseholdConsent.household_id == household_id, *_in_force(today))
        .order_by(HouseholdConsent.valid_to.desc(), HouseholdConsent.id.desc())
        .limit(1)
    )
