"""The statistics counted by the database: GROUP BY queries over the needs of one region
range, returning small grouped rows (one per month × subject type × township, one per bank ×
product type, one per outcome × reason). `figures.combine` adds those up into the page's
tables, so no row per need ever reaches Python.

Dates follow the county calendar: a need posted at 20:00 UTC on the last day of a month
counts in the next month. SQLite and PostgreSQL name their date functions differently, so
the few expressions that shift a UTC instant into the county's day are built per dialect
from the zone's UTC offset (the county zone, Asia/Shanghai, has had no daylight saving since
1991; a zone whose offset changes inside the period is refused rather than miscounted).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    Integer,
    Interval,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from models import (
    FinancingNeed,
    LoanDecision,
    LoanProduct,
    LoanRecord,
    MatchResult,
    NeedClaim,
    SubjectKey,
    VillageLine,
    VillageLineGrant,
    db,
)

NO_PRODUCT = "none"  # a claim or decision that named no product (type unknown)
KEY_COLUMNS = {
    "household": SubjectKey.household_id,
    "entity": SubjectKey.entity_id,
    "enterprise": SubjectKey.enterprise_id,
}
NAMELESS, PRODUCT_SPAN = 3, 10_000_000_000  # see _links
NEED_GROUPS = ["month", "subject_type", "township"]
LINK_GROUPS = ["bank_id", "product_type"]
SUMS = ["posted", "matched", "claimed", "approved", "amount", "first_loans", "rejected"]


@dataclass(frozen=True)
class Grouped:
    """The database's answer: every figure, summed per small group."""

    needs: pd.DataFrame  # NEED_GROUPS + SUMS + decided, days_sum
    links: pd.DataFrame  # LINK_GROUPS + SUMS (without posted) + decided, days_sum
    decisions: pd.DataFrame  # outcome, reason_code, decisions, reviews
    village_lines: pd.DataFrame  # bank_id, product_type, granted, amount, taken_up, taken_amount


@dataclass(frozen=True)
class Dialect:
    """Date arithmetic of the connected database, for one fixed UTC offset."""

    name: str
    minutes: int

    def shifted(self, moment: ColumnElement) -> ColumnElement:
        """The county's wall-clock time of a naive UTC column (PostgreSQL)."""
        return moment + literal(timedelta(minutes=self.minutes), Interval)

    def local_day(self, moment: ColumnElement) -> ColumnElement:
        if self.name == "sqlite":
            return func.date(moment, f"{self.minutes:+d} minutes")
        return cast(self.shifted(moment), Date)

    def local_month(self, moment: ColumnElement) -> ColumnElement:
        """'YYYY-MM' of the county's calendar."""
        if self.name == "sqlite":
            return func.strftime("%Y-%m", moment, f"{self.minutes:+d} minutes")
        return func.to_char(self.shifted(moment), "YYYY-MM")

    def days_between(self, later: ColumnElement, earlier: ColumnElement) -> ColumnElement:
        if self.name == "sqlite":
            return func.julianday(later) - func.julianday(earlier)
        return cast(func.extract("epoch", later - earlier), Float) / 86_400.0


def fixed_offset_minutes(zone: str, first: date, last: date) -> int:
    """The zone's UTC offset over [first, last] in minutes; one offset or a ValueError."""
    tz = ZoneInfo(zone)
    offsets = {
        datetime(d.year, d.month, d.day, 12, tzinfo=tz).utcoffset()
        for d in (first, last, date(first.year, 1, 1), date(first.year, 7, 1))
    }
    if len(offsets) != 1:
        raise ValueError(f"zone {zone} changes its UTC offset inside the period")
    return int(offsets.pop().total_seconds() // 60)


def township_expr(region_code: ColumnElement) -> ColumnElement:
    """The 12-digit township code of a village or township code."""
    return func.substr(region_code, 1, 9) + "000"


def _first_loans(low: str, high: str, sql: Dialect):
    """Ids of the approvals that were their subject's first loan: the subject's earliest
    approval on the platform (any bank, any time, by decision time then id), with no loan in
    the banks' ledgers starting before the need was posted (county calendar). Over every
    decision of the range before any filter, so choosing a bank cannot turn a second loan
    into a first one."""
    need = FinancingNeed
    approvals = (
        select(
            LoanDecision.id.label("decision_id"),
            need.subject_type,
            need.subject_id,
            need.created_at,
            func.row_number()
            .over(
                partition_by=(need.subject_type, need.subject_id),
                order_by=(LoanDecision.decided_at, LoanDecision.id),
            )
            .label("nth"),
        )
        .join(need, need.id == LoanDecision.need_id)
        .where(need.region_code.between(low, high), LoanDecision.outcome == "approved")
        .subquery("approvals")
    )
    earlier_ledger_loan = or_(
        *(
            and_(
                approvals.c.subject_type == kind,
                exists().where(
                    SubjectKey.id == LoanRecord.subject_key_id,
                    key == approvals.c.subject_id,
                    LoanRecord.start_on < sql.local_day(approvals.c.created_at),
                ),
            )
            for kind, key in KEY_COLUMNS.items()
        )
    )
    return (
        select(approvals.c.decision_id)
        .where(approvals.c.nth == 1, not_(earlier_ledger_loan))
        .cte("first_loans")
    )


def _needs(low: str, high: str, filters, sql: Dialect, start: datetime, end: datetime):
    need = FinancingNeed
    query = select(
        need.id.label("need_id"),
        need.subject_type,
        need.created_at,
        need.first_matched_at,
        sql.local_month(need.created_at).label("month"),
        township_expr(need.region_code).label("township"),
    ).where(need.region_code.between(low, high), need.created_at >= start, need.created_at < end)
    if filters.subject_type:
        query = query.where(need.subject_type == filters.subject_type)
    if filters.township:
        query = query.where(township_expr(need.region_code) == filters.township)
    return query.cte("period_needs")


def _links(needs, filters):
    """One row per (need, bank) the need reached: the bank's best product matches it now,
    or the bank claimed or decided it; with the most telling product's type (a decision's,
    else a claim's, else the match's)."""
    parts = [
        select(
            table.need_id, table.bank_id, table.product_id, literal(source, Integer).label("src")
        )
        .join(needs, needs.c.need_id == table.need_id)
        .where(*extra)
        for source, table, extra in (
            (0, LoanDecision, ()),
            (1, NeedClaim, ()),
            (2, MatchResult, (MatchResult.bank_rank == 1,)),
        )
    ]
    rows = union_all(*parts).subquery("reached")
    # One GROUP BY per (need, bank) instead of a window and a filter: the smallest key is
    # the most telling named product (source first, then the lowest id); a row naming no
    # product ranks after every named one.
    rank = case((rows.c.product_id.is_(None), NAMELESS), else_=rows.c.src)
    span = literal(PRODUCT_SPAN, BigInteger)  # PostgreSQL would read it as int4 otherwise
    key = func.min(cast(rank, BigInteger) * span + func.coalesce(rows.c.product_id, 0))
    pairs = (
        select(
            rows.c.need_id,
            rows.c.bank_id,
            key.label("key"),
            case((func.min(rows.c.src) < 2, 1), else_=0).label("claimed"),
        )
        .group_by(rows.c.need_id, rows.c.bank_id)
        .subquery("pairs")
    )
    product_id = case((pairs.c.key < literal(NAMELESS, BigInteger) * span, pairs.c.key % span))
    product_type = func.coalesce(LoanProduct.product_type, NO_PRODUCT)
    query = select(
        pairs.c.need_id,
        pairs.c.bank_id,
        pairs.c.claimed,
        product_type.label("product_type"),
    ).outerjoin(LoanProduct, LoanProduct.id == product_id)
    if filters.bank_id is not None:
        query = query.where(pairs.c.bank_id == filters.bank_id)
    if filters.product_type:
        query = query.where(product_type == filters.product_type)
    return query.cte("links")


def read_grouped(low: str, high: str, filters, zone: str) -> Grouped:
    """Every figure for the needs of [low, high] posted in the filters' period (county
    calendar), summed per group by the database."""
    sql = Dialect(
        db.engine.dialect.name, fixed_offset_minutes(zone, filters.date_from, filters.date_to)
    )
    shift = timedelta(minutes=sql.minutes)
    start = datetime.combine(filters.date_from, datetime.min.time()) - shift
    end = datetime.combine(filters.date_to + timedelta(days=1), datetime.min.time()) - shift
    needs = _needs(low, high, filters, sql, start, end)
    links = _links(needs, filters)
    first = _first_loans(low, high, sql)

    if sql.name == "sqlite":
        # IN (…): SQLite indexes the list once, while its planner left a join to the CTE
        # unindexed when bound with parameters (a scan of it per decision: 60 s at 100,000).
        in_first = LoanDecision.id.in_(select(first.c.decision_id))
        first_count = func.coalesce(func.sum(case((in_first, 1), else_=0)), 0)
        first_join: tuple = ()
    else:
        # A hash join: PostgreSQL ran the IN's subquery three times over (0.3 s each).
        first_count = func.count(first.c.decision_id)
        first_join = (first, first.c.decision_id == LoanDecision.id)
    on_links = and_(
        LoanDecision.need_id == links.c.need_id, LoanDecision.bank_id == links.c.bank_id
    )
    approved = LoanDecision.outcome == "approved"
    rejected = LoanDecision.outcome == "rejected"
    final_at = case((or_(approved, rejected), LoanDecision.decided_at))
    per_link = (
        select(
            links.c.need_id,
            links.c.bank_id,
            links.c.product_type,
            links.c.claimed,
            func.coalesce(func.max(case((approved, 1), else_=0)), 0).label("approved"),
            func.coalesce(func.sum(case((approved, LoanDecision.amount))), 0).label("amount"),
            first_count.label("first_loans"),
            func.coalesce(func.sum(case((rejected, 1), else_=0)), 0).label("rejected"),
            func.min(final_at).label("decided_at"),
        )
        .select_from(links)
        .outerjoin(LoanDecision, on_links)
        .group_by(links.c.need_id, links.c.bank_id, links.c.product_type, links.c.claimed)
    )
    if first_join:
        per_link = per_link.outerjoin(*first_join)
    per_link = per_link.cte("per_link")
    by_need = (
        select(
            per_link.c.need_id,
            func.max(per_link.c.claimed).label("claimed"),
            func.max(per_link.c.approved).label("approved"),
            func.sum(per_link.c.amount).label("amount"),
            func.sum(per_link.c.first_loans).label("first_loans"),
            func.sum(per_link.c.rejected).label("rejected"),
            func.min(per_link.c.decided_at).label("decided_at"),
        )
        .group_by(per_link.c.need_id)
        .subquery("by_need")
    )
    reached = by_need.c.need_id.isnot(None)
    per_need = select(
        needs.c.month,
        needs.c.subject_type,
        needs.c.township,
        case((or_(needs.c.first_matched_at.isnot(None), reached), 1), else_=0).label("matched"),
        func.coalesce(by_need.c.claimed, 0).label("claimed"),
        func.coalesce(by_need.c.approved, 0).label("approved"),
        func.coalesce(by_need.c.amount, 0).label("amount"),
        func.coalesce(by_need.c.first_loans, 0).label("first_loans"),
        func.coalesce(by_need.c.rejected, 0).label("rejected"),
        sql.days_between(by_need.c.decided_at, needs.c.created_at).label("days"),
    )
    if filters.bank_id is not None or filters.product_type:
        # With a bank or a product type chosen, only the needs that reached it count.
        per_need = per_need.join(by_need, by_need.c.need_id == needs.c.need_id)
    else:
        per_need = per_need.outerjoin(by_need, by_need.c.need_id == needs.c.need_id)
    per_need = per_need.subquery("per_need")
    need_rows = select(
        literal("need").label("kind"),
        *(per_need.c[g] for g in NEED_GROUPS),
        func.count().label("posted"),
        *(func.sum(per_need.c[c]).label(c) for c in SUMS[1:]),
        func.count(per_need.c.days).label("decided"),
        func.sum(per_need.c.days).label("days_sum"),
    ).group_by(*(per_need.c[g] for g in NEED_GROUPS))
    link_days = sql.days_between(per_link.c.decided_at, needs.c.created_at)
    link_rows = (
        select(
            literal("link"),
            cast(per_link.c.bank_id, String),
            per_link.c.product_type,
            null(),
            null(),
            func.count(),
            *(func.sum(per_link.c[c]) for c in SUMS[2:]),
            func.count(link_days),
            func.sum(link_days),
        )
        .join(needs, needs.c.need_id == per_link.c.need_id)
        .group_by(per_link.c.bank_id, per_link.c.product_type)
    )
    decision_rows = (
        select(
            literal("decision"),
            LoanDecision.outcome,
            LoanDecision.reason_code,
            null(),
            func.count(),  # decisions
            func.count(LoanDecision.review_requested_at),  # reviews asked
            *(null() for _ in SUMS),  # claimed … days_sum
        )
        .join(links, on_links)
        .group_by(LoanDecision.outcome, LoanDecision.reason_code)
    )
    # One statement: the needs, links and first loans are worked out once and feed all
    # three groupings (three statements computed them three times).
    rows = _frame(
        union_all(need_rows, link_rows, decision_rows),
        ["kind", *NEED_GROUPS, *SUMS, "decided", "days_sum"],
    )
    links_part = rows[rows["kind"] == "link"].rename(
        columns={"month": "bank_id", "subject_type": "product_type"}
    )
    links_part["bank_id"] = links_part["bank_id"].astype("int64")
    decisions_part = rows[rows["kind"] == "decision"].rename(
        columns={
            "month": "outcome",
            "subject_type": "reason_code",
            "posted": "decisions",
            "matched": "reviews",
        }
    )
    return Grouped(
        needs=rows.loc[rows["kind"] == "need", [*NEED_GROUPS, *SUMS, "decided", "days_sum"]],
        links=links_part[[*LINK_GROUPS, *SUMS[1:], "decided", "days_sum"]],
        decisions=decisions_part[["outcome", "reason_code", "decisions", "reviews"]],
        village_lines=_village_lines(low, high, filters, start, end),
    )


def _village_lines(low: str, high: str, filters, start: datetime, end: datetime) -> pd.DataFrame:
    """整村授信 per bank and product type: households' lines granted in the period (grant
    approved then, by the county calendar), their amount, and how many of them the
    households have taken up (turned into a financing need) so far."""
    grant, line = VillageLineGrant, VillageLine
    taken = line.status == "taken_up"
    query = (
        select(
            grant.bank_id,
            LoanProduct.product_type,
            func.count(line.id).label("granted"),
            func.coalesce(func.sum(line.amount), 0).label("amount"),
            func.coalesce(func.sum(case((taken, 1), else_=0)), 0).label("taken_up"),
            func.coalesce(func.sum(case((taken, line.amount), else_=0)), 0).label("taken_amount"),
        )
        .join(line, line.grant_id == grant.id)
        .join(LoanProduct, LoanProduct.id == grant.product_id)
        .where(
            grant.village_code.between(low, high),
            grant.approved_at.isnot(None),
            grant.approved_at >= start,
            grant.approved_at < end,
        )
        .group_by(grant.bank_id, LoanProduct.product_type)
    )
    if filters.bank_id is not None:
        query = query.where(grant.bank_id == filters.bank_id)
    if filters.product_type:
        query = query.where(LoanProduct.product_type == filters.product_type)
    if filters.township:
        query = query.where(township_expr(grant.village_code) == filters.township)
    if filters.subject_type and filters.subject_type != "household":
        query = query.where(literal(False))  # lines are households' only
    columns = ["bank_id", "product_type", "granted", "amount", "taken_up", "taken_amount"]
    return _frame(query, columns)


def _frame(query, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in db.session.execute(query)], columns=columns)
