"""村级初评: before publishing, the village cadre goes through the proposed results, flags a
household or entity whose result looks wrong for re-check with a note for the credit office,
and records that the review was done. The notice says "经村级初评" only when it was. The
office answers each flag (it re-rates through objections or a corrected file: the answer
records what it did)."""

from sqlalchemy import Select, select

from agri_credit.audit import record_event
from agri_credit.auth.scopes import in_scope
from models import (
    RatingResult,
    RatingRun,
    RecheckFlag,
    RegionRating,
    RegionResultStatus,
    RunStatus,
    User,
    db,
    utcnow,
)

NOTE_MAX = 500


class PreliminaryRefused(ValueError):
    """The step is not allowed now; the message is Chinese."""


def _refuse_unless_proposed(run: RatingRun, rating: RegionRating) -> None:
    if run.status != RunStatus.PROPOSED:
        raise PreliminaryRefused("本次评定已审定或已被取代，不能再初评")
    if rating.status != RegionResultStatus.PROPOSED:
        raise PreliminaryRefused("本村评定结果已发布公示，初评已结束；如有疑问请登记异议")


def open_flags(run_id: int, village_code: str) -> dict[int, RecheckFlag]:
    """The village's unanswered flags in a run, by result id."""
    flags = db.session.scalars(
        select(RecheckFlag)
        .join(RatingResult, RatingResult.id == RecheckFlag.result_id)
        .where(
            RatingResult.run_id == run_id,
            RatingResult.village_code == village_code,
            RecheckFlag.resolved_at.is_(None),
        )
    )
    return {flag.result_id: flag for flag in flags}


def flag_for_recheck(
    run: RatingRun, rating: RegionRating, result: RatingResult, note: str, user: User
) -> RecheckFlag:
    """Ask the credit office to re-check one proposed result, saying why."""
    _refuse_unless_proposed(run, rating)
    if result.run_id != run.id or result.village_code != rating.region_code:
        raise PreliminaryRefused("该结果不属于本村本次评定")
    note = note.strip()
    if not note:
        raise PreliminaryRefused("请写明需要复核的情况，供信用办核实")
    if len(note) > NOTE_MAX:
        raise PreliminaryRefused(f"复核说明不能超过 {NOTE_MAX} 字")
    if result.id in open_flags(run.id, rating.region_code):
        raise PreliminaryRefused("该户已标记复核，等待信用办核实")
    flag = RecheckFlag(result_id=result.id, note=note, flagged_by_id=user.id)
    db.session.add(flag)
    db.session.flush()
    record_event(
        "rating.recheck_flag",
        "rating_result",
        result.id,
        f"村级初评标记复核：{note[:80]}",
        {"run_id": run.id, "village_code": rating.region_code},
        user=user,
    )
    return flag


def complete_preliminary_review(run: RatingRun, rating: RegionRating, user: User) -> None:
    """Record that the village went through its proposed results."""
    _refuse_unless_proposed(run, rating)
    if rating.preliminary_reviewed_at is not None:
        raise PreliminaryRefused("本村已完成村级初评")
    rating.preliminary_reviewed_at = utcnow()
    rating.preliminary_reviewed_by_id = user.id
    flagged = len(open_flags(run.id, rating.region_code))
    record_event(
        "rating.preliminary_review",
        "region_rating",
        rating.id,
        f"完成村级初评，标记复核 {flagged} 户",
        {"run_id": run.id, "region_code": rating.region_code, "flagged": flagged},
        user=user,
    )


def resolve_flag(flag: RecheckFlag, resolution: str, user: User) -> None:
    """The credit office's answer to a flag: what it checked and did."""
    if flag.resolved_at is not None:
        raise PreliminaryRefused("该复核已答复")
    resolution = resolution.strip()
    if not resolution:
        raise PreliminaryRefused("请写明核实情况和处理结果")
    flag.resolution = resolution[:2000]
    flag.resolved_by_id = user.id
    flag.resolved_at = utcnow()
    record_event(
        "rating.recheck_resolve",
        "rating_result",
        flag.result_id,
        f"复核答复：{resolution[:80]}",
        {"flag_id": flag.id},
        user=user,
    )


def open_flags_in_scope(user: User) -> Select:
    """Unanswered flags in the user's scope, in runs still open: (RecheckFlag, RatingResult)."""
    return (
        select(RecheckFlag, RatingResult)
        .join(RatingResult, RatingResult.id == RecheckFlag.result_id)
        .join(RatingRun, RatingRun.id == RatingResult.run_id)
        .where(
            RecheckFlag.resolved_at.is_(None),
            RatingRun.status != RunStatus.SUPERSEDED,
            in_scope(RatingResult.village_code, user),
        )
        .order_by(RecheckFlag.flagged_at, RecheckFlag.id)
    )
