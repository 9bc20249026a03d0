"""整村授信 operations: the product's line table, the preview and the grant (prepared by one
officer, approved by another), withdrawal, a household taking its line up as a financing
need, and the uptake figures banks and villages see.

Each state change is a conditional update on the row's status, so a double click or two
officers at once move it once; the unique (product, village, year) key makes a second grant
of the same village impossible whichever way it is tried.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from agri_credit.rating_cycle.publication.services import household_grade_now
from loans.authorisations import services as authorisations
from loans.needs import services as needs
from loans.products.services import EDITABLE, listed_products_query
from loans.scoring.current import current_scores
from models import (
    RATING_GRADES,
    Authorisation,
    FinancingNeed,
    GrantStatus,
    Household,
    LineStatus,
    LoanDecision,
    LoanProduct,
    ProductType,
    Region,
    RegionLevel,
    User,
    VillageLine,
    VillageLineGrant,
    VillageLineTerms,
    db,
    utcnow,
)

from .lines import GradeFigures, LineTerms, compute_lines, line_rate, summarise, summary_json
from .village_status import VillageStatus, village_status

# What a household authorises the bank to read when it takes its line up: its file, rating
# and score (none of the categories that need the explicit consent after a warning).
TAKE_UP_CATEGORIES = ["file", "rating", "score"]
TAKE_UP_PURPOSE = "整村授信用信审查"
MAX_VALIDITY_DAYS = 3 * 366  # a line longer than three years is a typo


class LinesRefused(ValueError):
    """A step the rules refuse; the message is Chinese and shown as is."""


# ---- the product's line table ---------------------------------------------------------------


def terms_of(product_id: int) -> VillageLineTerms | None:
    return db.session.get(VillageLineTerms, product_id)


def line_terms(row: VillageLineTerms) -> LineTerms:
    return LineTerms(
        grade_amounts={g: Decimal(str(a)) for g, a in (row.grade_amounts or {}).items()},
        cap_below_points=row.cap_below_points,
        cap_amount=row.cap_amount,
        credit_household_discount=row.credit_household_discount,
        credit_village_discount=row.credit_village_discount,
    )


def default_terms_data(config: Any) -> dict[str, Any]:
    """The form's values for a product without a table yet (discounts from the config)."""
    amounts = config["VILLAGE_LINE_GRADE_AMOUNTS"]
    return {
        "amount_aaa": Decimal(str(amounts["AAA"])),
        "amount_aa": Decimal(str(amounts["AA"])),
        "amount_a": Decimal(str(amounts["A"])),
        "cap_below_points": config["VILLAGE_LINE_CAP_BELOW_POINTS"],
        "cap_amount": Decimal(str(config["VILLAGE_LINE_CAP_AMOUNT"])),
        "credit_household_discount": Decimal(str(config["VILLAGE_LINE_CREDIT_HOUSEHOLD_DISCOUNT"])),
        "credit_village_discount": Decimal(str(config["VILLAGE_LINE_CREDIT_VILLAGE_DISCOUNT"])),
    }


def terms_form_data(row: VillageLineTerms) -> dict[str, Any]:
    amounts = row.grade_amounts or {}
    return {
        "amount_aaa": Decimal(str(amounts.get("AAA", 0))),
        "amount_aa": Decimal(str(amounts.get("AA", 0))),
        "amount_a": Decimal(str(amounts.get("A", 0))),
        "cap_below_points": row.cap_below_points,
        "cap_amount": row.cap_amount,
        "credit_household_discount": row.credit_household_discount,
        "credit_village_discount": row.credit_village_discount,
    }


def save_terms(product: LoanProduct, data: dict[str, Any], user: User) -> VillageLineTerms:
    """Write the table of a 整村授信 product still in 草稿 or 下架 (a listed product's terms
    change only through a new listing: maker-checker, as its other fields)."""
    if product.product_type != ProductType.VILLAGE.value:
        raise LinesRefused("只有“整村授信”类产品可以设置授信额度表")
    if product.status not in EDITABLE:
        raise LinesRefused("产品上架或待审核期间不能修改额度表，请先下架或退回草稿")
    row = terms_of(product.id) or VillageLineTerms(product_id=product.id)
    row.grade_amounts = {
        "AAA": float(data["amount_aaa"]),
        "AA": float(data["amount_aa"]),
        "A": float(data["amount_a"]),
    }
    row.cap_below_points = data["cap_below_points"]
    row.cap_amount = data["cap_amount"] if data["cap_below_points"] is not None else None
    row.credit_household_discount = data["credit_household_discount"]
    row.credit_village_discount = data["credit_village_discount"]
    row.updated_by_id = user.id
    row.updated_at = utcnow()
    db.session.add(row)
    db.session.flush()
    return row


# ---- preview ----------------------------------------------------------------------------------


def village_households(village_code: str, today: date) -> pd.DataFrame:
    """The village's households with their grade effective today and their current score:
    household_id, head_name, grade (None below the credit grades), points (NaN: 暂无评分)."""
    grade = household_grade_now(today)
    rows = db.session.execute(
        select(Household.id, Household.head_name, grade.label("grade"))
        .where(Household.village_code == village_code)
        .order_by(Household.id)
    ).all()
    frame = pd.DataFrame(
        [tuple(r) for r in rows], columns=["household_id", "head_name", "grade"]
    ).astype({"household_id": "int64"})
    rated = frame.loc[frame["grade"].isin(RATING_GRADES), "household_id"].tolist()
    scores = current_scores("household", rated) if rated else pd.DataFrame(columns=["points"])
    points = frame["household_id"].map(scores["points"]) if len(scores) else float("nan")
    return frame.assign(points=pd.Series(points, index=frame.index, dtype="float64"))


@dataclass(frozen=True)
class Preview:
    product: LoanProduct
    village: Region
    status: VillageStatus
    terms: LineTerms | None
    rate: Decimal | None
    households: pd.DataFrame
    lines: pd.DataFrame
    figures: list[GradeFigures]
    existing: VillageLineGrant | None

    @property
    def total_amount(self) -> float:
        return float(self.lines["amount"].sum()) if len(self.lines) else 0.0

    @property
    def refusal(self) -> str | None:
        """Why this village cannot be granted now, or None."""
        if self.status.refusal:
            return self.status.refusal
        if self.terms is None:
            return "该产品尚未设置授信额度表，请先设置"
        if self.existing is not None:
            return (
                f"本产品已对该村{self.status.year}年度整村授信（批次 #{self.existing.id}，"
                f"{self.existing.status_label}），不重复授信"
            )
        if not len(self.lines):
            return "该村没有可授信的信用户"
        return None


def existing_grant(product_id: int, village_code: str, year: int | None) -> VillageLineGrant | None:
    if year is None:
        return None
    return db.session.scalar(
        select(VillageLineGrant).where(
            VillageLineGrant.product_id == product_id,
            VillageLineGrant.village_code == village_code,
            VillageLineGrant.year == year,
        )
    )


def preview(product: LoanProduct, village: Region, today: date) -> Preview:
    status = village_status(village.code, today)
    row = terms_of(product.id)
    terms = line_terms(row) if row is not None else None
    households = village_households(village.code, today)
    lines = compute_lines(households, terms) if terms else households.iloc[0:0]
    return Preview(
        product=product,
        village=village,
        status=status,
        terms=terms,
        rate=line_rate(product.rate_min, product.rate_max, terms) if terms else None,
        households=households,
        lines=lines if terms else pd.DataFrame(columns=["grade", "amount", "capped"]),
        figures=summarise(households, lines) if terms else [],
        existing=existing_grant(product.id, village.code, status.year),
    )


def grantable_products(bank_id: int, today: date) -> list[LoanProduct]:
    """The bank's listed 整村授信 products valid today."""
    return list(
        db.session.scalars(
            listed_products_query(today)
            .where(
                LoanProduct.bank_id == bank_id,
                LoanProduct.product_type == ProductType.VILLAGE.value,
            )
            .order_by(LoanProduct.id)
        )
    )


def village_or_none(code: str) -> Region | None:
    region = db.session.get(Region, code)
    return region if region is not None and region.level == RegionLevel.VILLAGE else None


# ---- grant: prepare, approve, withdraw -----------------------------------------------------


def prepare(
    product: LoanProduct, village: Region, valid_to: date, user: User, today: date
) -> VillageLineGrant:
    """The maker's step: record the grant with the preview's figures; its lines are written
    when another officer of the bank approves it."""
    if product.bank_id != user.bank_id:
        raise LinesRefused("只能以本行产品授信")
    if product not in grantable_products(user.bank_id, today):
        raise LinesRefused("只能以本行已上架的“整村授信”产品授信")
    _check_validity(product, valid_to, today)
    seen = preview(product, village, today)
    if seen.refusal:
        raise LinesRefused(seen.refusal)
    grant = VillageLineGrant(
        product_id=product.id,
        bank_id=product.bank_id,
        village_code=village.code,
        year=seen.status.year,
        region_rating_id=seen.status.rating.id,
        status=GrantStatus.PENDING.value,
        valid_to=valid_to,
        summary=summary_json(seen.figures),
        households=len(seen.lines),
        total_amount=Decimal(str(round(seen.total_amount, 2))),
        prepared_by_id=user.id,
        prepared_at=utcnow(),
    )
    try:
        with db.session.begin_nested():  # two officers at once: the unique key says no
            db.session.add(grant)
    except IntegrityError:
        raise LinesRefused("本产品已对该村本年度整村授信，不重复授信") from None
    return grant


def _check_validity(product: LoanProduct, valid_to: date, today: date) -> None:
    if valid_to <= today:
        raise LinesRefused("授信有效期止须晚于今天")
    if valid_to > today + timedelta(days=MAX_VALIDITY_DAYS):
        raise LinesRefused("授信有效期最长三年")
    if product.valid_to is not None and valid_to > product.valid_to:
        raise LinesRefused(f"授信有效期不能晚于产品有效期止（{product.valid_to.isoformat()}）")


def approve(grant: VillageLineGrant, user: User, today: date) -> int:
    """The checker's step: another officer of the bank approves, and every line is written
    in one INSERT from the lines computed now (grades and scores as of today). Returns the
    number of lines."""
    if grant.status != GrantStatus.PENDING.value:
        raise LinesRefused("只有待复核的授信可以审核通过")
    if user.id == grant.prepared_by_id:
        raise LinesRefused("不能复核自己提交的授信，须由本行另一名信贷员复核")
    if user.bank_id != grant.bank_id:
        raise LinesRefused("只能复核本行的授信")
    product = db.session.get(LoanProduct, grant.product_id)
    if product not in grantable_products(grant.bank_id, today):
        raise LinesRefused("该产品已不在上架期内，不能授信")
    village = db.session.get(Region, grant.village_code)
    seen = preview(product, village, today)
    if seen.status.refusal:
        raise LinesRefused(seen.status.refusal)
    if seen.status.year != grant.year:
        raise LinesRefused("该村的信用村评定年度已变化，请撤回后重新授信")
    if not len(seen.lines):
        raise LinesRefused("该村没有可授信的信用户")
    moved = db.session.execute(
        update(VillageLineGrant)
        .where(
            VillageLineGrant.id == grant.id,
            VillageLineGrant.status == GrantStatus.PENDING.value,
        )
        .values(
            status=GrantStatus.APPROVED.value,
            approved_by_id=user.id,
            approved_at=utcnow(),
            valid_from=today,
            summary=summary_json(seen.figures),
            households=len(seen.lines),
            total_amount=Decimal(str(round(seen.total_amount, 2))),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise LinesRefused("授信状态已变化，请刷新")
    write_lines(grant.id, seen.lines, seen.rate)
    db.session.refresh(grant)
    return len(seen.lines)


def write_lines(grant_id: int, lines: pd.DataFrame, rate: Decimal) -> None:
    """Every line of a grant in bulk (no loop over ORM rows)."""
    frame = pd.DataFrame(
        {
            "grant_id": grant_id,
            "household_id": lines["household_id"].astype("int64"),
            "grade": lines["grade"],
            "score_points": lines["score_points"]
            .astype(object)
            .where(lines["score_points"].notna(), None),
            "grade_amount": lines["grade_amount"].round(2),
            "amount": lines["amount"].round(2),
            "capped": lines["capped"].astype(bool),
            "rate": float(rate),
            "status": LineStatus.ACTIVE.value,
        }
    )
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for start in range(0, len(rows), 5_000):
        db.session.execute(insert(VillageLine.__table__), rows[start : start + 5_000])


def withdraw_grant(grant: VillageLineGrant, user: User, reason: str) -> int:
    """Withdraw a grant (or cancel a pending one): its lines not yet taken up end at once; a
    line already turned into a need stays with that need. Returns the lines withdrawn."""
    if user.bank_id != grant.bank_id:
        raise LinesRefused("只能撤回本行的授信")
    moved = db.session.execute(
        update(VillageLineGrant)
        .where(
            VillageLineGrant.id == grant.id,
            VillageLineGrant.status.in_([GrantStatus.PENDING.value, GrantStatus.APPROVED.value]),
        )
        .values(
            status=GrantStatus.WITHDRAWN.value,
            withdrawn_by_id=user.id,
            withdrawn_at=utcnow(),
            withdraw_reason=reason,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise LinesRefused("该授信已撤回")
    ended = db.session.execute(
        update(VillageLine)
        .where(VillageLine.grant_id == grant.id, VillageLine.status == LineStatus.ACTIVE.value)
        .values(status=LineStatus.WITHDRAWN.value, withdrawn_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(grant)
    return ended


def withdraw_line(line: VillageLine, user: User) -> None:
    if user.bank_id != line.grant.bank_id:
        raise LinesRefused("只能撤回本行的授信")
    moved = db.session.execute(
        update(VillageLine)
        .where(VillageLine.id == line.id, VillageLine.status == LineStatus.ACTIVE.value)
        .values(status=LineStatus.WITHDRAWN.value, withdrawn_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise LinesRefused("只有可用信的额度可以撤回")
    db.session.refresh(line)


# ---- the household's line: take it up as a need ------------------------------------------------


def usable(line: VillageLine, today: date) -> bool:
    grant = line.grant
    return (
        line.status == LineStatus.ACTIVE.value
        and grant.status == GrantStatus.APPROVED.value
        and grant.valid_from is not None
        and grant.valid_from <= today <= grant.valid_to
    )


def take_up(
    line: VillageLine,
    household: Household,
    user: User,
    today: date,
    household_consent_id: int | None,
) -> FinancingNeed:
    """Turn the line into a financing need (amount, term and product filled in) and authorise
    the line's bank to read the household's file, rating and score for it, in one step."""
    if not usable(line, today):
        raise LinesRefused("该授信额度已用信、已撤回或不在有效期内")
    product = db.session.scalar(
        listed_products_query(today).where(LoanProduct.id == line.grant.product_id)
    )
    if product is None:
        raise LinesRefused("该授信所属产品已下架，请联系银行")
    need = needs.post_need(
        "household",
        household.id,
        household.village_code,
        {
            "amount": line.amount,
            "term_months": product.term_max_months,
            "purpose": f"整村授信用信（{product.name}）",
            "collateral": "none",
            "collateral_note": "",
            "guarantee": "none",
            "urgency": "normal",
        },
        user,
    )
    moved = db.session.execute(
        update(VillageLine)
        .where(VillageLine.id == line.id, VillageLine.status == LineStatus.ACTIVE.value)
        .values(status=LineStatus.TAKEN_UP.value, need_id=need.id, taken_up_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise LinesRefused("该授信额度已用信")
    authorisations.grant(
        subject_type="household",
        subject_id=household.id,
        bank_id=line.grant.bank_id,
        product=product,
        purpose=TAKE_UP_PURPOSE,
        categories=TAKE_UP_CATEGORIES,
        explicit_consent=False,
        valid_until=min(line.grant.valid_to, today + timedelta(days=365)),
        today=today,
        user=user,
        household_consent_id=household_consent_id,
    )
    db.session.refresh(line)
    return need


def household_lines(household_id: int) -> list[VillageLine]:
    """The household's lines of grants approved, newest first (withdrawn ones too: the
    household should see that a line ended)."""
    return list(
        db.session.scalars(
            select(VillageLine)
            .join(VillageLineGrant, VillageLineGrant.id == VillageLine.grant_id)
            .where(
                VillageLine.household_id == household_id,
                VillageLineGrant.status != GrantStatus.PENDING.value,
            )
            .order_by(VillageLineGrant.approved_at.desc(), VillageLine.id.desc())
        )
    )


# ---- uptake ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Uptake:
    lines: int
    taken_up: int
    approved: int
    amount_granted: float
    amount_approved: float


def uptake_by_grant(grant_ids: list[int]) -> dict[int, Uptake]:
    """Per grant: lines, lines turned into needs, needs the grant's bank approved and their
    amounts. One grouped query."""
    if not grant_ids:
        return {}
    approved = (
        select(
            LoanDecision.need_id,
            LoanDecision.bank_id,
            func.max(LoanDecision.amount).label("amount"),
        )
        .where(LoanDecision.outcome == "approved")
        .group_by(LoanDecision.need_id, LoanDecision.bank_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            VillageLine.grant_id,
            func.count(),
            func.count(VillageLine.need_id),
            func.count(approved.c.need_id),
            func.coalesce(func.sum(VillageLine.amount), 0),
            func.coalesce(func.sum(approved.c.amount), 0),
        )
        .join(VillageLineGrant, VillageLineGrant.id == VillageLine.grant_id)
        .outerjoin(
            approved,
            and_(
                approved.c.need_id == VillageLine.need_id,
                approved.c.bank_id == VillageLineGrant.bank_id,
            ),
        )
        .where(VillageLine.grant_id.in_(grant_ids))
        .group_by(VillageLine.grant_id)
    ).all()
    return {
        grant_id: Uptake(int(n), int(taken), int(ok), float(granted), float(used))
        for grant_id, n, taken, ok, granted, used in rows
    }


def bank_grants(bank_id: int):
    """The bank's grants, newest first (a select to paginate)."""
    return (
        select(VillageLineGrant)
        .where(VillageLineGrant.bank_id == bank_id)
        .order_by(VillageLineGrant.prepared_at.desc(), VillageLineGrant.id.desc())
    )


def village_grants(village_code: str) -> list[VillageLineGrant]:
    """The village's grants that were approved (withdrawn ones after approval too)."""
    return list(
        db.session.scalars(
            select(VillageLineGrant)
            .where(
                VillageLineGrant.village_code == village_code,
                VillageLineGrant.approved_at.is_not(None),
            )
            .order_by(VillageLineGrant.approved_at.desc(), VillageLineGrant.id.desc())
        )
    )


def grant_lines_query(grant_id: int):
    """A grant's lines, best grade first (a select to paginate; `with_details` adds names).
    Not by amount: the order of masked rows must not tell which lines the score capped."""
    grade_order = case({"AAA": 0, "AA": 1, "A": 2}, value=VillageLine.grade, else_=3)
    return (
        select(VillageLine)
        .where(VillageLine.grant_id == grant_id)
        .order_by(grade_order, VillageLine.id)
    )


def with_details(page_lines: list[VillageLine]) -> list[tuple[VillageLine, str, str | None]]:
    """(line, household head's name, its need's status) for a page of lines: one query."""
    if not page_lines:
        return []
    details = {
        line_id: (name, status)
        for line_id, name, status in db.session.execute(
            select(VillageLine.id, Household.head_name, FinancingNeed.status)
            .join(Household, Household.id == VillageLine.household_id)
            .outerjoin(FinancingNeed, FinancingNeed.id == VillageLine.need_id)
            .where(VillageLine.id.in_([line.id for line in page_lines]))
        ).all()
    }
    return [(line, *details[line.id]) for line in page_lines]


def approved_amounts(need_ids: list[int], bank_id: int) -> dict[int, Decimal]:
    """Amount the bank approved per need (for a page of lines)."""
    if not need_ids:
        return {}
    return dict(
        db.session.execute(
            select(LoanDecision.need_id, func.max(LoanDecision.amount))
            .where(
                LoanDecision.need_id.in_(need_ids),
                LoanDecision.bank_id == bank_id,
                LoanDecision.outcome == "approved",
            )
            .group_by(LoanDecision.need_id)
        ).all()
    )


def authorised_households(bank_id: int, household_ids: list[int]) -> dict[int, Authorisation]:
    """The bank's authorisation in force per household of a page (the latest-expiring)."""
    if not household_ids:
        return {}
    found: dict[int, Authorisation] = {}
    for authorisation in db.session.scalars(
        authorisations.active_authorisations_query(bank_id, "household")
        .where(Authorisation.subject_id.in_(household_ids))
        .order_by(Authorisation.expires_at, Authorisation.id)
    ):
        found[authorisation.subject_id] = authorisation
    return found


def bank_lines_query(bank_id: int, grant_id: int | None = None, status: str | None = None):
    """The bank's lines with the household head's name and the grant's village and product,
    newest grant first (a select to count and page)."""
    query = (
        select(
            VillageLine,
            Household.head_name,
            VillageLineGrant.village_code,
            VillageLineGrant.product_id,
        )
        .join(VillageLineGrant, VillageLineGrant.id == VillageLine.grant_id)
        .join(Household, Household.id == VillageLine.household_id)
        .where(VillageLineGrant.bank_id == bank_id)
        .order_by(VillageLineGrant.id.desc(), VillageLine.id)
    )
    if grant_id is not None:
        query = query.where(VillageLine.grant_id == grant_id)
    if status is not None:
        query = query.where(VillageLine.status == status)
    return query
