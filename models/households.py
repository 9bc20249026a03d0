"""农户 credit files: the household row and its repeatable parts."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .regions import Region

Money = Numeric(14, 2)
Area = Numeric(10, 2)


class Household(db.Model):
    __tablename__ = "households"
    __table_args__ = (
        # One file per head-of-household ID number in a county (blind index, see sensitive.py).
        UniqueConstraint("county_code", "head_id_hash"),
        # Departmental rows arrive keyed by ID number alone, whatever the county.
        Index("ix_households_head_id_hash", "head_id_hash"),
        Index("ix_households_village_name", "village_code", "head_name"),
        Index("ix_households_village_updated", "village_code", "updated_at"),
        # County-wide lists: the covering index lets name search and counts skip the table.
        Index("ix_households_county_name", "county_code", "head_name", "completeness"),
        Index("ix_households_county_updated", "county_code", "updated_at"),
        Index("ix_households_county_completeness", "county_code", "completeness", "id"),
        # Name search is a contains match: on PostgreSQL a trigram index (pg_trgm) finds
        # names holding three characters or more without reading the county. SQLite has no
        # such index: there it is partial on a condition no row meets, so it stays empty,
        # costs no write and no plan uses it, and one schema describes both backends.
        Index(
            "ix_households_head_name_trgm",
            "head_name",
            postgresql_using="gin",
            postgresql_ops={"head_name": "gin_trgm_ops"},
            sqlite_where=text("0"),
        ),
        # No single-column indexes on group, grade or completeness: they select a twelfth of
        # a county at best, and SQLite would pick them over the ordered scans above.
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    county_code: Mapped[str] = mapped_column(String(6))
    group_name: Mapped[str] = mapped_column(String(20), default="")  # 村民小组

    head_name: Mapped[str] = mapped_column(String(30), index=True)
    head_id_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    head_id_hash: Mapped[str] = mapped_column(String(64))
    head_id_masked: Mapped[str] = mapped_column(String(18))
    head_id_tail: Mapped[str] = mapped_column(String(4), index=True)
    head_gender: Mapped[str] = mapped_column(String(2), default="")
    head_birth_date: Mapped[date | None] = mapped_column(default=None)
    head_education: Mapped[str] = mapped_column(String(20), default="")
    head_health: Mapped[str] = mapped_column(String(20), default="")
    phone: Mapped[str] = mapped_column(String(20), default="", index=True)
    address: Mapped[str] = mapped_column(String(120), default="")
    registration_type: Mapped[str] = mapped_column(String(20), default="")  # 户籍类型
    housing: Mapped[str] = mapped_column(String(20), default="")  # 住房结构
    house_area_m2: Mapped[Decimal | None] = mapped_column(Area, default=None)

    land_contracted_mu: Mapped[Decimal | None] = mapped_column(Area, default=None)
    land_transferred_mu: Mapped[Decimal | None] = mapped_column(Area, default=None)

    income_crops: Mapped[Decimal | None] = mapped_column(Money, default=None)
    income_livestock: Mapped[Decimal | None] = mapped_column(Money, default=None)
    income_business: Mapped[Decimal | None] = mapped_column(Money, default=None)
    income_wages: Mapped[Decimal | None] = mapped_column(Money, default=None)
    income_other: Mapped[Decimal | None] = mapped_column(Money, default=None)
    annual_spending: Mapped[Decimal | None] = mapped_column(Money, default=None)

    # Derived on every save so lists, dashboards and ratings need no joins.
    household_size: Mapped[int] = mapped_column(SmallInteger, default=1)
    labour_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    total_assets: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    total_liabilities: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    coop_shares: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    completeness: Mapped[int] = mapped_column(SmallInteger, default=0)
    missing_fields: Mapped[str] = mapped_column(String(300), default="")

    # Written by the rating cycle; the list filters on it.
    credit_grade: Mapped[str | None] = mapped_column(String(4), default=None)
    credit_grade_year: Mapped[int | None] = mapped_column(default=None)

    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # Bumped by every save of the file; an edit form carries the version it was opened on and
    # the save is a conditional UPDATE on it, so a stale form cannot overwrite a newer save.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    village: Mapped[Region] = relationship(lazy="joined")
    members: Mapped[list["HouseholdMember"]] = relationship(
        back_populates="household", cascade="all, delete-orphan", order_by="HouseholdMember.id"
    )
    assets: Mapped[list["HouseholdAsset"]] = relationship(
        cascade="all, delete-orphan", order_by="HouseholdAsset.id"
    )
    liabilities: Mapped[list["HouseholdLiability"]] = relationship(
        cascade="all, delete-orphan", order_by="HouseholdLiability.id"
    )
    production: Mapped[list["ProductionItem"]] = relationship(
        cascade="all, delete-orphan", order_by="ProductionItem.id"
    )
    insurance: Mapped[list["InsurancePolicy"]] = relationship(
        cascade="all, delete-orphan", order_by="InsurancePolicy.id"
    )
    evaluations: Mapped[list["VillageEvaluation"]] = relationship(
        cascade="all, delete-orphan", order_by="VillageEvaluation.year.desc()"
    )
    records: Mapped[list["CreditRecord"]] = relationship(  # noqa: F821
        cascade="all, delete-orphan",
        order_by="CreditRecord.occurred_on.desc()",
        primaryjoin="Household.id == CreditRecord.household_id",
    )

    @property
    def net_income(self) -> Decimal | None:
        """Income less spending; None (shown "—") when none of them was entered, which is
        not the same as an income of 0.00."""
        parts = [
            self.income_crops,
            self.income_livestock,
            self.income_business,
            self.income_wages,
            self.income_other,
        ]
        if all(p is None for p in [*parts, self.annual_spending]):
            return None
        return sum((p or Decimal("0") for p in parts), Decimal("0")) - (
            self.annual_spending or Decimal("0")
        )


class HouseholdMember(db.Model):
    __tablename__ = "household_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(30))
    id_cipher: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    id_hash: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    id_masked: Mapped[str] = mapped_column(String(18), default="")
    relation: Mapped[str] = mapped_column(String(10))  # 与户主关系
    gender: Mapped[str] = mapped_column(String(2), default="")
    birth_date: Mapped[date | None] = mapped_column(default=None)
    health: Mapped[str] = mapped_column(String(20), default="")
    labour_ability: Mapped[str] = mapped_column(String(20), default="")
    occupation: Mapped[str] = mapped_column(String(40), default="")

    household: Mapped[Household] = relationship(back_populates="members")


class HouseholdAsset(db.Model):
    __tablename__ = "household_assets"
    __table_args__ = (CheckConstraint("value >= 0", name="value_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(100), default="")
    value: Mapped[Decimal] = mapped_column(Money)


class HouseholdLiability(db.Model):
    __tablename__ = "household_liabilities"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_non_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # 银行贷款 / 民间借贷
    creditor: Mapped[str] = mapped_column(String(60), default="")
    balance: Mapped[Decimal] = mapped_column(Money)
    start_date: Mapped[date | None] = mapped_column(default=None)
    due_date: Mapped[date | None] = mapped_column(default=None)
    overdue_days: Mapped[int] = mapped_column(default=0)


class ProductionItem(db.Model):
    """A crop grown or a herd kept: 种植 (亩) or 养殖 (头/只/羽/箱)."""

    __tablename__ = "production_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[Decimal] = mapped_column(Area)
    unit: Mapped[str] = mapped_column(String(6))


class InsurancePolicy(db.Model):
    __tablename__ = "insurance_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    insurer: Mapped[str] = mapped_column(String(60), default="")
    insured_amount: Mapped[Decimal] = mapped_column(Money)
    year: Mapped[int]


class VillageEvaluation(db.Model):
    """村评议: the village evaluation group's yearly scores of a household."""

    __tablename__ = "village_evaluations"
    __table_args__ = (UniqueConstraint("household_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int]
    law_abiding: Mapped[int] = mapped_column(SmallInteger)  # 遵纪守法 0-25
    neighbourliness: Mapped[int] = mapped_column(SmallInteger)  # 邻里关系 0-25
    elder_care: Mapped[int] = mapped_column(SmallInteger)  # 赡养老人 0-25
    diligence: Mapped[int] = mapped_column(SmallInteger)  # 勤劳致富 0-25
    overall: Mapped[str] = mapped_column(String(4))  # 优秀 / 较好 / 一般 / 差
    remarks: Mapped[str] = mapped_column(String(200), default="")
