"""What the applicant's match page shows for one need: every listed product, the eligible
ones ranked with the estimated approval chance, the others with each failed rule explained.

Computed from the current need, subject and products with the engine's own rules (a few
milliseconds for 800 products), so the page can never show an older result than the data."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from models import PRODUCT_TYPE_LABELS, Bank, FinancingNeed, LoanProduct, db

from .reasons import ProductExplanation, explain_need
from .store import needs_frame, products_frame, region_names, subject_facts


@dataclass(frozen=True)
class ProductLine:
    """What the page shows of a product (read as plain rows: 800 ORM objects cost more)."""

    id: int
    name: str
    type_label: str
    bank_name: str
    amount_min: Decimal
    amount_max: Decimal
    term_min_months: int
    term_max_months: int
    rate_min: Decimal
    rate_max: Decimal


@dataclass(frozen=True)
class MatchLine:
    product: ProductLine
    explanation: ProductExplanation


@dataclass(frozen=True)
class NeedMatches:
    eligible: list[MatchLine]
    not_fitting: list[MatchLine]
    score_points: float | None


def need_row(need: FinancingNeed, day: date) -> dict:
    """The need in the engine's columns, whatever its status (a closed need still explains)."""
    frame = needs_frame(day, [need.id])
    if not frame.empty:
        return frame.iloc[0].to_dict()
    facts = subject_facts(need.subject_type, [need.subject_id], day).iloc[0].to_dict()
    return {
        "need_id": need.id,
        "subject_type": need.subject_type,
        "subject_id": need.subject_id,
        "region_code": need.region_code,
        "amount": float(need.amount),
        "term_months": need.term_months,
        "has_collateral": need.has_collateral,
        "has_guarantee": need.has_guarantee,
        **facts,
    }


def need_matches(need: FinancingNeed, day: date, translate: Callable[[str], str]) -> NeedMatches:
    products = products_frame(day)
    row = need_row(need, day)
    if products.empty:
        return NeedMatches([], [], row.get("score_points"))
    codes = {row["region_code"], *(c for cs in products["region_codes"] for c in cs)}
    explained = explain_need(row, products, region_names=region_names(codes), translate=translate)
    rows = db.session.execute(
        select(
            LoanProduct.id,
            LoanProduct.name,
            LoanProduct.product_type,
            func.coalesce(func.nullif(Bank.short_name, ""), Bank.name),
            LoanProduct.amount_min,
            LoanProduct.amount_max,
            LoanProduct.term_min_months,
            LoanProduct.term_max_months,
            LoanProduct.rate_min,
            LoanProduct.rate_max,
        )
        .join(Bank, Bank.id == LoanProduct.bank_id)
        .where(LoanProduct.id.in_(products["product_id"].tolist()))
    ).all()
    by_id = {
        r[0]: ProductLine(r[0], r[1], PRODUCT_TYPE_LABELS.get(r[2], r[2]), *r[3:]) for r in rows
    }
    lines = [MatchLine(by_id[e.product_id], e) for e in explained]
    points = row.get("score_points")
    return NeedMatches(
        [line for line in lines if line.explanation.eligible],
        [line for line in lines if not line.explanation.eligible],
        None if points is None or points != points else float(points),
    )
