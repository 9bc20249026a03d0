"""The rating cycle: versioned rule sets (评定办法), rating runs with per-subject results and
per-region (信用村 / 信用乡镇 / county) results, publication (公示), objections (异议) and
credit repair (信用修复)."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import db, utcnow
from .i18n import N_
from .users import User


class RuleSetStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # immutable from here on


class RuleSet(db.Model):
    __tablename__ = "rule_sets"
    # Two offices, or two clicks on 复制为新版本, must not both make version n of one name.
    __table_args__ = (UniqueConstraint("scope_code", "name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # The title a notice and a report cite, e.g. 富平县农户信用等级评定办法（2026年版）;
    # `name` groups the versions.
    title: Mapped[str] = mapped_column(String(120), default="", server_default="")
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(12), default=RuleSetStatus.DRAFT)
    scope_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))  # who owns it
    body: Mapped[dict[str, Any]] = mapped_column(JSON)  # agri_credit.ratings.rules to_dict()
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("rule_sets.id"), default=None)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def published(self) -> bool:
        return self.status == RuleSetStatus.PUBLISHED

    @property
    def cited_title(self) -> str:
        """What a notice or report cites: the title, or the name for a version without one."""
        return self.title or self.name


class RunStatus(StrEnum):
    PROPOSED = "proposed"  # computed; villages review and publish
    APPROVED = "approved"  # the county approved the township results
    SUPERSEDED = "superseded"  # a later run of the same region and year replaced it


# Chinese labels as data (exports print them as they are); pages pass them through `_()`.
RUN_STATUS_LABELS = {
    RunStatus.PROPOSED: N_("待审定"),
    RunStatus.APPROVED: N_("已审定"),
    RunStatus.SUPERSEDED: N_("已被重新评定取代"),
}


class RatingRun(db.Model):
    __tablename__ = "rating_runs"
    # One run per region and year awaiting approval: a second click on 开始评定 (or two
    # 重新评定 at once) cannot leave two proposed runs side by side.
    __table_args__ = (
        Index(
            "uq_rating_runs_proposed",
            "region_code",
            "year",
            unique=True,
            sqlite_where=text("status = 'proposed'"),
            postgresql_where=text("status = 'proposed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("rule_sets.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    year: Mapped[int]
    as_of: Mapped[date]  # departmental data as of this date
    status: Mapped[str] = mapped_column(String(12), default=RunStatus.PROPOSED)
    # SHA-256 of the inputs the engine saw: a re-run with the same digest gives the same result.
    input_digest: Mapped[str] = mapped_column(String(64), default="")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)

    rule_set: Mapped[RuleSet] = relationship(lazy="joined")
    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id], lazy="joined")
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])


class ResultStatus(StrEnum):
    PROPOSED = "proposed"
    OBJECTED = "objected"  # flagged by an open objection
    EFFECTIVE = "effective"  # the 公示 period passed without an open objection


RESULT_STATUS_LABELS = {
    ResultStatus.PROPOSED: N_("拟评定"),
    ResultStatus.OBJECTED: N_("有异议"),
    ResultStatus.EFFECTIVE: N_("已生效"),
}


class RatingResult(db.Model):
    """One household's or entity's score in a run, with the per-indicator breakdown."""

    __tablename__ = "rating_results"
    __table_args__ = (
        CheckConstraint(
            "(household_id IS NULL) <> (entity_id IS NULL)", name="exactly_one_subject"
        ),
        Index("ix_rating_results_run_village", "run_id", "village_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("rating_runs.id", ondelete="CASCADE"))
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True, default=None
    )
    entity_id: Mapped[int | None] = mapped_column(
        ForeignKey("agri_entities.id", ondelete="CASCADE"), index=True, default=None
    )
    village_code: Mapped[str] = mapped_column(String(12))
    score: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    grade: Mapped[str | None] = mapped_column(String(4), default=None)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # indicator: points
    # The value each departmental indicator scored (indicator: value, null for 无记录);
    # NULL when the rule set has none.
    indicator_values: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    gate_reasons: Mapped[str] = mapped_column(String(300), default="")
    missing: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(12), default=ResultStatus.PROPOSED)


class RegionResultStatus(StrEnum):
    PROPOSED = "proposed"
    PUBLISHED = "published"  # village results under 公示
    APPROVED = "approved"  # approved by the level above
    RETURNED = "returned"  # sent back with a reason


class RegionRating(db.Model):
    """A village (信用村), township (信用乡镇) or county result of a run, with the reason for
    each threshold it missed, and its way up the review tree."""

    __tablename__ = "region_ratings"
    __table_args__ = (Index("ix_region_ratings_run_region", "run_id", "region_code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("rating_runs.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    level: Mapped[str] = mapped_column(String(10))
    passed: Mapped[bool] = mapped_column(default=False)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default=RegionResultStatus.PROPOSED)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    publicity_ends_on: Mapped[date | None] = mapped_column(default=None)
    # When the village's results took effect after its 公示 (set once, by a conditional
    # UPDATE: the scheduled command or the write path that got there first).
    effective_at: Mapped[datetime | None] = mapped_column(default=None)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    review_note: Mapped[str] = mapped_column(Text, default="")
    # A village's averages the run compared its subjects with ({"<sheet>:<field>": mean},
    # sheet "household" or an entity type): re-rating one subject later uses these, not the
    # village's files as they are by then.
    village_means: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # 村级初评: the cadre went through the proposed results before publishing them.
    preliminary_reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    preliminary_reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), default=None
    )


class ObjectionStatus(StrEnum):
    OPEN = "open"
    CORRECTED = "corrected"  # data corrected and the subject re-rated
    CONFIRMED = "confirmed"  # the rating stands
    UNVERIFIABLE = "unverifiable"


class Objection(db.Model):
    """异议 against a published result: flagged at once, answered in writing by a deadline."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(
        ForeignKey("rating_results.id", ondelete="CASCADE"), index=True
    )
    raised_by_name: Mapped[str] = mapped_column(String(30))
    contact: Mapped[str] = mapped_column(String(30), default="")
    reason: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    due_on: Mapped[date]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    status: Mapped[str] = mapped_column(String(14), default=ObjectionStatus.OPEN)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    score_before: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), default=None)
    grade_before: Mapped[str | None] = mapped_column(String(4), default=None)

    result: Mapped[RatingResult] = relationship(lazy="joined")


class RerateCause(StrEnum):
    OBJECTION = "objection"  # an objection answered "corrected"
    REPAIR = "repair"  # a credit repair approved
    CORRECTION = "correction"  # an office corrected the file and re-rated the subject


RERATE_CAUSE_LABELS = {
    RerateCause.OBJECTION: N_("异议更正"),
    RerateCause.REPAIR: N_("信用修复"),
    RerateCause.CORRECTION: N_("档案更正"),
}


class Rerating(db.Model):
    """One subject of a run scored again, with why and the result before and after: the
    result's history."""

    __tablename__ = "reratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(
        ForeignKey("rating_results.id", ondelete="CASCADE"), index=True
    )
    cause: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text, default="")
    objection_id: Mapped[int | None] = mapped_column(
        ForeignKey("objections.id", ondelete="SET NULL"), default=None
    )
    repair_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_repairs.id", ondelete="SET NULL"), default=None
    )
    score_before: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    grade_before: Mapped[str | None] = mapped_column(String(4), default=None)
    gate_reasons_before: Mapped[str] = mapped_column(String(300), default="")
    score_after: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    grade_after: Mapped[str | None] = mapped_column(String(4), default=None)
    gate_reasons_after: Mapped[str] = mapped_column(String(300), default="")
    rerated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    rerated_at: Mapped[datetime] = mapped_column(default=utcnow)

    rerated_by: Mapped[User | None] = relationship(lazy="joined")


class RepairStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class CreditRepair(db.Model):
    """信用修复 of one negative public record. Keyed by the record's natural key, so the
    repair holds for every later version a department sends of the same record."""

    __tablename__ = "credit_repairs"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_key_id: Mapped[int] = mapped_column(ForeignKey("subject_keys.id"), index=True)
    record_kind: Mapped[str] = mapped_column(String(12))
    document_no: Mapped[str] = mapped_column(String(120))
    record_title: Mapped[str] = mapped_column(String(200))
    commitment: Mapped[str] = mapped_column(Text)  # 信用承诺
    evidence: Mapped[str] = mapped_column(Text, default="")
    evidence_filename: Mapped[str] = mapped_column(String(200), default="")
    evidence_file: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    applied_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    decide_by: Mapped[date]
    status: Mapped[str] = mapped_column(String(10), default=RepairStatus.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    reasoning: Mapped[str] = mapped_column(Text, default="")
