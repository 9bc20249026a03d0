"""整村授信 (whole-village pre-approved credit): a 整村授信 product's line table, the grants a
bank makes to the rated households of a 信用村, and each household's line.

A grant is one (product, village, rating year): prepared by one officer of the bank, approved
by another (maker-checker, as product listing), and only then are its lines written. The
unique key on (product, village, year) makes a second grant of the same village impossible.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .i18n import N_
from .loans import Bank, LoanProduct
from .users import User


class VillageLineTerms(db.Model):
    """The line table of a 整村授信 product: grade → line amount, the score cap, and the
    守信激励 rate discounts (percentage points off the product's highest rate)."""

    __tablename__ = "village_line_terms"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("loan_products.id", ondelete="CASCADE"), primary_key=True
    )
    # {"AAA": 100000, "AA": 50000, "A": 30000}; 0 = no line for that grade.
    grade_amounts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A household whose score is below this many points gets at most `cap_amount` (0: no
    # line). A household without a score (暂无评分) is not capped.
    cap_below_points: Mapped[int | None] = mapped_column(default=None)
    cap_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), default=None)
    credit_household_discount: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    credit_village_discount: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    product: Mapped[LoanProduct] = relationship()


class GrantStatus(StrEnum):
    PENDING = "pending"  # prepared, waiting for another officer of the bank
    APPROVED = "approved"  # lines written
    WITHDRAWN = "withdrawn"  # withdrawn (or a pending grant cancelled): its lines end


GRANT_STATUS_LABELS = {
    GrantStatus.PENDING: N_("待复核"),
    GrantStatus.APPROVED: N_("已授信"),
    GrantStatus.WITHDRAWN: N_("已撤回"),
}


class VillageLineGrant(db.Model):
    """One bank's pre-approved lines for the rated households of one 信用村, for the year of
    the village's rating."""

    __tablename__ = "village_line_grants"
    __table_args__ = (
        UniqueConstraint("product_id", "village_code", "year"),
        Index("ix_village_line_grants_bank_status", "bank_id", "status"),
        Index("ix_village_line_grants_village", "village_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("loan_products.id"))
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    year: Mapped[int]  # the rating year of the village's 信用村 result
    region_rating_id: Mapped[int] = mapped_column(ForeignKey("region_ratings.id"))
    status: Mapped[str] = mapped_column(String(12), default=GrantStatus.PENDING.value)
    valid_to: Mapped[date]  # lines are valid from approval to this day
    # Figures of the preview the maker confirmed: {"AAA": {"households": n, "amount": x}, ...}
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    households: Mapped[int] = mapped_column(default=0)
    total_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=0)
    prepared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    prepared_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    valid_from: Mapped[date | None] = mapped_column(default=None)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdraw_reason: Mapped[str] = mapped_column(Text, default="")

    product: Mapped[LoanProduct] = relationship()
    bank: Mapped[Bank] = relationship()
    prepared_by: Mapped[User] = relationship(foreign_keys=[prepared_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])

    @property
    def status_label(self) -> str:
        return GRANT_STATUS_LABELS[GrantStatus(self.status)]


class LineStatus(StrEnum):
    ACTIVE = "active"
    TAKEN_UP = "taken_up"  # turned into a financing need
    WITHDRAWN = "withdrawn"


LINE_STATUS_LABELS = {
    LineStatus.ACTIVE: N_("可用信"),
    LineStatus.TAKEN_UP: N_("已申请用信"),
    LineStatus.WITHDRAWN: N_("已撤回"),
}


class VillageLine(db.Model):
    """One household's pre-approved line under a grant."""

    __tablename__ = "village_lines"
    __table_args__ = (
        UniqueConstraint("grant_id", "household_id"),
        Index("ix_village_lines_household", "household_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("village_line_grants.id", ondelete="CASCADE"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    grade: Mapped[str] = mapped_column(String(4))
    score_points: Mapped[int | None] = mapped_column(default=None)  # None: 暂无评分
    grade_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # by grade, before the cap
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    capped: Mapped[bool] = mapped_column(Boolean, default=False)
    rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    status: Mapped[str] = mapped_column(String(12), default=LineStatus.ACTIVE.value)
    need_id: Mapped[int | None] = mapped_column(
        ForeignKey("financing_needs.id", ondelete="SET NULL"), default=None
    )
    taken_up_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)

    grant: Mapped[VillageLineGrant] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        return LINE_STATUS_LABELS[LineStatus(self.status)]
