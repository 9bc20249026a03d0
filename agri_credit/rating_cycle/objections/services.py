"""异议: an objection against a published result (征信业管理条例 art. 25). It flags the result
at once, is assigned to a reviewer at a credit office, and is answered in writing by its due
date: the data corrected and the subject re-rated, the result confirmed, or noted as
unverifiable, with the reasoning kept."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, case, select

from agri_credit.audit import journal_value, record_event
from agri_credit.config import DefaultConfig
from models import (
    N_,
    Objection,
    ObjectionStatus,
    RatingResult,
    RatingRun,
    RerateCause,
    ResultStatus,
    Role,
    User,
    ancestor_codes,
    db,
    utcnow,
)

from ..publication.services import (
    apply_village_if_due,
    in_objection_window,
    make_result_effective,
    published_on,
    region_rating,
)
from ..runs.services import rerate_result

STATUS_LABELS = {
    ObjectionStatus.OPEN: N_("待答复"),
    ObjectionStatus.CORRECTED: N_("已更正并重新评定"),
    ObjectionStatus.CONFIRMED: N_("经核实维持原结果"),
    ObjectionStatus.UNVERIFIABLE: N_("无法核实"),
}
OUTCOMES = (ObjectionStatus.CORRECTED, ObjectionStatus.CONFIRMED, ObjectionStatus.UNVERIFIABLE)


class ObjectionRefused(ValueError):
    """The objection cannot be recorded or answered now; the message is Chinese."""


Rerate = Callable[[RatingResult, User], Any]


def reviewers_for(village_code: str) -> list[User]:
    """Credit-office users whose scope holds the village, the nearest office first."""
    codes = ancestor_codes(village_code)
    nearest = case({c: i for i, c in enumerate(codes)}, value=User.scope_code)
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.OFFICE, User.active, User.scope_code.in_(codes))
            .order_by(nearest, User.id)
        )
    )


def raise_objection(
    result: RatingResult,
    *,
    raised_by_name: str,
    contact: str,
    reason: str,
    user: User,
    today: date,
    assignee: User | None = None,
    days: int = DefaultConfig.OBJECTION_DAYS,
) -> Objection:
    """Record an objection during the village's 公示: the result is flagged at once, due
    `days` days from today, assigned to `assignee` or to the nearest credit office."""
    rating = region_rating(result.run_id, result.village_code)
    if rating is None or rating.publicity_ends_on is None:
        raise ObjectionRefused("该村评定结果尚未公示，暂不能登记异议")
    if not in_objection_window(rating, today):
        start, end = published_on(rating), rating.publicity_ends_on
        if start and today < start:
            raise ObjectionRefused(f"公示期自 {start} 开始，尚不能登记异议")
        raise ObjectionRefused(
            f"公示期为 {start} 至 {end}，已过异议期，不能再登记异议；"
            "如认为信息有误，可申请更正档案信息"
        )
    if open_objection_of(result) is not None:
        raise ObjectionRefused("该结果已有一件异议正在处理，请在原异议中补充说明")
    if not reason.strip():
        raise ObjectionRefused("请填写异议理由")
    reviewers = reviewers_for(result.village_code)
    if assignee is None:
        assignee = reviewers[0] if reviewers else None
    elif assignee.id not in {r.id for r in reviewers}:
        raise ObjectionRefused("核查人须为该村所属乡镇或县信用办的工作人员")
    objection = Objection(
        result_id=result.id,
        raised_by_name=raised_by_name.strip(),
        contact=contact.strip(),
        reason=reason.strip(),
        recorded_by_id=user.id,
        due_on=today + timedelta(days=days),
        assignee_id=assignee.id if assignee else None,
        status=ObjectionStatus.OPEN,
        score_before=result.score,
        grade_before=result.grade,
    )
    db.session.add(objection)
    result.status = ResultStatus.OBJECTED
    db.session.flush()
    record_event(
        "objection.raise",
        "objection",
        objection.id,
        f"{objection.raised_by_name} 对评定结果提出异议，{objection.due_on} 前答复",
        {"result_id": result.id, "due_on": objection.due_on.isoformat()},
        user=user,
    )
    return objection


def open_objection_of(result: RatingResult) -> Objection | None:
    return db.session.scalar(
        select(Objection).where(
            Objection.result_id == result.id, Objection.status == ObjectionStatus.OPEN
        )
    )


def answer_objection(
    objection: Objection,
    *,
    outcome: str,
    answer: str,
    user: User,
    today: date,
    rerate: Rerate | None = None,
) -> Objection:
    """Answer in writing. "corrected" re-rates the subject from its (corrected) file; the
    score and grade before stay on the objection. The result then stands again: it takes
    effect at once if the 公示 is over, else with the rest of the village."""
    if objection.status != ObjectionStatus.OPEN:
        raise ObjectionRefused("该异议已答复，不能重复答复")
    if outcome not in OUTCOMES:
        raise ObjectionRefused("请选择处理结果")
    if not answer.strip():
        raise ObjectionRefused("请填写书面答复及理由")
    result = objection.result
    if outcome == ObjectionStatus.CORRECTED:
        (rerate or rerate_result)(
            result,
            user,
            cause=RerateCause.OBJECTION,
            reason=answer,
            objection_id=objection.id,
        )
        db.session.flush()
    objection.status = outcome
    objection.answer = answer.strip()
    objection.answered_by_id = user.id
    objection.answered_at = utcnow()
    rating = region_rating(result.run_id, result.village_code)
    run = db.session.get(RatingRun, result.run_id)
    window_over = (
        rating is not None
        and rating.publicity_ends_on is not None
        and today > rating.publicity_ends_on
    )
    if window_over:
        make_result_effective(result, run.year)
        # The village's other results, if the scheduled command has not applied them yet.
        apply_village_if_due(rating, today)
    else:
        result.status = ResultStatus.PROPOSED
    record_event(
        "objection.answer",
        "objection",
        objection.id,
        f"异议答复：{STATUS_LABELS[ObjectionStatus(outcome)]}",
        {
            "status": ["open", outcome],
            "score": [journal_value(objection.score_before), journal_value(result.score)],
            "grade": [objection.grade_before, result.grade],
        },
        user=user,
    )
    db.session.flush()
    return objection


def is_overdue(objection: Objection, today: date) -> bool:
    return objection.status == ObjectionStatus.OPEN and objection.due_on < today


@dataclass(frozen=True)
class ObjectionFilters:
    status: str = "open"  # open / answered / all
    overdue: bool = False


def filter_objections(query: Select, filters: ObjectionFilters, today: date) -> Select:
    if filters.status == "open":
        query = query.where(Objection.status == ObjectionStatus.OPEN)
    elif filters.status == "answered":
        query = query.where(Objection.status != ObjectionStatus.OPEN)
    if filters.overdue:
        query = query.where(Objection.status == ObjectionStatus.OPEN, Objection.due_on < today)
    # Open ones by urgency, answered ones newest first.
    open_first = case((Objection.status == ObjectionStatus.OPEN, 0), else_=1)
    return query.order_by(open_first, Objection.due_on, Objection.id.desc())
