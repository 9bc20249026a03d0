"""Financing needs (融资需求): posting, editing, withdrawing, and the queries matching reads.
An edit or withdrawal is a conditional update on (status, version): a double click or a
second tab changes the need once."""

from typing import Any

from sqlalchemy import Select, select, update

from models import FinancingNeed, NeedStatus, Role, User, db, utcnow

FIELDS = (
    "amount",
    "term_months",
    "purpose",
    "collateral",
    "collateral_note",
    "guarantee",
    "urgency",
)


class NeedRefused(ValueError):
    """A change the rules refuse; Chinese message."""


def open_needs_query() -> Select[tuple[FinancingNeed]]:
    """Needs still looking for a lender."""
    return select(FinancingNeed).where(FinancingNeed.status == NeedStatus.OPEN.value)


def needs_for_user(user: User) -> Select[tuple[FinancingNeed]]:
    """An applicant's own subject's needs; a cadre's village households' needs."""
    query = select(FinancingNeed)
    if user.role == Role.APPLICANT and user.subject_type and user.subject_id is not None:
        query = query.where(
            FinancingNeed.subject_type == user.subject_type,
            FinancingNeed.subject_id == user.subject_id,
        )
    elif user.role == Role.CADRE:
        query = query.where(
            FinancingNeed.subject_type == "household",
            FinancingNeed.region_code == user.scope_code,
        )
    else:
        query = query.where(FinancingNeed.id.is_(None))
    return query.order_by(FinancingNeed.created_at.desc(), FinancingNeed.id.desc())


def data_from_form(form: Any) -> dict[str, Any]:
    return {
        "amount": form.amount.data,
        "term_months": form.term_months.data,
        "purpose": form.purpose.data.strip(),
        "collateral": form.collateral.data,
        "collateral_note": (form.collateral_note.data or "").strip(),
        "guarantee": form.guarantee.data,
        "urgency": form.urgency.data,
    }


def form_data(need: FinancingNeed) -> dict[str, Any]:
    data = {name: getattr(need, name) for name in FIELDS}
    data["version"] = need.version
    return data


def post_need(
    subject_type: str, subject_id: int, region_code: str, data: dict[str, Any], user: User
) -> FinancingNeed:
    need = FinancingNeed(
        subject_type=subject_type,
        subject_id=subject_id,
        region_code=region_code,
        status=NeedStatus.OPEN.value,
        created_by_id=user.id,
        **{name: data[name] for name in FIELDS},
    )
    db.session.add(need)
    db.session.flush()
    return need


def _move(need: FinancingNeed, values: dict[str, Any], version: int | None) -> None:
    stale = "需求已被修改或状态已变化，请刷新后再试"
    if version is None or version != need.version:
        raise NeedRefused(stale)
    result = db.session.execute(
        update(FinancingNeed)
        .where(
            FinancingNeed.id == need.id,
            FinancingNeed.status == NeedStatus.OPEN.value,
            FinancingNeed.version == version,
        )
        .values(version=FinancingNeed.version + 1, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise NeedRefused(stale)
    db.session.refresh(need)


def update_need(need: FinancingNeed, data: dict[str, Any], version: int | None) -> None:
    if need.status != NeedStatus.OPEN.value:
        raise NeedRefused("只有待对接的需求可以修改")
    _move(need, {name: data[name] for name in FIELDS}, version)


def withdraw(need: FinancingNeed, version: int | None) -> None:
    if need.status != NeedStatus.OPEN.value:
        raise NeedRefused("只有待对接的需求可以撤回")
    _move(need, {"status": NeedStatus.WITHDRAWN.value, "withdrawn_at": utcnow()}, version)
