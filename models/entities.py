"""新型农业经营主体 files: 家庭农场, 农民专业合作社, 种养大户, 龙头企业."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .households import Area, Money
from .i18n import N_
from .regions import Region


class EntityType(StrEnum):
    FAMILY_FARM = "family_farm"
    COOPERATIVE = "cooperative"
    LARGE_GROWER = "large_grower"
    LEADING_ENTERPRISE = "leading_enterprise"


ENTITY_TYPE_LABELS = {
    EntityType.FAMILY_FARM: N_("家庭农场"),
    EntityType.COOPERATIVE: N_("农民专业合作社"),
    EntityType.LARGE_GROWER: N_("种养大户"),
    EntityType.LEADING_ENTERPRISE: N_("农业产业化龙头企业"),
}


class AgriEntity(db.Model):
    __tablename__ = "agri_entities"
    __table_args__ = (
        # A 种养大户 may be known only by the operator's ID number; everyone else has a USCC.
        CheckConstraint("uscc IS NOT NULL OR operator_id_hash IS NOT NULL", name="identified"),
        CheckConstraint(
            "farmer_capital_share IS NULL OR "
            "(farmer_capital_share >= 0 AND farmer_capital_share <= 100)",
            name="share_is_percentage",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(24), index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True, default=None)
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    operator_name: Mapped[str] = mapped_column(String(30))
    operator_id_cipher: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    operator_id_hash: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    operator_id_masked: Mapped[str] = mapped_column(String(18), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(120), default="")
    founded_on: Mapped[date | None] = mapped_column(default=None)
    member_count: Mapped[int | None] = mapped_column(default=None)
    farmer_capital_share: Mapped[Decimal | None] = mapped_column(Area, default=None)  # %
    employees: Mapped[int | None] = mapped_column(default=None)
    land_mu: Mapped[Decimal | None] = mapped_column(Area, default=None)
    herd_size: Mapped[int | None] = mapped_column(default=None)
    main_products: Mapped[str] = mapped_column(String(100), default="")
    annual_revenue: Mapped[Decimal | None] = mapped_column(Money, default=None)
    total_assets: Mapped[Decimal | None] = mapped_column(Money, default=None)
    total_debts: Mapped[Decimal | None] = mapped_column(Money, default=None)
    insurance: Mapped[str] = mapped_column(String(100), default="")
    certifications: Mapped[str] = mapped_column(String(60), default="")  # 绿色,有机,地理标志
    demonstration_level: Mapped[str] = mapped_column(String(10), default="")  # 国家级 … 县级
    sales_channels: Mapped[str] = mapped_column(String(100), default="")
    keeps_books: Mapped[bool] = mapped_column(default=False)

    completeness: Mapped[int] = mapped_column(SmallInteger, default=0)
    missing_fields: Mapped[str] = mapped_column(String(300), default="")
    credit_grade: Mapped[str | None] = mapped_column(String(4), default=None)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # Bumped by every save of the file; an edit form carries the version it was opened on and
    # the save is a conditional UPDATE on it, so a stale form cannot overwrite a newer save.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    village: Mapped[Region] = relationship(lazy="joined")
    records: Mapped[list["CreditRecord"]] = relationship(  # noqa: F821
        cascade="all, delete-orphan",
        order_by="CreditRecord.occurred_on.desc()",
        primaryjoin="AgriEntity.id == CreditRecord.entity_id",
    )

    @property
    def type_label(self) -> str:
        return ENTITY_TYPE_LABELS[EntityType(self.entity_type)]
