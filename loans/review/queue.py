"""The officer's queue: open needs matched to the bank's listed products whose subjects
authorise the bank now, one row per need (its best-ranked product of the bank), highest
score first, 50 to a page. Needs another bank holds are not in the pool; an expired claim
is back in it without anyone writing anything."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased

from models import (
    Authorisation,
    FinancingNeed,
    MatchResult,
    NeedClaim,
    NeedStatus,
    Region,
    code_range,
    db,
)

PAGE_SIZE = 50
# Counting every row of a busy bank's queue would cost more than the page itself: the count
# stops here and the page says "1000+".
COUNT_CAP = 1000
GRADES = ("AAA", "AA", "A", "none")
# Score bands (scorecard points, 300–900): key -> (lowest included, highest excluded).
SCORE_BANDS = {
    "lt550": (None, 550),
    "550-600": (550, 600),
    "600-650": (600, 650),
    "650-700": (650, 700),
    "ge700": (700, None),
    "none": (None, None),
}
CLAIMED = ("free", "mine")


@dataclass(frozen=True)
class QueueFilters:
    product_id: int | None = None
    region_code: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    grade: str | None = None
    score_band: str | None = None
    claimed: str | None = None  # "free": in the pool; "mine": held by this bank
    page: int = 1


def _decimal(value: str | None) -> Decimal | None:
    try:
        number = Decimal(value) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        return None
    return number if number is not None and number.is_finite() and number >= 0 else None


def parse_filters(args: Any, product_ids: set[int], region_codes: set[str]) -> QueueFilters:
    """Filters from the query string; a value outside the offered choices is ignored."""
    product = args.get("product", type=int)
    wan = {k: _decimal(args.get(k)) for k in ("amount_min", "amount_max")}
    return QueueFilters(
        product_id=product if product in product_ids else None,
        region_code=args.get("region") if args.get("region") in region_codes else None,
        amount_min=wan["amount_min"] * 10_000 if wan["amount_min"] is not None else None,
        amount_max=wan["amount_max"] * 10_000 if wan["amount_max"] is not None else None,
        grade=args.get("grade") if args.get("grade") in GRADES else None,
        score_band=args.get("score") if args.get("score") in SCORE_BANDS else None,
        claimed=args.get("claimed") if args.get("claimed") in CLAIMED else None,
        page=max(1, min(args.get("page", 1, type=int) or 1, 10_000)),
    )


def authorises(bank_id: int, now: datetime):
    """SQL: the need's subject authorises the bank at `now`."""
    return exists().where(
        Authorisation.bank_id == bank_id,
        Authorisation.subject_type == FinancingNeed.subject_type,
        Authorisation.subject_id == FinancingNeed.subject_id,
        Authorisation.granted_at <= now,
        Authorisation.expires_at > now,
        or_(Authorisation.revoked_at.is_(None), Authorisation.revoked_at > now),
    )


HELD = aliased(NeedClaim)  # a claim in force, apart from the outer join that reads it


def _held(now: datetime):
    """SQL: a claim holds the need now (the caller names whose)."""
    return exists().where(
        HELD.need_id == MatchResult.need_id,
        HELD.released_at.is_(None),
        HELD.claimed_until > now,
    )


def queue_query(bank_id: int, now: datetime, filters: QueueFilters):
    """One row per need: the bank's best product for it (or the filtered product), walked
    in queue order on the (bank_id, bank_rank, queue_order) index."""
    held = and_(
        NeedClaim.need_id == MatchResult.need_id,
        NeedClaim.released_at.is_(None),
        NeedClaim.claimed_until > now,
    )
    query = (
        select(
            FinancingNeed,
            MatchResult.product_id,
            MatchResult.score_points,
            MatchResult.credit_grade,
            MatchResult.approval_chance,
            NeedClaim.bank_id.label("claim_bank_id"),
            NeedClaim.claimed_until,
        )
        .join(FinancingNeed, FinancingNeed.id == MatchResult.need_id)
        .outerjoin(NeedClaim, held)
        .where(
            MatchResult.bank_id == bank_id,
            FinancingNeed.status == NeedStatus.OPEN.value,
            authorises(bank_id, now),
            # NOT EXISTS, not a filter on the outer join's columns: PostgreSQL misjudged how
            # many rows that filter keeps and sorted the bank's whole queue instead of
            # walking its index to the page (1.2 s at 100,000 needs); unused, the outer join
            # is dropped from the walk altogether.
            ~_held(now).where(HELD.bank_id != bank_id),
        )
    )
    if filters.product_id is not None:
        query = query.where(MatchResult.product_id == filters.product_id, MatchResult.rank > 0)
    else:
        query = query.where(MatchResult.bank_rank == 1)
    if filters.region_code:
        level = db.session.scalar(select(Region.level).where(Region.code == filters.region_code))
        low, high = code_range(filters.region_code, level or "village")
        query = query.where(FinancingNeed.region_code.between(low, high))
    if filters.amount_min is not None:
        query = query.where(FinancingNeed.amount >= filters.amount_min)
    if filters.amount_max is not None:
        query = query.where(FinancingNeed.amount <= filters.amount_max)
    if filters.grade == "none":
        query = query.where(MatchResult.credit_grade.is_(None))
    elif filters.grade:
        query = query.where(MatchResult.credit_grade == filters.grade)
    if filters.score_band == "none":
        query = query.where(MatchResult.queue_order == -1)
    elif filters.score_band:
        low_points, high_points = SCORE_BANDS[filters.score_band]
        if low_points is not None:
            query = query.where(MatchResult.queue_order >= low_points)
        if high_points is not None:
            query = query.where(MatchResult.queue_order < high_points)
        query = query.where(MatchResult.queue_order >= 0)
    if filters.claimed == "free":
        query = query.where(~_held(now))
    elif filters.claimed == "mine":
        query = query.where(_held(now))  # another bank's claims are out of the queue already
    return query


@dataclass(frozen=True)
class QueuePage:
    rows: list[Any]
    total: int  # capped at COUNT_CAP
    page: int
    pages: int

    @property
    def more(self) -> bool:
        return self.total >= COUNT_CAP


QUEUE_ORDER = (MatchResult.queue_order.desc(), MatchResult.need_id.desc())


def _ordered_ids(query, reach: int) -> list[int]:
    """The queue's need ids in order, up to `reach`: light rows off the queue's index."""
    return list(
        db.session.scalars(
            query.with_only_columns(MatchResult.need_id).order_by(*QUEUE_ORDER).limit(reach)
        )
    )


def _rows_of(query, need_ids: list[int]) -> list[Any]:
    if not need_ids:
        return []
    return db.session.execute(
        query.where(MatchResult.need_id.in_(need_ids)).order_by(*QUEUE_ORDER)
    ).all()


def queue_window(
    bank_id: int, now: datetime, filters: QueueFilters, page: int, per_page: int
) -> tuple[list[Any], int]:
    """The rows of one page in queue order, and the queue's length capped at COUNT_CAP.

    One walk of the queue's index gives both: the need ids in order up to the cap (or to the
    page's end, if further) count the queue and place the page; then only the page's needs
    are read whole. Counting and then skipping with OFFSET walked the same rows twice, each
    through the joins, and a deep page paid for every row before it."""
    query = queue_query(bank_id, now, filters)
    ids = _ordered_ids(query, max(COUNT_CAP, page * per_page))
    rows = _rows_of(query, ids[(page - 1) * per_page : page * per_page])
    return rows, min(len(ids), COUNT_CAP)


def queue_page(bank_id: int, now: datetime, filters: QueueFilters) -> QueuePage:
    """A page of the officer's queue; a page past the last shows the last."""
    query = queue_query(bank_id, now, filters)
    ids = _ordered_ids(query, COUNT_CAP)
    total = len(ids)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(filters.page, pages)
    rows = _rows_of(query, ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    return QueuePage(rows, total, page, pages)


def in_queue(bank_id: int, need_id: int, now: datetime) -> bool:
    """Whether the need is in the bank's queue now (matched, authorised, not another's)."""
    query = queue_query(bank_id, now, QueueFilters()).where(FinancingNeed.id == need_id)
    return db.session.execute(query.limit(1)).first() is not None
