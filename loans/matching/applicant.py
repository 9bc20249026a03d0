"""What the applicant's match page shows for one need: every listed product, the eligible
ones ranked with the estimated approval chance, the others with each failed rule explained.

Computed from the current need, subject and products with the engine's own rules (a few
milliseconds for 800 products), so the page can never show an older result than the data."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from models import FinancingNeed, LoanProduct, db

from .reasons import ProductExplanation, explain_need
from .store import needs_frame, products_frame, region_names, subject_facts


@dataclass(frozen=True)
class MatchLine:
    product: LoanProduct
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
    by_id = {
        p.id: p
        for p in db.session.scalars(
            select(LoanProduct).where(LoanProduct.id.in_([e.product_id for e in explained]))
        )
    }
    lines = [MatchLine(by_id[e.product_id], e) for e in explained]
    points = row.get("score_points")
    return NeedMatches(
        [line for line in lines if line.explanation.eligible],
        [line for line in lines if not line.explanation.eligible],
        None if points is None or points != points else float(points),
    )
