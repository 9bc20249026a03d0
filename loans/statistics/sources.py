"""The rows the statistics are computed from, read set-based for one region range: needs,
the banks each need reached (current matches, claims, decisions), decisions, product types
and each subject's first loan start in the banks' ledgers. No figure is computed here."""

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select

from models import (
    Bank,
    FinancingNeed,
    LoanDecision,
    LoanProduct,
    LoanRecord,
    MatchResult,
    NeedClaim,
    SubjectKey,
    db,
)

NEED_COLUMNS = [
    "need_id",
    "subject_type",
    "subject_id",
    "region_code",
    "created_at",
    "first_matched_at",
]
DECISION_COLUMNS = [
    "decision_id",
    "need_id",
    "bank_id",
    "product_id",
    "outcome",
    "amount",
    "reason_code",
    "decided_at",
    "review_requested_at",
]
KEY_COLUMNS = {
    "household": SubjectKey.household_id,
    "entity": SubjectKey.entity_id,
    "enterprise": SubjectKey.enterprise_id,
}


@dataclass(frozen=True)
class Sources:
    """Plain rows of one region range (every bank; the figures filter)."""

    needs: pd.DataFrame  # NEED_COLUMNS
    matches: pd.DataFrame  # need_id, bank_id, product_id: each bank's best eligible product now
    claims: pd.DataFrame  # need_id, bank_id, product_id: the need's current or last claim
    decisions: pd.DataFrame  # DECISION_COLUMNS
    product_types: dict[int, str]  # product id -> ProductType key
    bank_names: dict[int, str]  # bank id -> short name
    ledger_first: pd.DataFrame  # subject_type, subject_id, first_start: earliest ledger loan


def _frame(query, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in db.session.execute(query)], columns=columns)


def read_sources(low: str, high: str) -> Sources:
    """Everything about the needs whose region lies in [low, high]."""
    in_range = FinancingNeed.region_code.between(low, high)
    needs = _frame(
        select(
            FinancingNeed.id,
            FinancingNeed.subject_type,
            FinancingNeed.subject_id,
            FinancingNeed.region_code,
            FinancingNeed.created_at,
            FinancingNeed.first_matched_at,
        ).where(in_range),
        NEED_COLUMNS,
    )
    matches = _frame(
        select(MatchResult.need_id, MatchResult.bank_id, MatchResult.product_id)
        .join(FinancingNeed, FinancingNeed.id == MatchResult.need_id)
        .where(in_range, MatchResult.bank_rank == 1),
        ["need_id", "bank_id", "product_id"],
    )
    claims = _frame(
        select(NeedClaim.need_id, NeedClaim.bank_id, NeedClaim.product_id)
        .join(FinancingNeed, FinancingNeed.id == NeedClaim.need_id)
        .where(in_range),
        ["need_id", "bank_id", "product_id"],
    )
    decisions = _frame(
        select(
            LoanDecision.id,
            LoanDecision.need_id,
            LoanDecision.bank_id,
            LoanDecision.product_id,
            LoanDecision.outcome,
            LoanDecision.amount,
            LoanDecision.reason_code,
            LoanDecision.decided_at,
            LoanDecision.review_requested_at,
        )
        .join(FinancingNeed, FinancingNeed.id == LoanDecision.need_id)
        .where(in_range),
        DECISION_COLUMNS,
    )
    product_types = dict(db.session.execute(select(LoanProduct.id, LoanProduct.product_type)).all())
    bank_names = dict(db.session.execute(select(Bank.id, Bank.short_name)).all())
    return Sources(
        needs=needs,
        matches=matches,
        claims=claims,
        decisions=decisions,
        product_types=product_types,
        bank_names=bank_names,
        ledger_first=_ledger_first(needs, decisions),
    )


def _ledger_first(needs: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The earliest loan start the banks' ledgers (五级分类 files, any version) show for each
    subject that got an approval on the platform: only those can be first loans."""
    columns = ["subject_type", "subject_id", "first_start"]
    approved = decisions.loc[decisions["outcome"] == "approved", "need_id"]
    subjects = needs[needs["need_id"].isin(approved)]
    parts = []
    for kind, group in subjects.groupby("subject_type"):
        key = KEY_COLUMNS[str(kind)]
        ids = sorted({int(i) for i in group["subject_id"]})
        for start in range(0, len(ids), 5_000):
            rows = db.session.execute(
                select(key, func.min(LoanRecord.start_on))
                .join(SubjectKey, SubjectKey.id == LoanRecord.subject_key_id)
                .where(key.in_(ids[start : start + 5_000]))
                .group_by(key)
            ).all()
            parts += [(str(kind), int(i), d) for i, d in rows]
    return pd.DataFrame(parts, columns=columns)
