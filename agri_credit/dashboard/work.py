"""What each role has to do now, for the top of its dashboard: a few small queries over the
user's scope (counts and the first rows of each list, never whole tables).

A cadre: her village's 公示 and its end date, open objections, households flagged for
re-check, files to complete, offices' reminders. An office: villages that have not published,
objections and repairs due within a few working days, departmental sources not imported for
a while, and subjects of departmental data no file matches."""

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from sqlalchemy import func, select

from agri_credit.auth.scopes import households_in_scope, in_scope
from agri_credit.deadlines import add_working_days
from agri_credit.rating_cycle.approvals.reminders import Reminder, open_reminders
from agri_credit.rating_cycle.approvals.services import village_waits_for
from agri_credit.rating_cycle.publication.preliminary import open_flags_in_scope
from models import (
    SOURCE_LABELS,
    AgriEntity,
    CreditRepair,
    Enterprise,
    FileRequest,
    Household,
    Objection,
    ObjectionStatus,
    RatingResult,
    RatingRun,
    RecheckFlag,
    Region,
    RegionLevel,
    RegionRating,
    RegionResultStatus,
    RepairStatus,
    RunStatus,
    SubjectKey,
    User,
    db,
)

from .coverage_cache import cached
from .coverage_frames import source_freshness
from .data_coverage import fresh_text, judge_freshness
from .file_requests import open_file_requests, unmatched_keys

LIST_LIMIT = 8  # rows of each list on the dashboard; the list pages hold the rest


@dataclass(frozen=True)
class VillageStage:
    run: RatingRun
    rating: RegionRating
    village: Region
    waits_for: str


@dataclass(frozen=True)
class Due:
    """An objection or a repair waiting for an answer, for a list of what is due."""

    kind: str  # "objection" / "repair"
    id: int
    name: str
    due_on: date
    overdue: bool


@dataclass
class CadreWork:
    stages: list[VillageStage] = field(default_factory=list)
    objections: list[Due] = field(default_factory=list)
    open_objections: int = 0
    flags: list[tuple[RecheckFlag, RatingResult, str]] = field(default_factory=list)
    incomplete_files: int = 0
    reminders: list[Reminder] = field(default_factory=list)
    file_requests: list[tuple[FileRequest, SubjectKey]] = field(default_factory=list)


@dataclass(frozen=True)
class StaleSource:
    source: str
    label: str
    last_import: datetime | None
    latest_data: str | None  # the newest period or date held: 2025-03, 2024 (whole year), a date
    months_behind: int | None


@dataclass
class OfficeWork:
    unpublished: list[VillageStage] = field(default_factory=list)
    unpublished_total: int = 0
    due: list[Due] = field(default_factory=list)
    due_by: date | None = None
    stale_sources: list[StaleSource] = field(default_factory=list)
    unmatched_subjects: int = 0
    flags: list[tuple[RecheckFlag, RatingResult, str]] = field(default_factory=list)


def _subject_names(results: list[RatingResult]) -> dict[int, str]:
    """Head or entity name per result id."""
    households = {r.household_id for r in results if r.household_id}
    entities = {r.entity_id for r in results if r.entity_id}
    heads = dict(
        db.session.execute(
            select(Household.id, Household.head_name).where(Household.id.in_(households))
        ).all()
    )
    names = dict(
        db.session.execute(
            select(AgriEntity.id, AgriEntity.name).where(AgriEntity.id.in_(entities))
        ).all()
    )
    return {
        r.id: heads.get(r.household_id, "") if r.household_id else names.get(r.entity_id, "")
        for r in results
    }


def _village_stages(
    user: User, today: date, *, unpublished_only: bool = False, limit: int | None = None
) -> tuple[list[VillageStage], int]:
    """Village results of the runs still open (proposed) in the user's scope, with where
    each stands; with `unpublished_only`, only those not yet published."""
    conditions = [
        RegionRating.level == RegionLevel.VILLAGE,
        RatingRun.status == RunStatus.PROPOSED,
        in_scope(RegionRating.region_code, user),
    ]
    if unpublished_only:
        conditions.append(RegionRating.status == RegionResultStatus.PROPOSED)
    total = db.session.scalar(
        select(func.count())
        .select_from(RegionRating)
        .join(RatingRun, RatingRun.id == RegionRating.run_id)
        .where(*conditions)
    )
    query = (
        select(RegionRating, RatingRun, Region)
        .join(RatingRun, RatingRun.id == RegionRating.run_id)
        .join(Region, Region.code == RegionRating.region_code)
        .where(*conditions)
        .order_by(RatingRun.year.desc(), RegionRating.region_code)
    )
    if limit is not None:
        query = query.limit(limit)
    rows = db.session.execute(query).all()
    objections = _open_objections_by_village([r[0] for r in rows])
    stages = [
        VillageStage(
            run,
            rating,
            village,
            village_waits_for(rating, today, objections.get((run.id, rating.region_code), 0)),
        )
        for rating, run, village in rows
    ]
    return stages, int(total or 0)


def _open_objections_by_village(ratings: list[RegionRating]) -> dict[tuple[int, str], int]:
    if not ratings:
        return {}
    rows = db.session.execute(
        select(RatingResult.run_id, RatingResult.village_code, func.count())
        .join(Objection, Objection.result_id == RatingResult.id)
        .where(
            RatingResult.run_id.in_({r.run_id for r in ratings}),
            RatingResult.village_code.in_({r.region_code for r in ratings}),
            Objection.status == ObjectionStatus.OPEN,
        )
        .group_by(RatingResult.run_id, RatingResult.village_code)
    ).all()
    return {(run_id, code): int(n) for run_id, code, n in rows}


def _open_objections(user: User, today: date, due_by: date | None = None) -> tuple[list[Due], int]:
    conditions = [
        Objection.status == ObjectionStatus.OPEN,
        in_scope(RatingResult.village_code, user),
    ]
    if due_by is not None:
        conditions.append(Objection.due_on <= due_by)
    base = select(Objection, RatingResult).join(
        RatingResult, RatingResult.id == Objection.result_id
    )
    total = db.session.scalar(
        select(func.count())
        .select_from(Objection)
        .join(RatingResult, RatingResult.id == Objection.result_id)
        .where(*conditions)
    )
    rows = db.session.execute(
        base.where(*conditions).order_by(Objection.due_on, Objection.id).limit(LIST_LIMIT)
    ).all()
    names = _subject_names([r for _, r in rows])
    due = [
        Due("objection", o.id, names.get(r.id) or o.raised_by_name, o.due_on, o.due_on < today)
        for o, r in rows
    ]
    return due, int(total or 0)


def _flags(user: User) -> list[tuple[RecheckFlag, RatingResult, str]]:
    rows = db.session.execute(open_flags_in_scope(user).limit(LIST_LIMIT)).all()
    names = _subject_names([r for _, r in rows])
    return [(flag, result, names.get(result.id, "")) for flag, result in rows]


def cadre_work(user: User, today: date) -> CadreWork:
    stages, _total = _village_stages(user, today, limit=LIST_LIMIT)
    objections, open_total = _open_objections(user, today)
    incomplete = db.session.scalar(
        households_in_scope(user)
        .where(Household.completeness < 100)
        .with_only_columns(func.count(Household.id))
        .order_by(None)
    )
    return CadreWork(
        stages=stages,
        objections=objections,
        open_objections=open_total,
        flags=_flags(user),
        incomplete_files=int(incomplete or 0),
        reminders=open_reminders(user),
        file_requests=open_file_requests(user),
    )


def _due_repairs(user: User, today: date, due_by: date) -> list[Due]:
    """Pending repairs due by `due_by` of subjects in the user's scope. The due ones are few:
    they are found first and their files' regions checked, rather than every file in scope
    listed for the scope test."""
    name = func.coalesce(Household.head_name, AgriEntity.name, Enterprise.name, SubjectKey.name)
    region = func.coalesce(Household.village_code, AgriEntity.village_code, Enterprise.region_code)
    rows = db.session.execute(
        select(CreditRepair, SubjectKey, name, region)
        .join(SubjectKey, SubjectKey.id == CreditRepair.subject_key_id)
        .outerjoin(Household, Household.id == SubjectKey.household_id)
        .outerjoin(AgriEntity, AgriEntity.id == SubjectKey.entity_id)
        .outerjoin(Enterprise, Enterprise.id == SubjectKey.enterprise_id)
        .where(CreditRepair.status == RepairStatus.PENDING, CreditRepair.decide_by <= due_by)
        .order_by(CreditRepair.decide_by, CreditRepair.id)
    ).all()
    return [
        Due("repair", repair.id, subject or key.masked, repair.decide_by, repair.decide_by < today)
        for repair, key, subject, code in rows
        if code is not None and user.scope.contains(code)
    ][:LIST_LIMIT]


def stale_sources(user: User, today: date, months: int) -> list[StaleSource]:
    """Departmental sources whose newest data (the records' own period or date, not the day
    they were imported) for the user's scope is more than `months` old, or that hold no data:
    the data-coverage page's rule (data_coverage.judge_freshness)."""
    # The newest period per source changes only with an import: kept per data stamp.
    latest = cached(("freshness", user.scope_code), lambda: source_freshness(user))
    stale = []
    for source, label in SOURCE_LABELS.items():
        row = latest.loc[source.value] if source.value in latest.index else None
        if row is None:
            stale.append(StaleSource(source.value, label, None, None, None))
            continue
        fresh = judge_freshness(
            row["period"], row["latest_date"], row["last_import"], today, months
        )
        if fresh.stale or fresh.months_behind is None:
            last_import = (
                None if pd.isna(row["last_import"]) else row["last_import"].to_pydatetime()
            )
            stale.append(
                StaleSource(
                    source.value, label, last_import, fresh_text(fresh), fresh.months_behind
                )
            )
    return stale


def office_work(user: User, today: date, *, due_days: int, stale_months: int) -> OfficeWork:
    unpublished, total = _village_stages(user, today, unpublished_only=True, limit=LIST_LIMIT)
    due_by = add_working_days(today, due_days)
    objections, _n = _open_objections(user, today, due_by)
    due = sorted(objections + _due_repairs(user, today, due_by), key=lambda d: d.due_on)
    unmatched = db.session.scalar(
        unmatched_keys(user).with_only_columns(func.count(SubjectKey.id)).order_by(None)
    )
    return OfficeWork(
        unpublished=unpublished,
        unpublished_total=total,
        due=due,
        due_by=due_by,
        stale_sources=stale_sources(user, today, stale_months),
        unmatched_subjects=int(unmatched or 0),
        flags=_flags(user),
    )
