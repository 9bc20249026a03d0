"""The portrait (画像) of an applicant for a bank: only while an authorisation of the subject
covers the bank, only the data categories it names, and every view written to the use log the
applicant sees. A need outside the bank's reach, or a subject whose authorisation was revoked
or has expired, is a 404 at once."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask import abort
from sqlalchemy import select

from agri_credit.departmental.records import DepartmentalRecords, subject_records
from loans.authorisations.services import active_authorisation, record_use
from loans.scoring.current import CurrentScore, current_score
from models import (
    N_,
    AgriEntity,
    Authorisation,
    DataCategory,
    Enterprise,
    FinancingNeed,
    Household,
    LoanDecision,
    NeedClaim,
    RatingResult,
    RatingRun,
    Source,
    User,
    db,
)

from .queue import in_queue

# Which authorised category opens which departmental source.
SOURCE_CATEGORY = {
    Source.TAX: DataCategory.TAX,
    Source.SOCIAL_INSURANCE: DataCategory.RECORDS,
    Source.PROVIDENT_FUND: DataCategory.RECORDS,
    Source.ELECTRICITY: DataCategory.RECORDS,
    Source.WATER: DataCategory.RECORDS,
    Source.GAS: DataCategory.RECORDS,
    Source.PUBLIC_RECORD: DataCategory.RECORDS,
    Source.BANK_LOAN: DataCategory.LOANS,
}
USE_LABELS = {
    DataCategory.FILE: "查看档案基本信息（画像）",
    DataCategory.RATING: "查看信用评级历史（画像）",
    DataCategory.SCORE: "查看违约风险评分及原因（画像）",
    DataCategory.RECORDS: "查看社保、公积金、水电气及公共信用记录（画像）",
    DataCategory.LOANS: "查看借贷及还款记录（画像）",
    DataCategory.INCOME: "查看收入与支出（画像）",
    DataCategory.ASSETS: "查看资产与负债（画像）",
    DataCategory.TAX: "查看纳税记录（画像）",
}


def bank_reaches(need: FinancingNeed, bank_id: int, now: datetime) -> bool:
    """The need is in the bank's queue, or the bank has claimed or decided it."""
    if in_queue(bank_id, need.id, now):
        return True
    claimed = db.session.scalar(
        select(NeedClaim.need_id).where(NeedClaim.need_id == need.id, NeedClaim.bank_id == bank_id)
    )
    decided = db.session.scalar(
        select(LoanDecision.id)
        .where(LoanDecision.need_id == need.id, LoanDecision.bank_id == bank_id)
        .limit(1)
    )
    return claimed is not None or decided is not None


def officer_need_or_404(need_id: int, officer: User, now: datetime) -> FinancingNeed:
    need = db.session.get(FinancingNeed, need_id)
    if need is None or officer.bank_id is None or not bank_reaches(need, officer.bank_id, now):
        abort(404)
    return need


@dataclass
class Portrait:
    need: FinancingNeed
    authorisation: Authorisation
    categories: set[str]
    subject: Any = None
    subject_name: str = ""
    id_masked: str = ""
    file_facts: list[tuple[str, Any]] = field(default_factory=list)
    ratings: list[Any] = field(default_factory=list)
    score: CurrentScore | None = None
    departmental: DepartmentalRecords | None = None
    decisions: list[LoanDecision] = field(default_factory=list)


def _subject(need: FinancingNeed) -> Any:
    model = {"household": Household, "entity": AgriEntity, "enterprise": Enterprise}
    return db.session.get(model[need.subject_type], need.subject_id)


def _file_facts(subject: Any, categories: set[str]) -> tuple[str, str, list[tuple[str, Any]]]:
    """Name, masked identifier and the file's headline facts the categories allow (labels
    are Chinese data the template translates)."""
    if isinstance(subject, Household):
        facts: list[tuple[str, Any]] = [
            (N_("家庭人口"), subject.household_size),
            (N_("劳动力"), subject.labour_count),
            (N_("承包地（亩）"), subject.land_contracted_mu),
            (N_("流转地（亩）"), subject.land_transferred_mu),
        ]
        if DataCategory.INCOME in categories:
            facts.append((N_("家庭年纯收入（元）"), subject.net_income))
        if DataCategory.ASSETS in categories:
            facts += [
                (N_("总资产（元）"), subject.total_assets),
                (N_("总负债（元）"), subject.total_liabilities),
            ]
        return subject.head_name, subject.head_id_masked, facts
    if isinstance(subject, AgriEntity):
        facts = [(N_("成立日期"), subject.founded_on)]
        return subject.name, (subject.uscc or "")[:6] + "********", facts
    facts = [(N_("行业"), subject.industry), (N_("成立日期"), subject.founded_on)]
    return subject.name, subject.uscc[:6] + "********" if subject.uscc else "", facts


def _rating_history(need: FinancingNeed) -> list[Any]:
    column = {"household": RatingResult.household_id, "entity": RatingResult.entity_id}.get(
        need.subject_type
    )
    if column is None:
        return []
    return db.session.execute(
        select(RatingRun.year, RatingResult.score, RatingResult.grade, RatingResult.status)
        .join(RatingRun, RatingRun.id == RatingResult.run_id)
        .where(column == need.subject_id)
        .order_by(RatingRun.year.desc(), RatingRun.id.desc())
    ).all()


def open_portrait(need: FinancingNeed, officer: User, today: date) -> Portrait:
    """The portrait under the authorisation in force now, each category shown logged once
    per view. 404 without one."""
    authorisation = active_authorisation(officer.bank_id, need.subject_type, need.subject_id)
    if authorisation is None:
        abort(404)
    categories = set(authorisation.data_categories or [])
    portrait = Portrait(need=need, authorisation=authorisation, categories=categories)
    subject = _subject(need)
    if subject is None:
        abort(404)
    portrait.subject = subject
    if DataCategory.FILE in categories:
        portrait.subject_name, portrait.id_masked, portrait.file_facts = _file_facts(
            subject, categories
        )
    if DataCategory.RATING in categories:
        portrait.ratings = _rating_history(need)
    if DataCategory.SCORE in categories:
        portrait.score = current_score(need.subject_type, need.subject_id)
    if categories & {c.value for c in SOURCE_CATEGORY.values()}:
        records = subject_records(need.subject_type, need.subject_id, today)
        portrait.departmental = DepartmentalRecords(
            records.kind,
            records.subject_id,
            [s for s in records.sections if SOURCE_CATEGORY[Source(s.source)] in categories],
        )
    if DataCategory.LOANS in categories:
        portrait.decisions = list(
            db.session.scalars(
                select(LoanDecision)
                .join(FinancingNeed, FinancingNeed.id == LoanDecision.need_id)
                .where(
                    FinancingNeed.subject_type == need.subject_type,
                    FinancingNeed.subject_id == need.subject_id,
                    LoanDecision.outcome == "approved",
                )
                .order_by(LoanDecision.decided_at.desc())
            )
        )
    for category in sorted(categories):
        record_use(
            authorisation,
            officer,
            USE_LABELS.get(DataCategory(category), "查看画像"),
            category=category,
            detail={"need_id": need.id},
        )
    return portrait
