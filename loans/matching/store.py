"""Reads the engine's two frames from the database: listed products and open needs with the
facts of their subjects (grade, score, 纳税信用等级, years operating). Set-based queries, one
per source and subject type, never a loop over ORM rows."""

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select

from loans.products.services import listed_products_query
from loans.scoring.current import current_scores
from models import (
    AgriEntity,
    Enterprise,
    FinancingNeed,
    Household,
    LoanProduct,
    NeedStatus,
    Region,
    SubjectKey,
    TaxRecord,
    db,
)

PRODUCT_COLUMNS = {
    LoanProduct.id: "product_id",
    LoanProduct.bank_id: "bank_id",
    LoanProduct.version: "product_version",
    LoanProduct.amount_min: "amount_min",
    LoanProduct.amount_max: "amount_max",
    LoanProduct.term_min_months: "term_min",
    LoanProduct.term_max_months: "term_max",
    LoanProduct.rate_min: "rate_min",
    LoanProduct.rate_max: "rate_max",
    LoanProduct.subject_types: "subject_types",
    LoanProduct.region_codes: "region_codes",
    LoanProduct.min_grade: "min_grade",
    LoanProduct.min_score: "min_score",
    LoanProduct.tax_grades: "tax_grades",
    LoanProduct.min_years_operating: "min_years",
    LoanProduct.collateral_required: "requires_collateral",
    LoanProduct.guarantee_required: "requires_guarantee",
}
NEED_COLUMNS = {
    FinancingNeed.id: "need_id",
    FinancingNeed.version: "need_version",
    FinancingNeed.subject_type: "subject_type",
    FinancingNeed.subject_id: "subject_id",
    FinancingNeed.region_code: "region_code",
    FinancingNeed.amount: "amount",
    FinancingNeed.term_months: "term_months",
    FinancingNeed.collateral: "collateral",
    FinancingNeed.guarantee: "guarantee",
}
KEY_COLUMN = {
    "household": SubjectKey.household_id,
    "entity": SubjectKey.entity_id,
    "enterprise": SubjectKey.enterprise_id,
}


def _frame(query, columns: dict) -> pd.DataFrame:
    rows = db.session.execute(query.with_only_columns(*columns)).all()
    return pd.DataFrame(rows, columns=list(columns.values()))


def products_frame(today: date, product_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """The products listed today, in the engine's columns plus bank_id and product_version."""
    query = listed_products_query(today).order_by(LoanProduct.id)
    if product_ids is not None:
        query = query.where(LoanProduct.id.in_(list(product_ids)))
    frame = _frame(query, PRODUCT_COLUMNS)
    for column in ("amount_min", "amount_max", "rate_min", "rate_max", "min_score", "min_years"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    for column in ("subject_types", "region_codes", "tax_grades"):
        frame[column] = frame[column].map(lambda v: list(v or []))
    frame["min_grade"] = frame["min_grade"].astype(object)
    return frame


def _years_since(founded: pd.Series, today: date) -> pd.Series:
    days = (pd.Timestamp(today) - pd.to_datetime(founded)).dt.days
    return days / 365.25


def subject_facts(subject_type: str, ids: list[int], today: date) -> pd.DataFrame:
    """credit_grade, score_points, tax_grade and years_operating of subjects of one type,
    indexed by subject_id (missing where the subject has none)."""
    facts = pd.DataFrame(index=pd.Index(ids, name="subject_id"))
    if not ids:
        return facts.assign(
            credit_grade=None, score_points=np.nan, tax_grade=None, years_operating=np.nan
        )
    if subject_type == "household":
        rows = db.session.execute(
            select(Household.id, Household.credit_grade).where(Household.id.in_(ids))
        ).all()
        files = pd.DataFrame(rows, columns=["subject_id", "credit_grade"]).assign(founded=None)
    else:
        model = AgriEntity if subject_type == "entity" else Enterprise
        grade = AgriEntity.credit_grade if subject_type == "entity" else None
        columns = [model.id, model.founded_on] + ([grade] if grade is not None else [])
        rows = db.session.execute(select(*columns).where(model.id.in_(ids))).all()
        names = ["subject_id", "founded"] + (["credit_grade"] if grade is not None else [])
        files = pd.DataFrame(rows, columns=names)
        if grade is None:
            files["credit_grade"] = None
    files = files.set_index("subject_id")
    facts["credit_grade"] = files["credit_grade"].reindex(facts.index).astype(object)
    facts["years_operating"] = _years_since(files["founded"], today).reindex(facts.index)

    scores = current_scores(subject_type, ids)
    facts["score_points"] = scores["points"].reindex(facts.index).astype(float)

    key = KEY_COLUMN[subject_type]
    tax = db.session.execute(
        select(key, TaxRecord.year, TaxRecord.month, TaxRecord.tax_grade)
        .join(SubjectKey, SubjectKey.id == TaxRecord.subject_key_id)
        .where(key.in_(ids), TaxRecord.superseded_by_id.is_(None), TaxRecord.tax_grade.is_not(None))
    ).all()
    tax = pd.DataFrame(tax, columns=["subject_id", "year", "month", "tax_grade"])
    latest = tax.sort_values(["year", "month"]).groupby("subject_id")["tax_grade"].last()
    facts["tax_grade"] = latest.reindex(facts.index).astype(object)
    return facts


def needs_frame(today: date, need_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Open needs (of `need_ids`, or all) in the engine's columns plus need_version."""
    query = select(FinancingNeed).where(FinancingNeed.status == NeedStatus.OPEN.value)
    if need_ids is not None:
        query = query.where(FinancingNeed.id.in_(list(need_ids)))
    frame = _frame(query.order_by(FinancingNeed.id), NEED_COLUMNS)
    frame["amount"] = frame["amount"].astype(float)
    frame["has_collateral"] = frame.pop("collateral") != "none"
    frame["has_guarantee"] = frame.pop("guarantee") != "none"
    parts = []
    for kind, group in frame.groupby("subject_type", sort=False):
        facts = subject_facts(str(kind), sorted({int(i) for i in group["subject_id"]}), today)
        parts.append(group.join(facts, on="subject_id"))
    if not parts:
        return frame.assign(
            credit_grade=None, score_points=np.nan, tax_grade=None, years_operating=np.nan
        )
    return pd.concat(parts).sort_values("need_id").reset_index(drop=True)


def region_names(codes: Iterable[str]) -> dict[str, str]:
    """Region names for reasons ("所在地区为某村"), by 12-digit code."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = db.session.execute(select(Region.code, Region.name).where(Region.code.in_(wanted)))
    return dict(rows.all())
