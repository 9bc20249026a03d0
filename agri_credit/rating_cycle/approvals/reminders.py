"""催办: a credit office reminds the villages of a run that have not published their results
yet; each reminder is a task on the village cadre's dashboard until the village publishes."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from agri_credit.audit import record_event
from agri_credit.auth.scopes import in_scope
from models import (
    RatingRun,
    Region,
    RegionLevel,
    RegionRating,
    RegionResultStatus,
    RunStatus,
    User,
    VillageReminder,
    db,
    local_date,
)

MESSAGE_MAX = 200


class ReminderRefused(ValueError):
    """Nothing to remind; the message is Chinese."""


def unpublished_villages(run: RatingRun, user: User, within: str | None = None) -> list[str]:
    """Codes of the run's villages in the user's scope (under `within` if given) whose
    results are not published yet."""
    query = select(RegionRating.region_code).where(
        RegionRating.run_id == run.id,
        RegionRating.level == RegionLevel.VILLAGE,
        RegionRating.status == RegionResultStatus.PROPOSED,
        in_scope(RegionRating.region_code, user),
    )
    if within:
        query = query.where(RegionRating.region_code.startswith(within[:9]))
    return list(db.session.scalars(query.order_by(RegionRating.region_code)))


def reminded_today(run_id: int, codes: list[str], today: date) -> set[str]:
    """Villages of `codes` already reminded today (a second click adds nothing)."""
    if not codes:
        return set()
    rows = db.session.execute(
        select(VillageReminder.village_code, func.max(VillageReminder.sent_at))
        .where(VillageReminder.run_id == run_id, VillageReminder.village_code.in_(codes))
        .group_by(VillageReminder.village_code)
    ).all()
    return {code for code, sent in rows if sent is not None and local_date(sent) >= today}


def remind_villages(
    run: RatingRun, codes: list[str], user: User, today: date, message: str = ""
) -> int:
    """Remind each village of `codes` that has not published; returns how many were
    reminded (villages already reminded today are skipped)."""
    if run.status != RunStatus.PROPOSED:
        raise ReminderRefused("本次评定已审定或已被取代，无需催办")
    message = message.strip()
    if len(message) > MESSAGE_MAX:
        raise ReminderRefused(f"催办说明不能超过 {MESSAGE_MAX} 字")
    waiting = set(unpublished_villages(run, user)) & set(codes)
    if not waiting:
        raise ReminderRefused("所选的村都已发布公示，无需催办")
    due = sorted(waiting - reminded_today(run.id, sorted(waiting), today))
    for code in due:
        db.session.add(
            VillageReminder(run_id=run.id, village_code=code, message=message, sent_by_id=user.id)
        )
    if due:
        record_event(
            "rating.remind",
            "rating_run",
            run.id,
            f"催办 {len(due)} 个村发布 {run.year} 年评定结果公示",
            {"villages": due},
            user=user,
        )
    return len(due)


@dataclass(frozen=True)
class Reminder:
    reminder: VillageReminder
    run: RatingRun
    village: Region


def open_reminders(user: User) -> list[Reminder]:
    """Reminders to villages in the user's scope whose results are still unpublished in a
    run that stands: the newest reminder per village and run."""
    latest = (
        select(func.max(VillageReminder.id))
        .where(in_scope(VillageReminder.village_code, user))
        .group_by(VillageReminder.run_id, VillageReminder.village_code)
    )
    rows = db.session.execute(
        select(VillageReminder, RatingRun, Region)
        .join(RatingRun, RatingRun.id == VillageReminder.run_id)
        .join(Region, Region.code == VillageReminder.village_code)
        .join(
            RegionRating,
            (RegionRating.run_id == VillageReminder.run_id)
            & (RegionRating.region_code == VillageReminder.village_code),
        )
        .where(
            VillageReminder.id.in_(latest),
            RegionRating.status == RegionResultStatus.PROPOSED,
            RatingRun.status == RunStatus.PROPOSED,
        )
        .order_by(VillageReminder.sent_at.desc())
    ).all()
    return [Reminder(*row) for row in rows]
