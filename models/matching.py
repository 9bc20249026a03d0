"""信易贷 matching results, claims (抢单) and loan officers' decisions.

A match result is one eligible (need, product) pair as the engine last evaluated it: the rank
among the need's eligible products, and the versions of the need and product and the score it
used, so that a result can be checked against the data it came from. Pairs that do not fit are
not stored (a product change would rewrite needs × products rows): why a product does not fit
a need is recomputed for that one need when its page is opened.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .i18n import N_
from .loans import NEED_STATUS_LABELS, Bank, FinancingNeed, LoanProduct
from .users import User

# A need an officer approved leaves the pool (NeedStatus keeps open / withdrawn / closed).
NEED_APPROVED = "approved"
NEED_STATUS_LABELS[NEED_APPROVED] = N_("已获批")


class MatchResult(db.Model):
    __tablename__ = "match_results"
    __table_args__ = (
        # The officer's queue walks a bank's best pair per need in queue order; the product
        # page and the queue filtered by product walk one product's eligible pairs.
        Index("ix_match_results_bank_queue", "bank_id", "bank_rank", "queue_order", "need_id"),
        Index("ix_match_results_product_rank", "product_id", "rank", "queue_order"),
    )

    need_id: Mapped[int] = mapped_column(
        ForeignKey("financing_needs.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("loan_products.id", ondelete="CASCADE"), primary_key=True
    )
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))  # the product's bank
    failures: Mapped[int]  # Rule bitmask; always 0, as only eligible pairs are stored
    rank: Mapped[int] = mapped_column(default=0)  # 1 = best eligible product; 0: not eligible
    # 1 = the best eligible product of this bank for the need (one queue row per need).
    bank_rank: Mapped[int] = mapped_column(default=0)
    # The queue's order without NULLs, so one index serves both backends: the score
    # points, or -1 without a score (last).
    queue_order: Mapped[int] = mapped_column(default=-1)
    rank_key: Mapped[float | None] = mapped_column(Float, default=None)
    approval_chance: Mapped[float | None] = mapped_column(Float, default=None)
    # What the result was computed from.
    need_version: Mapped[int]
    product_version: Mapped[int]
    score_points: Mapped[int | None] = mapped_column(default=None)
    credit_grade: Mapped[str | None] = mapped_column(String(4), default=None)
    matched_at: Mapped[datetime] = mapped_column(default=utcnow)

    need: Mapped[FinancingNeed] = relationship()
    product: Mapped[LoanProduct] = relationship()


class NeedClaim(db.Model):
    """The current (or last) claim (抢单) of a need: one bank holds it until `claimed_until`,
    then it returns to the pool without anyone writing anything. Claiming is a conditional
    update of this row (or its first insert), so two banks cannot both win."""

    __tablename__ = "need_claims"

    need_id: Mapped[int] = mapped_column(
        ForeignKey("financing_needs.id", ondelete="CASCADE"), primary_key=True
    )
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("loan_products.id"), default=None)
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime]  # naive UTC
    released_at: Mapped[datetime | None] = mapped_column(default=None)

    bank: Mapped[Bank] = relationship()
    officer: Mapped[User] = relationship()

    def holds(self, at: datetime) -> bool:
        return self.released_at is None and at < self.claimed_until


class DecisionOutcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    MORE_MATERIAL = "more_material"


DECISION_OUTCOME_LABELS = {
    DecisionOutcome.APPROVED: N_("批准"),
    DecisionOutcome.REJECTED: N_("拒绝"),
    DecisionOutcome.MORE_MATERIAL: N_("需补充材料"),
}

REJECTION_REASONS = {
    "insufficient_income": N_("还款来源不足"),
    "high_debt": N_("负债率过高"),
    "credit_record": N_("信用记录不良"),
    "purpose": N_("资金用途不符合要求"),
    "collateral": N_("抵押担保不足"),
    "outside_policy": N_("不符合本行信贷政策"),
    "other": N_("其他"),
}


class LoanDecision(db.Model):
    """An officer's decision on a need (PIPL art. 24: a person decides; the score shown to
    him is recorded as advice next to it)."""

    __tablename__ = "loan_decisions"
    __table_args__ = (Index("ix_loan_decisions_need", "need_id", "decided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("financing_needs.id", ondelete="CASCADE"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("loan_products.id"), default=None)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(16))  # DecisionOutcome
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)
    rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), default=None)
    term_months: Mapped[int | None] = mapped_column(default=None)
    reason_code: Mapped[str | None] = mapped_column(String(24), default=None)
    reason_text: Mapped[str] = mapped_column(Text, default="")
    # The advice the officer saw.
    score_points: Mapped[int | None] = mapped_column(default=None)
    score_model_version: Mapped[int | None] = mapped_column(default=None)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The applicant's request for a human review of a rejection.
    review_requested_at: Mapped[datetime | None] = mapped_column(default=None)
    review_note: Mapped[str] = mapped_column(Text, default="")

    bank: Mapped[Bank] = relationship()
    product: Mapped[LoanProduct | None] = relationship()
    officer: Mapped[User] = relationship()

    @property
    def outcome_label(self) -> str:
        return DECISION_OUTCOME_LABELS[DecisionOutcome(self.outcome)]

    @property
    def reason_label(self) -> str:
        return REJECTION_REASONS.get(self.reason_code or "", "")


class RepaymentKind(StrEnum):
    DISBURSED = "disbursed"  # 放款
    ON_TIME = "on_time"  # 按期还款
    OVERDUE = "overdue"  # 逾期 N 天
    DEFAULT = "default"  # 违约
    REPAID_EARLY = "repaid_early"  # 提前还款
    SETTLED = "settled"  # 结清


REPAYMENT_KIND_LABELS = {
    RepaymentKind.DISBURSED: N_("放款"),
    RepaymentKind.ON_TIME: N_("按期还款"),
    RepaymentKind.OVERDUE: N_("逾期"),
    RepaymentKind.DEFAULT: N_("违约"),
    RepaymentKind.REPAID_EARLY: N_("提前还款"),
    RepaymentKind.SETTLED: N_("结清"),
}


class RepaymentEvent(db.Model):
    """What happened to a loan a bank approved on the platform: disbursement, then repayment
    events. They become labels of the next default-risk model (`loans.outcomes.labels`)."""

    __tablename__ = "repayment_events"
    __table_args__ = (Index("ix_repayment_events_decision", "decision_id", "occurred_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("loan_decisions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # RepaymentKind
    occurred_on: Mapped[date]
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)
    days_overdue: Mapped[int | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User] = relationship()

    @property
    def kind_label(self) -> str:
        return REPAYMENT_KIND_LABELS[RepaymentKind(self.kind)]
