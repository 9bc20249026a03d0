"""Authorisations (授权): granting, revoking, the check every bank read goes through, and the
use log the applicant sees.

`active_authorisation` and `record_use` are the interface the officer's queue and portrait
call: a bank reads a subject's data only while an authorisation covers it, and every read is
written to the log.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select

from models import (
    N_,
    SENSITIVE_CATEGORIES,
    Authorisation,
    AuthorisationUse,
    DataCategory,
    LoanProduct,
    User,
    db,
    utc_start_of,
    utcnow,
)

# The version of the warning and consent text shown when granting; stored on each grant.
CONSENT_TEXT_VERSION = "2026-12-v1"
MAX_PERIOD_DAYS = 366  # an authorisation is for a limited time: at most a year


class AuthorisationRefused(ValueError):
    """A grant or revocation the rules refuse; the message is Chinese and shown as is."""


def needs_explicit_consent(categories: Iterable[str]) -> bool:
    """Income, deposits, real estate and tax amounts need explicit consent after a warning."""
    return any(DataCategory(c) in SENSITIVE_CATEGORIES for c in categories)


def active_authorisations_query(
    bank_id: int,
    subject_type: str,
    subject_id: int | None = None,
    category: str | None = None,
    at: datetime | None = None,
):
    """Select the bank's authorisations in force at `at` (now by default). The category is
    checked in Python by callers of `active_authorisation` (JSON lists differ per backend)."""
    moment = at or utcnow()
    query = select(Authorisation).where(
        Authorisation.bank_id == bank_id,
        Authorisation.subject_type == subject_type,
        Authorisation.granted_at <= moment,
        Authorisation.expires_at > moment,
        or_(Authorisation.revoked_at.is_(None), Authorisation.revoked_at > moment),
    )
    if subject_id is not None:
        query = query.where(Authorisation.subject_id == subject_id)
    return query


def active_authorisation(
    bank_id: int,
    subject_type: str,
    subject_id: int,
    category: str | None = None,
    at: datetime | None = None,
) -> Authorisation | None:
    """The authorisation that lets `bank_id` read the subject's data (of `category`, when
    given) at `at`, or None: the caller then shows nothing (404). The latest-expiring one
    wins when several cover it."""
    rows = db.session.scalars(
        active_authorisations_query(bank_id, subject_type, subject_id, at=at).order_by(
            Authorisation.expires_at.desc(), Authorisation.id.desc()
        )
    ).all()
    for authorisation in rows:
        if category is None or category in (authorisation.data_categories or []):
            return authorisation
    return None


def authorised_subject_ids(bank_id: int, subject_type: str, at: datetime | None = None) -> set[int]:
    """Every subject of a type that authorises the bank now (for queues and filters)."""
    query = active_authorisations_query(bank_id, subject_type, at=at).with_only_columns(
        Authorisation.subject_id
    )
    return set(db.session.scalars(query))


def record_use(
    authorisation: Authorisation,
    user: User | None,
    what: str,
    category: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuthorisationUse:
    """Write one read of the subject's data to the use log the applicant sees (the caller
    commits with its request)."""
    use = AuthorisationUse(
        authorisation_id=authorisation.id,
        user_id=user.id if user is not None else None,
        bank_id=authorisation.bank_id,
        category=category,
        what=what[:200],
        detail=detail or {},
        used_at=utcnow(),
    )
    db.session.add(use)
    db.session.flush()
    return use


def grant(
    *,
    subject_type: str,
    subject_id: int,
    bank_id: int,
    product: LoanProduct | None,
    purpose: str,
    categories: list[str],
    explicit_consent: bool,
    valid_until: date,
    today: date,
    user: User,
    household_consent_id: int | None = None,
) -> Authorisation:
    """Record a grant. The period runs from now to the end of `valid_until` (county calendar).
    Sensitive categories without the explicit consent are refused."""
    if not categories:
        raise AuthorisationRefused("请至少选择一类授权查询的数据")
    unknown = [c for c in categories if c not in {d.value for d in DataCategory}]
    if unknown:
        raise AuthorisationRefused("数据类别无效")
    if needs_explicit_consent(categories) and not explicit_consent:
        raise AuthorisationRefused("授权收入、资产或纳税数据须先阅读提示并勾选明确同意")
    if valid_until < today:
        raise AuthorisationRefused("授权截止日期不能早于今天")
    if valid_until > today + timedelta(days=MAX_PERIOD_DAYS):
        raise AuthorisationRefused("授权期限最长一年")
    if product is not None and product.bank_id != bank_id:
        raise AuthorisationRefused("所选产品不属于该银行")
    authorisation = Authorisation(
        subject_type=subject_type,
        subject_id=subject_id,
        bank_id=bank_id,
        product_id=product.id if product is not None else None,
        purpose=purpose,
        data_categories=list(categories),
        explicit_consent=bool(explicit_consent and needs_explicit_consent(categories)),
        consent_text_version=CONSENT_TEXT_VERSION,
        granted_at=utcnow(),
        expires_at=utc_start_of(valid_until + timedelta(days=1)),
        granted_by_id=user.id,
        household_consent_id=household_consent_id,
    )
    db.session.add(authorisation)
    db.session.flush()
    return authorisation


def revoke(authorisation: Authorisation, user: User) -> bool:
    """Revoke at once with a conditional update (a double click revokes once). Returns False
    when it was already revoked."""
    moment = utcnow()
    result = db.session.execute(
        Authorisation.__table__.update()
        .where(Authorisation.id == authorisation.id, Authorisation.revoked_at.is_(None))
        .values(revoked_at=moment, revoked_by_id=user.id)
    )
    db.session.refresh(authorisation)
    return result.rowcount == 1


def status_of(authorisation: Authorisation, at: datetime) -> str:
    """有效 / 已撤销 / 已过期 as a key (labels in STATUS_LABELS)."""
    if authorisation.revoked_at is not None and authorisation.revoked_at <= at:
        return "revoked"
    if authorisation.expires_at <= at:
        return "expired"
    return "active"


STATUS_LABELS = {"active": N_("有效"), "revoked": N_("已撤销"), "expired": N_("已过期")}


def uses_of(authorisation_id: int) -> list[AuthorisationUse]:
    return list(
        db.session.scalars(
            select(AuthorisationUse)
            .where(AuthorisationUse.authorisation_id == authorisation_id)
            .order_by(AuthorisationUse.used_at.desc(), AuthorisationUse.id.desc())
        )
    )
