"""Review up the region tree: the township office approves (or returns) each of its villages'
results once their 公示 is over and every objection is answered; the county office approves
(or returns) each township once all its villages are approved, and then approves the run."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from agri_credit.audit import record_event
from agri_credit.config import DefaultConfig
from models import (
    Objection,
    ObjectionStatus,
    RatingResult,
    RatingRun,
    Region,
    RegionLevel,
    RegionRating,
    RegionResultStatus,
    Role,
    RunStatus,
    User,
    code_range,
    db,
    utcnow,
)

from ..publication.services import apply_village_if_due
from ..second_person import own_work

# Levels of the reviewer's own scope allowed to review each level of result.
REVIEWER_LEVELS = {
    RegionLevel.VILLAGE: (
        RegionLevel.TOWNSHIP,
        RegionLevel.COUNTY,
        RegionLevel.CITY,
        RegionLevel.PROVINCE,
    ),
    RegionLevel.TOWNSHIP: (RegionLevel.COUNTY, RegionLevel.CITY, RegionLevel.PROVINCE),
    RegionLevel.COUNTY: (RegionLevel.COUNTY, RegionLevel.CITY, RegionLevel.PROVINCE),
}


class ReviewRefused(ValueError):
    """The review action is not allowed now; the message is Chinese."""


@dataclass(frozen=True)
class ReviewItem:
    rating: RegionRating
    region: Region
    blockers: list[str]
    waits_for: str = ""  # where the result stands and what it waits for
    return_blockers: tuple[str, ...] = ()  # what stops sending it back now

    @property
    def can_approve(self) -> bool:
        return not self.blockers

    @property
    def can_return(self) -> bool:
        return not self.return_blockers

    @property
    def approved(self) -> bool:
        return self.rating.status == RegionResultStatus.APPROVED


def may_review(user: User, level: str, region_code: str) -> bool:
    """A credit-office user reviews a level only from the level above (or higher), and
    only within her scope."""
    return (
        user.role == Role.OFFICE
        and user.scope.level in REVIEWER_LEVELS.get(RegionLevel(level), ())
        and user.scope.contains(region_code)
        and user.scope_code != region_code
    )


def may_approve_run(user: User, run: RatingRun) -> bool:
    return (
        user.role == Role.OFFICE
        and user.scope.level in REVIEWER_LEVELS[RegionLevel.COUNTY]
        and user.scope.contains(run.region_code)
    )


def _run_blockers(run: RatingRun) -> list[str]:
    if run.status == RunStatus.SUPERSEDED:
        return [_("本次评定已被新的评定取代")]
    if run.status == RunStatus.APPROVED:
        return [_("本次评定已审定")]
    return []


def open_objection_counts(run_id: int, village_codes: list[str]) -> dict[str, int]:
    if not village_codes:
        return {}
    rows = db.session.execute(
        select(RatingResult.village_code, func.count())
        .join(Objection, Objection.result_id == RatingResult.id)
        .where(
            RatingResult.run_id == run_id,
            RatingResult.village_code.in_(village_codes),
            Objection.status == ObjectionStatus.OPEN,
        )
        .group_by(RatingResult.village_code)
    ).all()
    return dict(rows)


def village_blockers(
    run: RatingRun, rating: RegionRating, today: date, open_objections: int | None = None
) -> list[str]:
    """What stops a township from approving this village now, in Chinese."""
    blockers = _run_blockers(run)
    if rating.status == RegionResultStatus.APPROVED:
        return blockers + [_("已审核通过")]
    if rating.status == RegionResultStatus.PROPOSED or rating.publicity_ends_on is None:
        blockers.append(_("村里尚未公示评定结果"))
    elif today <= rating.publicity_ends_on:
        blockers.append(_("公示期至 %(day)s，期满后方可审核", day=rating.publicity_ends_on))
    if open_objections is None:
        open_objections = open_objection_counts(run.id, [rating.region_code]).get(
            rating.region_code, 0
        )
    if open_objections:
        blockers.append(_("有 %(n)s 件异议尚未答复", n=open_objections))
    return blockers


def village_waits_for(rating: RegionRating, today: date, open_objections: int) -> str:
    """Where a village's results stand in the cycle and what they wait for, in the user's
    language (Chinese outside a request)."""
    if rating.status == RegionResultStatus.APPROVED:
        return _("已经乡镇审核通过")
    if rating.status == RegionResultStatus.PROPOSED or rating.publicity_ends_on is None:
        return _("等待村干部初评并发布公示")
    if today <= rating.publicity_ends_on:
        return _("公示中，%(day)s 期满", day=rating.publicity_ends_on)
    if open_objections:
        return _("公示已期满，等待信用办答复 %(n)s 件异议", n=open_objections)
    if rating.status == RegionResultStatus.RETURNED:
        return _("已退回，等待乡镇信用办重新审核")
    return _("公示已期满，等待乡镇信用办审核")


def return_blockers(
    run: RatingRun, rating: RegionRating, today: date, parent_approved: bool
) -> list[str]:
    """What stops the level above from sending this result back now, in Chinese (the
    checks of `return_region`, for the page to say before anyone clicks)."""
    blockers = _run_blockers(run)
    if rating.level == RegionLevel.VILLAGE and (
        rating.status == RegionResultStatus.PROPOSED
        or rating.publicity_ends_on is None
        or today <= rating.publicity_ends_on
    ):
        blockers.append(_("公示期满后方可退回"))
    elif rating.status == RegionResultStatus.RETURNED:
        blockers.append(_("已退回"))
    elif rating.level == RegionLevel.TOWNSHIP and rating.status == RegionResultStatus.PROPOSED:
        blockers.append(_("尚未审核，无需退回"))
    if parent_approved:
        blockers.append(_("上一级结果已审核通过，不能再退回"))
    return blockers


def township_waits_for(run: RatingRun, rating: RegionRating) -> str:
    if rating.status == RegionResultStatus.APPROVED:
        return "已经县信用办审核通过"
    waiting = _waiting_villages(run, rating)
    if waiting:
        return f"等待 {len(waiting)} 个村通过乡镇审核"
    if rating.status == RegionResultStatus.RETURNED:
        return "已退回，等待县信用办重新审核"
    return "各村均已通过，等待县信用办审核"


def _children(run: RatingRun, parent: str, level: RegionLevel) -> list[RegionRating]:
    """Results of one level under a region in a run (the region's own result excluded)."""
    low, high = code_range(parent, db.session.get(Region, parent).level)
    return list(
        db.session.scalars(
            select(RegionRating)
            .where(
                RegionRating.run_id == run.id,
                RegionRating.level == level,
                RegionRating.region_code.between(low, high),
            )
            .order_by(RegionRating.region_code)
        )
    )


def _names(codes: list[str]) -> str:
    names = dict(
        db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all()
    )
    shown = [names.get(c, c) for c in codes[:5]]
    return "、".join(shown) + ("等" if len(codes) > 5 else "")


def _waiting_villages(run: RatingRun, rating: RegionRating) -> list[str]:
    """Codes of a township's villages not yet approved in a run."""
    return [
        v.region_code
        for v in _children(run, rating.region_code, RegionLevel.VILLAGE)
        if v.status != RegionResultStatus.APPROVED
    ]


def township_blockers(run: RatingRun, rating: RegionRating) -> list[str]:
    """What stops the county from approving this township now, in Chinese."""
    blockers = _run_blockers(run)
    if rating.status == RegionResultStatus.APPROVED:
        return blockers + [_("已审核通过")]
    waiting = _waiting_villages(run, rating)
    if waiting:
        blockers.append(f"{len(waiting)} 个村尚未通过乡镇审核：{_names(waiting)}")
    return blockers


def run_blockers(run: RatingRun) -> list[str]:
    """What stops the county from approving the run: every township approved (or every
    village, for a run without township results)."""
    blockers = _run_blockers(run)
    level = RegionLevel.TOWNSHIP
    below = _children(run, run.region_code, level)
    if not below:
        level = RegionLevel.VILLAGE
        below = _children(run, run.region_code, level)
    waiting = [r.region_code for r in below if r.status != RegionResultStatus.APPROVED]
    if waiting:
        what = "乡镇" if level == RegionLevel.TOWNSHIP else "村"
        blockers.append(f"{len(waiting)} 个{what}尚未审核通过：{_names(waiting)}")
    if not below:
        blockers.append("本次评定没有可审核的结果")
    return blockers


def review_items(
    run: RatingRun, user: User, today: date, township: str | None = None
) -> tuple[str, list[ReviewItem]]:
    """The results this user reviews in a run: villages for a township office (or for a
    county office looking into one `township`), townships for a county office. Returns the
    level and the items with what blocks each."""
    if user.scope.level == RegionLevel.TOWNSHIP:
        level, parent = RegionLevel.VILLAGE, user.scope_code
    elif township and user.scope.contains(township):
        level, parent = RegionLevel.VILLAGE, township
    else:
        level, parent = RegionLevel.TOWNSHIP, user.scope_code
    region = db.session.get(Region, parent)
    if region is None:
        return level, []
    low, high = code_range(parent, region.level)
    ratings = list(
        db.session.scalars(
            select(RegionRating)
            .where(
                RegionRating.run_id == run.id,
                RegionRating.level == level,
                RegionRating.region_code.between(low, high),
            )
            .order_by(RegionRating.region_code)
        )
    )
    regions = {
        r.code: r
        for r in db.session.scalars(
            select(Region).where(Region.code.in_([r.region_code for r in ratings]))
        )
    }
    parent_rating = db.session.scalar(
        select(RegionRating).where(
            RegionRating.run_id == run.id, RegionRating.region_code == parent
        )
    )
    parent_approved = (
        parent_rating is not None and parent_rating.status == RegionResultStatus.APPROVED
    )
    if level == RegionLevel.VILLAGE:
        objections = open_objection_counts(run.id, [r.region_code for r in ratings])
        items = [
            ReviewItem(
                r,
                regions[r.region_code],
                village_blockers(run, r, today, objections.get(r.region_code, 0)),
                village_waits_for(r, today, objections.get(r.region_code, 0)),
                tuple(return_blockers(run, r, today, parent_approved)),
            )
            for r in ratings
        ]
    else:
        items = []
        for r in ratings:
            blockers = township_blockers(run, r)
            items.append(
                ReviewItem(
                    r,
                    regions[r.region_code],
                    blockers,
                    township_waits_for(run, r),
                    tuple(return_blockers(run, r, today, parent_approved)),
                )
            )
    return level, items


def _parent_rating(run: RatingRun, rating: RegionRating) -> RegionRating | None:
    if rating.level == RegionLevel.VILLAGE:
        parent = rating.region_code[:9] + "000"
    elif rating.level == RegionLevel.TOWNSHIP:
        parent = rating.region_code[:6] + "000000"
    else:
        return None
    return db.session.scalar(
        select(RegionRating).where(
            RegionRating.run_id == run.id, RegionRating.region_code == parent
        )
    )


def approve_region(
    run: RatingRun, rating: RegionRating, user: User, today: date, note: str = ""
) -> RegionRating:
    if not may_review(user, rating.level, rating.region_code):
        raise ReviewRefused("只有上一级信用办可以审核该结果")
    if rating.level == RegionLevel.VILLAGE:
        blockers = village_blockers(run, rating, today)
    elif rating.level == RegionLevel.TOWNSHIP:
        blockers = township_blockers(run, rating)
    else:
        raise ReviewRefused("县级结果随整次评定一起审定")
    if blockers:
        raise ReviewRefused("；".join(blockers))
    before = rating.status
    rating.status = RegionResultStatus.APPROVED
    rating.reviewed_by_id = user.id
    rating.reviewed_at = utcnow()
    rating.review_note = note.strip()
    record_event(
        "rating.approve",
        "region_rating",
        rating.id,
        "审核通过" + (f"：{rating.review_note}" if rating.review_note else ""),
        {"status": [before, rating.status], "run_id": run.id, "region_code": rating.region_code},
        user=user,
    )
    if rating.level == RegionLevel.VILLAGE:  # its 公示 is over: results take effect now
        apply_village_if_due(rating, today)
    return rating


def return_region(
    run: RatingRun, rating: RegionRating, user: User, today: date, note: str
) -> RegionRating:
    """Send a result back with a note. Only while the level above has not approved it."""
    if not may_review(user, rating.level, rating.region_code):
        raise ReviewRefused("只有上一级信用办可以退回该结果")
    blockers = _run_blockers(run)
    if blockers:
        raise ReviewRefused(blockers[0])
    if not note.strip():
        raise ReviewRefused("退回时请写明理由")
    if rating.level == RegionLevel.VILLAGE and (
        rating.status == RegionResultStatus.PROPOSED
        or rating.publicity_ends_on is None
        or today <= rating.publicity_ends_on
    ):
        raise ReviewRefused("公示期满后方可审核或退回")
    parent = _parent_rating(run, rating)
    if parent is not None and parent.status == RegionResultStatus.APPROVED:
        raise ReviewRefused("上一级结果已审核通过，不能再退回")
    before = rating.status
    rating.status = RegionResultStatus.RETURNED
    rating.reviewed_by_id = user.id
    rating.reviewed_at = utcnow()
    rating.review_note = note.strip()
    record_event(
        "rating.return",
        "region_rating",
        rating.id,
        f"退回：{rating.review_note}",
        {"status": [before, rating.status], "run_id": run.id, "region_code": rating.region_code},
        user=user,
    )
    if rating.level == RegionLevel.VILLAGE:  # returned for review, yet its 公示 is over
        apply_village_if_due(rating, today)
    return rating


def approve_run(
    run: RatingRun,
    user: User,
    note: str = "",
    second_person: bool = DefaultConfig.SECOND_PERSON_APPROVAL,
) -> RatingRun:
    """The county's final approval: the run and its county result become approved, by
    someone other than who started the run when `second_person`."""
    if not may_approve_run(user, run):
        raise ReviewRefused("只有县级信用办可以审定整次评定")
    if refusal := own_work(user, [run.started_by_id], "run", second_person):
        raise ReviewRefused(refusal)
    blockers = run_blockers(run)
    if blockers:
        raise ReviewRefused("；".join(blockers))
    now = utcnow()
    run.status = RunStatus.APPROVED
    run.approved_by_id = user.id
    run.approved_at = now
    top = db.session.scalar(
        select(RegionRating).where(
            RegionRating.run_id == run.id, RegionRating.region_code == run.region_code
        )
    )
    if top is not None:
        top.status = RegionResultStatus.APPROVED
        top.reviewed_by_id = user.id
        top.reviewed_at = now
        top.review_note = note.strip()
    record_event(
        "run.approve",
        "rating_run",
        run.id,
        f"审定 {run.year} 年评定结果" + (f"：{note.strip()}" if note.strip() else ""),
        {"status": [RunStatus.PROPOSED.value, RunStatus.APPROVED.value]},
        user=user,
    )
    return run
