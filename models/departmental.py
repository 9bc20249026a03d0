"""Departmental records (税务, 社保, 公积金, 水/电/气, bank loans, public credit records), the
subjects they are keyed by, and the import batches that brought them in.

Record rows are versioned by batch, never updated in place: a row a later file changes is
marked `superseded_by_id` and the new values arrive as a new row. That keeps each batch
reversible on its own (delete its rows, revive what it superseded) and a re-import idempotent
(an unchanged row is not written again). The current version of a record is the one with
`superseded_by_id IS NULL`; a partial unique index on each table's natural key enforces that
there is only ever one.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .base import db, utcnow
from .households import Money
from .i18n import N_


class Source(StrEnum):
    TAX = "tax"
    SOCIAL_INSURANCE = "social_insurance"
    PROVIDENT_FUND = "provident_fund"
    WATER = "water"
    ELECTRICITY = "electricity"
    GAS = "gas"
    BANK_LOAN = "bank_loan"
    PUBLIC_RECORD = "public_record"


SOURCE_LABELS = {
    Source.TAX: N_("税务"),
    Source.SOCIAL_INSURANCE: N_("社保"),
    Source.PROVIDENT_FUND: N_("公积金"),
    Source.WATER: N_("水费"),
    Source.ELECTRICITY: N_("电费"),
    Source.GAS: N_("燃气费"),
    Source.BANK_LOAN: N_("银行贷款"),
    Source.PUBLIC_RECORD: N_("公共信用记录"),
}

UTILITIES = (Source.WATER, Source.ELECTRICITY, Source.GAS)


class BatchStatus(StrEnum):
    PENDING = "pending"  # uploaded, waiting for the user to confirm the column mapping
    QUEUED = "queued"
    RUNNING = "running"
    IMPORTED = "imported"
    REJECTED = "rejected"  # errors found and the user asked for all-or-nothing
    FAILED = "failed"  # the job itself broke (unreadable file, crash); nothing landed
    ROLLED_BACK = "rolled_back"


BATCH_STATUS_LABELS = {
    BatchStatus.PENDING: N_("待确认列对应"),
    BatchStatus.QUEUED: N_("排队中"),
    BatchStatus.RUNNING: N_("导入中"),
    BatchStatus.IMPORTED: N_("已导入"),
    BatchStatus.REJECTED: N_("有错误，未导入"),
    BatchStatus.FAILED: N_("失败，未导入"),
    BatchStatus.ROLLED_BACK: N_("已撤销"),
}


class SubjectKey(db.Model):
    """One identity a department keys its rows by: an ID number (encrypted, blind-indexed)
    or a 统一社会信用代码. Rows that match no file yet stay attached to their key, and the
    key is linked to a household, entity or SME when one with that number appears."""

    __tablename__ = "subject_keys"
    __table_args__ = (
        CheckConstraint("(id_hash IS NULL) <> (uscc IS NULL)", name="exactly_one_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    id_cipher: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True, default=None)
    masked: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(100), default="")  # as the department spells it
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True, default=None
    )
    entity_id: Mapped[int | None] = mapped_column(
        ForeignKey("agri_entities.id", ondelete="SET NULL"), index=True, default=None
    )
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="SET NULL"), index=True, default=None
    )
    first_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True, default=None
    )
    # The region node of the offices whose imports brought the key's rows: the scope of the
    # first import, widened to the nearest node covering both when another office's import
    # adds rows. Typing the number into a file hands the rows over only to a user whose scope
    # covers this node (NULL: no import holds the key; see departmental/matching.py).
    scope_code: Mapped[str | None] = mapped_column(String(12), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def matched(self) -> bool:
        return any((self.household_id, self.entity_id, self.enterprise_id))


class LinkStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"


LINK_STATUS_LABELS = {
    LinkStatus.PENDING: "待确认",
    LinkStatus.CONFIRMED: "已确认关联",
    LinkStatus.REFUSED: "已拒绝关联",
}


class SubjectLinkRequest(db.Model):
    """A file saved with a number whose departmental rows the saving user may not be handed:
    the link waits for a credit office whose scope (`scope_code`) covers the file, the
    imports that brought the rows and any other file already holding them."""

    __tablename__ = "subject_link_requests"
    __table_args__ = (
        UniqueConstraint("subject_key_id", "subject_type", "subject_id"),
        Index("ix_subject_link_requests_status_scope", "status", "scope_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_key_id: Mapped[int] = mapped_column(
        ForeignKey("subject_keys.id", ondelete="CASCADE"), index=True
    )
    subject_type: Mapped[str] = mapped_column(String(12))  # household / entity / enterprise
    subject_id: Mapped[int]
    region_code: Mapped[str] = mapped_column(String(12))  # where the file is
    scope_code: Mapped[str] = mapped_column(String(12))  # the office node that decides
    status: Mapped[str] = mapped_column(String(12), default=LinkStatus.PENDING)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def status_label(self) -> str:
        return LINK_STATUS_LABELS[LinkStatus(self.status)]


class ColumnMapping(db.Model):
    """How one region's department names its columns for a source, saved for the next file."""

    __tablename__ = "column_mappings"
    __table_args__ = (UniqueConstraint("scope_code", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    source: Mapped[str] = mapped_column(String(20))
    # {platform field: department column header}
    columns: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ImportBatch(db.Model):
    __tablename__ = "import_batches"
    __table_args__ = (Index("ix_import_batches_source_sha256", "source", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    scope_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int] = mapped_column(BigInteger, default=0)
    encoding: Mapped[str] = mapped_column(String(20), default="")
    columns: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # mapping used
    keep_valid_rows: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default=BatchStatus.QUEUED)
    job_id: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_inserted: Mapped[int] = mapped_column(default=0)
    rows_updated: Mapped[int] = mapped_column(default=0)
    rows_unchanged: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    rows_unmatched: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    rolled_back_at: Mapped[datetime | None] = mapped_column(default=None)
    rolled_back_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # Sign of life of a running import, written between chunks on a connection of its own:
    # a batch whose heartbeat is older than IMPORT_STALE_AFTER_MINUTES was killed.
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    # Incremented each time a run takes the batch (queued -> running): a run whose attempt is
    # no longer the batch's (it was declared dead and started again) cannot finish it.
    attempt: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[Source(self.source)]

    @property
    def status_label(self) -> str:
        return BATCH_STATUS_LABELS[BatchStatus(self.status)]

    @property
    def finished(self) -> bool:
        return self.status not in (BatchStatus.PENDING, BatchStatus.QUEUED, BatchStatus.RUNNING)


class ImportRejection(db.Model):
    """One problem with one row of a batch's file, for the downloadable error report.
    Values that carry an ID number are stored masked."""

    __tablename__ = "import_rejections"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    row_number: Mapped[int]  # as the user sees it in the file: header is row 1
    field: Mapped[str] = mapped_column(String(40))
    column: Mapped[str] = mapped_column(String(100), default="")
    value: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(String(200))


class _RecordColumns:
    """Columns every departmental record table shares."""

    id: Mapped[int] = mapped_column(primary_key=True)

    @declared_attr
    def batch_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("import_batches.id"), index=True)

    @declared_attr
    def superseded_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("import_batches.id"), index=True, default=None)

    @declared_attr
    def subject_key_id(cls) -> Mapped[int]:
        # Indexed for one subject's rows in any version (the score's features on demand);
        # the partial unique index covers current versions only.
        return mapped_column(ForeignKey("subject_keys.id"), index=True)

    # Hash of the value columns: a re-import compares one integer, not every column.
    fingerprint: Mapped[int] = mapped_column(BigInteger)
    row_number: Mapped[int] = mapped_column(default=0)  # row in the batch's file


def _current_key(table: str, *columns: str) -> Index:
    """Only one current version of a record per natural key."""
    where = text("superseded_by_id IS NULL")
    return Index(
        f"uq_{table}_current",
        *columns,
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


class TaxRecord(_RecordColumns, db.Model):
    __tablename__ = "tax_records"
    __table_args__ = (_current_key("tax_records", "subject_key_id", "year", "month"),)

    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger, default=0)  # 0: the whole year
    tax_paid: Mapped[Decimal] = mapped_column(Money)
    tax_grade: Mapped[str | None] = mapped_column(String(1), default=None)  # A/B/M/C/D
    filing_months: Mapped[int | None] = mapped_column(SmallInteger, default=None)


class SocialInsuranceRecord(_RecordColumns, db.Model):
    __tablename__ = "social_insurance_records"
    __table_args__ = (_current_key("social_insurance_records", "subject_key_id", "year", "month"),)

    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger, default=0)
    insured_count: Mapped[int]
    months_paid: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    arrears: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))


class ProvidentFundRecord(_RecordColumns, db.Model):
    __tablename__ = "provident_fund_records"
    __table_args__ = (_current_key("provident_fund_records", "subject_key_id", "year", "month"),)

    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger, default=0)
    depositor_count: Mapped[int]
    months_paid: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    amount_paid: Mapped[Decimal | None] = mapped_column(Money, default=None)


class UtilityRecord(_RecordColumns, db.Model):
    __tablename__ = "utility_records"
    __table_args__ = (
        _current_key("utility_records", "subject_key_id", "utility", "account_no", "year", "month"),
        # The data-coverage dashboard counts each batch's current records and their latest
        # month: covered by this index it reads no table row (a million rows at the demo
        # county: 1,070 ms of CPU down to 245 ms, and far fewer pages off the disk).
        Index("ix_utility_records_batch_current", "batch_id", "superseded_by_id", "year", "month"),
    )

    utility: Mapped[str] = mapped_column(String(12))  # water / electricity / gas
    account_no: Mapped[str] = mapped_column(String(40), default="")
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    consumption: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    billed: Mapped[Decimal] = mapped_column(Money)
    paid_on: Mapped[date | None] = mapped_column(default=None)
    days_late: Mapped[int | None] = mapped_column(default=None)


class LoanStatus(StrEnum):
    """五级分类: the last three are non-performing (不良)."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


LOAN_STATUS_LABELS = {
    LoanStatus.NORMAL: N_("正常"),
    LoanStatus.SPECIAL_MENTION: N_("关注"),
    LoanStatus.SUBSTANDARD: N_("次级"),
    LoanStatus.DOUBTFUL: N_("可疑"),
    LoanStatus.LOSS: N_("损失"),
}
NON_PERFORMING = (LoanStatus.SUBSTANDARD, LoanStatus.DOUBTFUL, LoanStatus.LOSS)


class LoanRecord(_RecordColumns, db.Model):
    __tablename__ = "loan_records"
    __table_args__ = (_current_key("loan_records", "subject_key_id", "bank", "contract_no"),)

    bank: Mapped[str] = mapped_column(String(60))
    contract_no: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Money)
    start_on: Mapped[date]
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))
    days_overdue: Mapped[int] = mapped_column(default=0)
    balance: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    repaid_on: Mapped[date | None] = mapped_column(default=None)  # settled in full
    as_of: Mapped[date | None] = mapped_column(default=None)


class PublicRecordKind(StrEnum):
    LICENSE = "license"  # 行政许可
    PENALTY = "penalty"  # 行政处罚
    DISHONEST = "dishonest"  # 失信被执行人
    HONOUR = "honour"  # 荣誉表彰


PUBLIC_RECORD_KIND_LABELS = {
    PublicRecordKind.LICENSE: N_("行政许可"),
    PublicRecordKind.PENALTY: N_("行政处罚"),
    PublicRecordKind.DISHONEST: N_("失信被执行人"),
    PublicRecordKind.HONOUR: N_("荣誉表彰"),
}
NEGATIVE_PUBLIC_KINDS = (PublicRecordKind.PENALTY, PublicRecordKind.DISHONEST)

SEVERITY_LABELS = {"minor": N_("轻微"), "general": N_("一般"), "serious": N_("严重")}


class PublicRecord(_RecordColumns, db.Model):
    __tablename__ = "public_records"
    __table_args__ = (_current_key("public_records", "subject_key_id", "kind", "document_no"),)

    kind: Mapped[str] = mapped_column(String(12))
    # 决定书文号; departments without one get a key made of date and title.
    document_no: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    authority: Mapped[str] = mapped_column(String(100), default="")
    decided_on: Mapped[date]
    ended_on: Mapped[date | None] = mapped_column(default=None)
    severity: Mapped[str | None] = mapped_column(String(10), default=None)


RECORD_MODELS: dict[str, Any] = {
    Source.TAX: TaxRecord,
    Source.SOCIAL_INSURANCE: SocialInsuranceRecord,
    Source.PROVIDENT_FUND: ProvidentFundRecord,
    Source.WATER: UtilityRecord,
    Source.ELECTRICITY: UtilityRecord,
    Source.GAS: UtilityRecord,
    Source.BANK_LOAN: LoanRecord,
    Source.PUBLIC_RECORD: PublicRecord,
}
