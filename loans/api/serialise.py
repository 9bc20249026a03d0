"""Objects of 信易贷 as the JSON the bank API answers (shapes documented in openapi.py).
Money and rates are decimal strings, so no bank system rounds them through a float."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask_babel import gettext

from loans.village_lines.lines import mask_name
from models import (
    FinancingNeed,
    LoanDecision,
    LoanProduct,
    NeedClaim,
    RepaymentEvent,
    VillageLine,
)


def plain(value: Any) -> Any:
    """A JSON-safe copy of a value read from a record (dates ISO, decimals as strings)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def product_json(product: LoanProduct) -> dict[str, Any]:
    return {
        "id": product.id,
        "code": product.code,
        "name": product.name,
        "product_type": product.product_type,
        "description": product.description,
        "amount_min": money(product.amount_min),
        "amount_max": money(product.amount_max),
        "term_min_months": product.term_min_months,
        "term_max_months": product.term_max_months,
        "rate_min": money(product.rate_min),
        "rate_max": money(product.rate_max),
        "subject_types": list(product.subject_types or []),
        "region_codes": list(product.region_codes or []),
        "min_grade": product.min_grade,
        "min_score": product.min_score,
        "tax_grades": list(product.tax_grades or []),
        "min_years_operating": product.min_years_operating,
        "collateral_required": product.collateral_required,
        "guarantee_required": product.guarantee_required,
        "valid_from": product.valid_from.isoformat(),
        "valid_to": product.valid_to.isoformat() if product.valid_to else None,
        "status": product.status,
        "version": product.version,
        "updated_at": plain(product.updated_at),
    }


def need_json(need: FinancingNeed, match: dict[str, Any] | None = None) -> dict[str, Any]:
    """A need as a bank sees it: no name or identifier (those are in the portrait, which is
    logged); the match fields when it comes from the queue."""
    body: dict[str, Any] = {
        "id": need.id,
        "subject_type": need.subject_type,
        "region_code": need.region_code,
        "amount": money(need.amount),
        "term_months": need.term_months,
        "purpose": need.purpose,
        "collateral": need.collateral,
        "guarantee": need.guarantee,
        "urgency": need.urgency,
        "status": need.status,
        "created_at": plain(need.created_at),
    }
    if match is not None:
        body.update(match)
    return body


def claim_json(claim: NeedClaim | None, bank_id: int, now: datetime) -> dict[str, Any] | None:
    """The claim that holds the need now, as this bank may know it (another bank's name is
    not shown)."""
    if claim is None or not claim.holds(now):
        return None
    mine = claim.bank_id == bank_id
    return {
        "mine": mine,
        "claimed_until": plain(claim.claimed_until) if mine else None,
        "product_id": claim.product_id if mine else None,
    }


def decision_json(decision: LoanDecision) -> dict[str, Any]:
    return {
        "id": decision.id,
        "need_id": decision.need_id,
        "product_id": decision.product_id,
        "outcome": decision.outcome,
        "amount": money(decision.amount),
        "rate": money(decision.rate),
        "term_months": decision.term_months,
        "reason_code": decision.reason_code,
        "reason_text": decision.reason_text,
        "score_points": decision.score_points,
        "score_model_version": decision.score_model_version,
        "decided_at": plain(decision.decided_at),
    }


def repayment_json(event: RepaymentEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "decision_id": event.decision_id,
        "kind": event.kind,
        "occurred_on": event.occurred_on.isoformat(),
        "days_overdue": event.days_overdue,
        "amount": money(event.amount),
        "note": event.note,
        "recorded_at": plain(event.recorded_at),
    }


def portrait_json(p: Any) -> dict[str, Any]:
    """The portrait (`loans.review.portrait.Portrait`): only what the authorisation's
    categories opened is filled in."""
    score = p.score
    return {
        "need_id": p.need.id,
        "subject_type": p.need.subject_type,
        "authorisation": {
            "id": p.authorisation.id,
            "purpose": p.authorisation.purpose,
            "data_categories": sorted(p.categories),
            "expires_at": plain(p.authorisation.expires_at),
        },
        "file": {
            "name": p.subject_name,
            "id_masked": p.id_masked,
            "facts": [{"label": gettext(label), "value": plain(v)} for label, v in p.file_facts],
        }
        if p.subject_name
        else None,
        "ratings": [
            {"year": r.year, "score": plain(r.score), "grade": r.grade, "status": plain(r.status)}
            for r in p.ratings
        ],
        "score": {
            "points": score.points,
            "probability": score.probability,
            "model_version": score.model_version,
            "as_of": score.as_of.isoformat(),
            "reasons": plain(score.reasons),
        }
        if score is not None
        else None,
        "records": [
            {
                "source": plain(section.source),
                "facts": plain(section.facts),
                "rows": plain(section.rows),
            }
            for section in (p.departmental.sections if p.departmental else [])
        ],
        "approved_loans": [decision_json(d) for d in p.decisions],
    }


def village_line_json(
    line: VillageLine, head_name: str, village_code: str, product_id: int, authorised: bool
) -> dict[str, Any]:
    """A 整村授信 line as its bank sees it: the household's name, amount and rate only while
    the household authorises the bank (as on the grant page), else the masked name."""
    return {
        "id": line.id,
        "grant_id": line.grant_id,
        "product_id": product_id,
        "village_code": village_code,
        "grade": line.grade,
        "status": line.status,
        "authorised": authorised,
        "household_id": line.household_id if authorised else None,
        "name": head_name if authorised else mask_name(head_name),
        "amount": money(line.amount) if authorised else None,
        "capped": line.capped if authorised else None,
        "rate": money(line.rate) if authorised else None,
        "need_id": line.need_id,
        "taken_up_at": plain(line.taken_up_at),
    }
