"""信易贷 financing matchmaking: banks and their officers, loan products, financing needs,
the household's signed consent a cadre records, authorisations and every use of them.

Kinds (product type, status, collateral …) are stored as stable English keys; their Chinese
labels are data marked with `N_()` and translated when shown. A subject (household, entity,
enterprise) is named by `subject_type` + `subject_id`, as on `users` and `credit_scores`.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from .base import db, utcnow
from .clock import local_date
from .i18n import N_
from .regions import Region
from .users import User

SUBJECT_TYPE_LABELS = {
    "household": N_("农户"),
    "entity": N_("新型农业经营主体"),
    "enterprise": N_("中小微企业"),
}


class Bank(db.Model):
    """A lending institution (银行机构) of the county."""

    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    branches: Mapped[list["BankBranch"]] = relationship(
        back_populates="bank", order_by="BankBranch.name"
    )


class BankBranch(db.Model):
    """A branch or outlet (网点) of a bank, in one region node."""

    __tablename__ = "bank_branches"
    __table_args__ = (UniqueConstraint("bank_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    bank: Mapped[Bank] = relationship(back_populates="branches")
    region: Mapped[Region] = relationship()


class ProductType(StrEnum):
    CREDIT = "credit"  # 信用贷
    TAX = "tax"  # 税易贷
    PROCUREMENT = "procurement"  # 政采贷
    FARMER_MICRO = "farmer_micro"  # 农户小额信用贷
    NEW_ENTITY = "new_entity"  # 新型经营主体贷
    VILLAGE = "village"  # 整村授信


PRODUCT_TYPE_LABELS = {
    ProductType.CREDIT: N_("信用贷"),
    ProductType.TAX: N_("税易贷"),
    ProductType.PROCUREMENT: N_("政采贷"),
    ProductType.FARMER_MICRO: N_("农户小额信用贷"),
    ProductType.NEW_ENTITY: N_("新型经营主体贷"),
    ProductType.VILLAGE: N_("整村授信"),
}


class ProductStatus(StrEnum):
    DRAFT = "draft"  # 草稿: the maker edits it
    PENDING = "pending"  # 待审核: waiting for another officer of the bank
    LISTED = "listed"  # 上架: visible to applicants and matched
    DELISTED = "delisted"  # 下架


PRODUCT_STATUS_LABELS = {
    ProductStatus.DRAFT: N_("草稿"),
    ProductStatus.PENDING: N_("待审核"),
    ProductStatus.LISTED: N_("上架"),
    ProductStatus.DELISTED: N_("下架"),
}

TAX_GRADES = ("A", "B", "M", "C", "D")  # 纳税信用等级, best first
RATING_GRADES = ("AAA", "AA", "A")  # 信用户 grades, best first


class LoanProduct(db.Model):
    """A bank's loan product with its hard eligibility rules (what matching checks)."""

    __tablename__ = "loan_products"
    __table_args__ = (
        UniqueConstraint("bank_id", "code"),
        Index("ix_loan_products_status_bank", "status", "bank_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    code: Mapped[str] = mapped_column(String(40))  # the bank's own product code
    name: Mapped[str] = mapped_column(String(100))
    product_type: Mapped[str] = mapped_column(String(16))  # ProductType
    description: Mapped[str] = mapped_column(Text, default="")
    amount_min: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # 元
    amount_max: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    term_min_months: Mapped[int]
    term_max_months: Mapped[int]
    rate_min: Mapped[Decimal] = mapped_column(Numeric(5, 2))  # annual %, e.g. 3.85
    rate_max: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    # Subject type keys (household / entity / enterprise) the product lends to.
    subject_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Region codes it lends in; empty = the whole county; a township code covers its villages.
    region_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_grade: Mapped[str | None] = mapped_column(String(4), default=None)  # AAA / AA / A
    min_score: Mapped[int | None] = mapped_column(default=None)  # scorecard points
    # Accepted 纳税信用等级 (A/B/M/C/D); empty = any, including none.
    tax_grades: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_years_operating: Mapped[int | None] = mapped_column(default=None)
    collateral_required: Mapped[bool] = mapped_column(Boolean, default=False)
    guarantee_required: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(12), default=ProductStatus.DRAFT.value)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the maker
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    # The checker: another officer of the same bank.
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    delisted_at: Mapped[datetime | None] = mapped_column(default=None)
    # Bumped by every save and state change; an edit posts the version it was opened on.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    bank: Mapped[Bank] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    @property
    def type_label(self) -> str:
        return PRODUCT_TYPE_LABELS[ProductType(self.product_type)]

    @property
    def status_label(self) -> str:
        return PRODUCT_STATUS_LABELS[ProductStatus(self.status)]


class Collateral(StrEnum):
    NONE = "none"
    HOUSE = "house"  # 房产
    LAND_RIGHTS = "land_rights"  # 土地经营权
    EQUIPMENT = "equipment"  # 农机具、设备
    DEPOSIT = "deposit"  # 存单质押
    RECEIVABLES = "receivables"  # 应收账款（政府采购合同）
    OTHER = "other"


COLLATERAL_LABELS = {
    Collateral.NONE: N_("无抵质押"),
    Collateral.HOUSE: N_("房产抵押"),
    Collateral.LAND_RIGHTS: N_("土地经营权抵押"),
    Collateral.EQUIPMENT: N_("农机具或设备抵押"),
    Collateral.DEPOSIT: N_("存单质押"),
    Collateral.RECEIVABLES: N_("应收账款质押"),
    Collateral.OTHER: N_("其他"),
}


class Guarantee(StrEnum):
    NONE = "none"
    PERSON = "person"  # 自然人保证
    COMPANY = "company"  # 担保公司
    JOINT = "joint"  # 联保


GUARANTEE_LABELS = {
    Guarantee.NONE: N_("无担保"),
    Guarantee.PERSON: N_("自然人保证"),
    Guarantee.COMPANY: N_("融资担保公司担保"),
    Guarantee.JOINT: N_("农户联保"),
}


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


URGENCY_LABELS = {
    Urgency.LOW: N_("不急（三个月内）"),
    Urgency.NORMAL: N_("一般（一个月内）"),
    Urgency.HIGH: N_("紧急（两周内）"),
}


class NeedStatus(StrEnum):
    OPEN = "open"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


# The matching helper adds claim and decision states (String(16) leaves room).
NEED_STATUS_LABELS: dict[str, str] = {
    NeedStatus.OPEN: N_("待对接"),
    NeedStatus.WITHDRAWN: N_("已撤回"),
    NeedStatus.CLOSED: N_("已结束"),
}


class FinancingNeed(db.Model):
    """A financing need (融资需求) posted by an applicant or by a cadre for a household."""

    __tablename__ = "financing_needs"
    __table_args__ = (
        Index("ix_financing_needs_subject", "subject_type", "subject_id"),
        Index("ix_financing_needs_status_region", "status", "region_code"),
        # The statistics read a county's needs by posting time from this index alone.
        Index(
            "ix_financing_needs_region_created",
            "region_code",
            "created_at",
            "subject_type",
            "subject_id",
            "first_matched_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[int]
    # The subject's village (household, entity) or region (enterprise), for scope and matching.
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # 元
    term_months: Mapped[int]
    purpose: Mapped[str] = mapped_column(String(200))
    collateral: Mapped[str] = mapped_column(String(16), default=Collateral.NONE.value)
    collateral_note: Mapped[str] = mapped_column(String(200), default="")
    guarantee: Mapped[str] = mapped_column(String(16), default=Guarantee.NONE.value)
    urgency: Mapped[str] = mapped_column(String(8), default=Urgency.NORMAL.value)
    status: Mapped[str] = mapped_column(String(16), default=NeedStatus.OPEN.value)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    # When matching first found a listed product whose every hard rule it met: kept after
    # the need leaves the pool (its match rows do not), for the statistics' 已匹配.
    first_matched_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    created_by: Mapped[User] = relationship()

    @property
    def status_label(self) -> str:
        return NEED_STATUS_LABELS.get(self.status, self.status)

    @property
    def has_collateral(self) -> bool:
        return self.collateral != Collateral.NONE.value

    @property
    def has_guarantee(self) -> bool:
        return self.guarantee != Guarantee.NONE.value


class HouseholdConsent(db.Model):
    """The household's signed consent (scan or photo) that lets its cadre act for it:
    post needs and grant authorisations, during the period it covers."""

    __tablename__ = "household_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    uploaded_by: Mapped[User] = relationship()


class DataCategory(StrEnum):
    FILE = "file"  # 档案基本信息
    RATING = "rating"  # 信用评级
    SCORE = "score"  # 违约风险评分及原因
    RECORDS = "records"  # 社保、公积金、水电气缴费与公共信用记录
    LOANS = "loans"  # 借贷与还款记录
    INCOME = "income"  # 收入与支出 (sensitive)
    ASSETS = "assets"  # 资产、存款与不动产 (sensitive)
    TAX = "tax"  # 纳税额与纳税信用等级 (sensitive)


DATA_CATEGORY_LABELS = {
    DataCategory.FILE: N_("档案基本信息"),
    DataCategory.RATING: N_("信用评级结果"),
    DataCategory.SCORE: N_("违约风险评分及主要原因"),
    DataCategory.RECORDS: N_("社保、公积金、水电气缴费及公共信用记录"),
    DataCategory.LOANS: N_("借贷及还款记录"),
    DataCategory.INCOME: N_("收入与支出"),
    DataCategory.ASSETS: N_("资产、存款与不动产"),
    DataCategory.TAX: N_("纳税金额与纳税信用等级"),
}
# 征信业管理条例: income, deposits, real estate and tax amounts need explicit consent
# after a warning.
SENSITIVE_CATEGORIES = frozenset({DataCategory.INCOME, DataCategory.ASSETS, DataCategory.TAX})


class Authorisation(db.Model):
    """A subject's written authorisation (授权) naming a bank (or one product's bank), the
    purpose, the data categories and the period; revocable at once."""

    __tablename__ = "authorisations"
    __table_args__ = (
        Index("ix_authorisations_subject", "subject_type", "subject_id"),
        Index("ix_authorisations_bank_subject", "bank_id", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[int]
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("loan_products.id"), default=None)
    purpose: Mapped[str] = mapped_column(String(200))
    data_categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # DataCategory keys
    # True when sensitive categories were ticked after the warning was shown.
    explicit_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_text_version: Mapped[str] = mapped_column(String(20))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]  # naive UTC: the start of the day after the last valid day
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # The signed household consent a cadre granted under (household subjects only).
    household_consent_id: Mapped[int | None] = mapped_column(
        ForeignKey("household_consents.id"), default=None
    )

    bank: Mapped[Bank] = relationship(lazy="joined")
    product: Mapped[LoanProduct | None] = relationship()
    granted_by: Mapped[User] = relationship(foreign_keys=[granted_by_id])

    @property
    def last_day(self) -> date:
        """The last calendar day (county zone) the authorisation covers."""
        return local_date(self.expires_at) - timedelta(days=1)

    def is_active(self, at: datetime) -> bool:
        return (
            self.granted_at <= at
            and at < self.expires_at
            and (self.revoked_at is None or at < self.revoked_at)
        )


class AuthorisationUse(db.Model):
    """One read of a subject's data by a bank under an authorisation: the use log the
    applicant sees."""

    __tablename__ = "authorisation_uses"
    __table_args__ = (Index("ix_authorisation_uses_auth_used", "authorisation_id", "used_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    authorisation_id: Mapped[int] = mapped_column(ForeignKey("authorisations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    used_at: Mapped[datetime] = mapped_column(default=utcnow)
    category: Mapped[str | None] = mapped_column(String(16), default=None)
    what: Mapped[str] = mapped_column(String(200))  # what was read, in Chinese
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()
    bank: Mapped[Bank] = relationship()
