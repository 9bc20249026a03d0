"""公示: a village's proposed results are reviewed by its cadre, published for a period
during which households may object, and take effect once the period is over.

Dates: a village published on day D is under 公示 up to and including `publicity_ends_on`
(D + PUBLICITY_DAYS); objections are accepted on those days; from the day after, every result
of the village without an open objection takes effect (`apply_effective_results`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select, true, update

from agri_credit.audit import record_event
from agri_credit.config import DefaultConfig
from agri_credit.deadlines import publicity_ends_on
from agri_credit.signals import grades_written
from models import (
    N_,
    AgriEntity,
    Household,
    Objection,
    ObjectionStatus,
    RatingResult,
    RatingRun,
    Region,
    RegionLevel,
    RegionRating,
    RegionResultStatus,
    ResultStatus,
    Role,
    RunStatus,
    User,
    clock,
    db,
    local_date,
    mask_id,
    utcnow,
)

from ..rulesets.services import readable_rules

CREDIT_GRADES = ("AAA", "AA", "A")
EFFECTIVE_ACTION = "rating.effective"
# A rule set may show scores on the notice: {"show_scores_on_notice": true} in its body.
SHOW_SCORES_KEY = "show_scores_on_notice"

STATUS_LABELS = {
    RegionResultStatus.PROPOSED: N_("待公示"),
    RegionResultStatus.PUBLISHED: N_("公示中"),
    RegionResultStatus.APPROVED: N_("已审核通过"),
    RegionResultStatus.RETURNED: N_("已退回"),
}


class PublicationError(ValueError):
    """An action the state of the run or village does not allow; the message is Chinese."""


# ---- reading a village's results -----------------------------------------------------------


@dataclass(frozen=True)
class ResultRow:
    result: RatingResult
    kind: str  # "household" or "entity"
    subject_id: int
    name: str
    id_masked: str
    open_objection: Objection | None = None
    status: str = ""  # as of the day asked: see `result_status_now`

    @property
    def grade(self) -> str | None:
        return self.result.grade

    @property
    def is_credit(self) -> bool:
        return self.result.grade in CREDIT_GRADES


def region_rating(run_id: int, region_code: str) -> RegionRating | None:
    return db.session.scalar(
        select(RegionRating).where(
            RegionRating.run_id == run_id, RegionRating.region_code == region_code
        )
    )


@dataclass(frozen=True)
class ResultFilters:
    """What a village's results page narrows to: a name (or the last digits of an ID number
    or code) and a grade ("none" for subjects rated below the credit grades)."""

    q: str = ""
    grade: str = ""


def filtered_results(run_id: int, village_code: str, filters: ResultFilters) -> Any:
    """The village's results in a run matching `filters`, best score first: a select of
    RatingResult to paginate; `village_results(..., result_ids=...)` reads a page's rows."""
    query = (
        select(RatingResult)
        .outerjoin(Household, Household.id == RatingResult.household_id)
        .outerjoin(AgriEntity, AgriEntity.id == RatingResult.entity_id)
        .where(RatingResult.run_id == run_id, RatingResult.village_code == village_code)
    )
    if filters.grade == "none":
        query = query.where(RatingResult.grade.is_(None))
    elif filters.grade:
        query = query.where(RatingResult.grade == filters.grade)
    if q := filters.q.strip():
        query = query.where(
            or_(
                Household.head_name.contains(q, autoescape=True),
                AgriEntity.name.contains(q, autoescape=True),
                Household.head_id_masked.endswith(q, autoescape=True),
                AgriEntity.operator_id_masked.endswith(q, autoescape=True),
                AgriEntity.uscc.endswith(q.upper(), autoescape=True),
            )
        )
    return query.order_by(RatingResult.score.desc(), RatingResult.id)


def grade_counts(run_id: int, village_code: str) -> dict[str | None, int]:
    """How many of the village's subjects got each grade (None: below the credit grades)."""
    return dict(
        db.session.execute(
            select(RatingResult.grade, func.count())
            .where(RatingResult.run_id == run_id, RatingResult.village_code == village_code)
            .group_by(RatingResult.grade)
        ).all()
    )


def village_results(
    run_id: int,
    village_code: str,
    today: date | None = None,
    result_ids: Iterable[int] | None = None,
) -> list[ResultRow]:
    """Every household and entity result of one village in a run (or only `result_ids`, a
    page of them), best score first, each with its open objection if any and its status as
    of `today` (the configured zone's today by default). Two queries, whatever the size."""
    only = RatingResult.id.in_(list(result_ids)) if result_ids is not None else true()
    rows = db.session.execute(
        select(
            RatingResult,
            result_status_now(today or clock.today()),
            Household.head_name,
            Household.head_id_masked,
            AgriEntity.name,
            AgriEntity.uscc,
            AgriEntity.operator_id_masked,
        )
        .outerjoin(Household, Household.id == RatingResult.household_id)
        .outerjoin(AgriEntity, AgriEntity.id == RatingResult.entity_id)
        .where(RatingResult.run_id == run_id, RatingResult.village_code == village_code, only)
        .order_by(RatingResult.score.desc(), RatingResult.id)
    ).all()
    open_objections = {
        o.result_id: o
        for o in db.session.scalars(
            select(Objection)
            .join(RatingResult, RatingResult.id == Objection.result_id)
            .where(
                RatingResult.run_id == run_id,
                RatingResult.village_code == village_code,
                Objection.status == ObjectionStatus.OPEN,
                only,
            )
        )
    }
    out = []
    for result, status, head, head_masked, entity, uscc, operator_masked in rows:
        if result.household_id is not None:
            kind, subject_id, name, masked = "household", result.household_id, head, head_masked
        else:
            kind, subject_id, name = "entity", result.entity_id, entity
            masked = mask_id(uscc) if uscc else operator_masked
        out.append(
            ResultRow(
                result, kind, subject_id, name, masked, open_objections.get(result.id), status
            )
        )
    return out


def grade_labels(run: RatingRun) -> dict[str, str]:
    """{"AAA": "优秀", ...} from the run's rule set."""
    rules = readable_rules(run.rule_set)
    if rules is None:
        return {}
    return {band.grade: band.label for band in rules.grade_bands}


def indicator_labels(run: RatingRun) -> dict[str, str]:
    """Indicator key to its Chinese label, for breakdowns (households and every entity type)."""
    rules = readable_rules(run.rule_set)
    if rules is None:
        return {}
    labels = {i.key: i.label for i in rules.household_indicators}
    for sheet in rules.entity_sheets:
        labels.update({i.key: i.label for i in sheet.indicators})
    return labels


def shows_scores(run: RatingRun) -> bool:
    return bool((run.rule_set.body or {}).get(SHOW_SCORES_KEY, False))


# ---- publishing ------------------------------------------------------------------------------


def publication_blockers(run: RatingRun, rating: RegionRating) -> list[str]:
    """Why the village cannot be published now, in Chinese; empty when it can."""
    if run.status == RunStatus.SUPERSEDED:
        return ["本次评定已被新的评定取代，不能公示"]
    if run.status == RunStatus.APPROVED:
        return ["本次评定已由县级审定，不能重新公示"]
    if rating.level != RegionLevel.VILLAGE:
        return ["只有村级评定结果需要公示"]
    if rating.status == RegionResultStatus.PUBLISHED:
        return [f"已于 {rating.published_at:%Y-%m-%d} 公示，公示期至 {rating.publicity_ends_on}"]
    if rating.status != RegionResultStatus.PROPOSED:
        return ["该村评定结果已公示过"]
    return []


def publish_village(
    run: RatingRun,
    rating: RegionRating,
    user: User,
    today: date,
    days: int = DefaultConfig.PUBLICITY_DAYS,
) -> RegionRating:
    """Put a village's results under 公示 from `today` for `days` days."""
    blockers = publication_blockers(run, rating)
    if blockers:
        raise PublicationError(blockers[0])
    rating.status = RegionResultStatus.PUBLISHED
    rating.published_at = utcnow()
    rating.publicity_ends_on = publicity_ends_on(today, days)
    rating.published_by_id = user.id
    record_event(
        "rating.publish",
        "region_rating",
        rating.id,
        f"公示 {run.year} 年评定结果，公示期至 {rating.publicity_ends_on}",
        {
            "run_id": run.id,
            "region_code": rating.region_code,
            "ends_on": str(rating.publicity_ends_on),
        },
        user=user,
    )
    return rating


def published_on(rating: RegionRating) -> date | None:
    """The local day the 公示 began (published_at is UTC; `today` everywhere is local)."""
    return local_date(rating.published_at) if rating.published_at else None


def in_objection_window(rating: RegionRating, today: date) -> bool:
    start, end = published_on(rating), rating.publicity_ends_on
    return (
        rating.status == RegionResultStatus.PUBLISHED
        and start is not None
        and end is not None
        and start <= today <= end
    )


# ---- the public notice ------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    run: RatingRun
    rating: RegionRating
    village: Region
    township: Region | None
    households: list[ResultRow]
    entities: list[ResultRow]
    grade_labels: dict[str, str]
    show_scores: bool
    contacts: list[User]
    counts: "VillageCounts"

    @property
    def starts_on(self) -> date | None:
        return published_on(self.rating)

    @property
    def ends_on(self) -> date | None:
        return self.rating.publicity_ends_on


def village_contacts(village_code: str, publisher_id: int | None) -> list[User]:
    """Who a household calls to object: the village's cadres, the publisher first."""
    cadres = list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.CADRE, User.scope_code == village_code, User.active)
            .order_by((User.id == (publisher_id or 0)).desc(), User.id)
        )
    )
    if cadres or publisher_id is None:
        return cadres
    publisher = db.session.get(User, publisher_id)
    return [publisher] if publisher else []


def _grade_order(grades: Iterable[str]) -> dict[str, int]:
    return {g: i for i, g in enumerate(grades)}


def public_notice(run: RatingRun, rating: RegionRating) -> Notice:
    """What the printed 公示 shows: credit households and entities with their grades, IDs
    masked; scores only when the rule set says so."""
    labels = grade_labels(run)
    order = _grade_order(labels or {g: g for g in CREDIT_GRADES})
    rows = [r for r in village_results(run.id, rating.region_code) if r.grade]
    rows.sort(key=lambda r: (order.get(r.grade or "", 99), r.name or ""))
    village = db.session.get(Region, rating.region_code)
    township = db.session.get(Region, village.parent_code) if village.parent_code else None
    return Notice(
        run=run,
        rating=rating,
        village=village,
        township=township,
        households=[r for r in rows if r.kind == "household"],
        entities=[r for r in rows if r.kind == "entity"],
        grade_labels=labels,
        show_scores=shows_scores(run),
        contacts=village_contacts(rating.region_code, rating.published_by_id),
        counts=village_counts([(run.id, rating.region_code)]).get(
            (run.id, rating.region_code), VillageCounts()
        ),
    )


# ---- taking effect --------------------------------------------------------------------------
#
# A village's results take effect the day after its 公示 ends. The files (Household and
# AgriEntity.credit_grade) are written by `apply_effective_results`, run daily by
# `flask ratings-apply-effective` and on the write paths that touch a village after its 公示
# (an objection answered, the township's review). Pages never write: until the files are
# written they compute what is effective today in SQL (`result_status_now`, `grades_now`).

_CLOSED_VILLAGE_STATES = (
    RegionResultStatus.PUBLISHED,
    RegionResultStatus.APPROVED,
    RegionResultStatus.RETURNED,
)


def _period_over(today: date) -> list[Any]:
    """Conditions on RegionRating (joined to its RatingRun): a village whose 公示 ended
    before `today`, in a run that still stands."""
    return [
        RegionRating.level == RegionLevel.VILLAGE,
        RegionRating.status.in_(_CLOSED_VILLAGE_STATES),
        RegionRating.publicity_ends_on.is_not(None),
        RegionRating.publicity_ends_on < today,
        RatingRun.status != RunStatus.SUPERSEDED,
    ]


def _due_villages(today: date):
    """Village results whose 公示 ended before `today` and that have not been applied yet:
    one small query over region ratings however many results there are."""
    return (
        select(RegionRating, RatingRun.year)
        .join(RatingRun, RatingRun.id == RegionRating.run_id)
        .where(*_period_over(today), RegionRating.effective_at.is_(None))
        .order_by(RegionRating.id)
    )


def _claim(rating: RegionRating) -> bool:
    """Mark the village applied, unless another worker or request did first: a conditional
    UPDATE, so its results are applied and journaled exactly once."""
    moment = utcnow()
    claimed = db.session.execute(
        update(RegionRating)
        .where(RegionRating.id == rating.id, RegionRating.effective_at.is_(None))
        .values(effective_at=moment)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        db.session.expire(rating, ["effective_at"])
    return bool(claimed)


def _apply_claimed(rating: RegionRating, year: int) -> int:
    made_effective = _apply_village(rating, year)
    event = record_event(
        EFFECTIVE_ACTION,
        "region_rating",
        rating.id,
        f"{year} 年评定结果公示期满，生效",
        {"run_id": rating.run_id, "region_code": rating.region_code},
    )
    event.user_id = None  # the calendar did it, not whoever triggered the write
    return made_effective


def apply_effective_results(today: date) -> int:
    """Let every result whose village's 公示 ended before `today` and that carries no open
    objection take effect, and write its grade to the household or entity file. Idempotent
    and safe to run from two workers at once: a second call finds nothing to do. Returns how
    many results took effect. The caller commits."""
    made_effective = 0
    for rating, year in db.session.execute(_due_villages(today)).all():
        if _claim(rating):
            made_effective += _apply_claimed(rating, year)
    db.session.flush()
    return made_effective


def apply_village_if_due(rating: RegionRating, today: date) -> int:
    """The same for one village, from a write path that touches it after its 公示 (an
    objection answered, the township's review). Returns how many results took effect."""
    due = db.session.execute(_due_villages(today).where(RegionRating.id == rating.id)).first()
    if due is None or not _claim(rating):
        return 0
    made_effective = _apply_claimed(rating, due.year)
    db.session.flush()
    return made_effective


def result_status_now(today: date) -> Any:
    """A result's status as of `today`, in SQL (correlated to RatingResult): a proposed
    result whose village's 公示 is over is effective, whether or not the files have been
    written yet."""
    period_over = (
        select(RegionRating.id)
        .join(RatingRun, RatingRun.id == RegionRating.run_id)
        .where(
            RegionRating.run_id == RatingResult.run_id,
            RegionRating.region_code == RatingResult.village_code,
            *_period_over(today),
        )
        .correlate(RatingResult)
        .exists()
    )
    return case(
        (and_(RatingResult.status == ResultStatus.PROPOSED, period_over), ResultStatus.EFFECTIVE),
        else_=RatingResult.status,
    )


def status_now(result: RatingResult, today: date) -> str:
    """One result's status as of `today` (see `result_status_now`)."""
    return db.session.scalar(select(result_status_now(today)).where(RatingResult.id == result.id))


def statuses_now(result_ids: Iterable[int], today: date) -> dict[int, str]:
    """Statuses as of `today` for a page of results: {result id: status}."""
    ids = list(result_ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(RatingResult.id, result_status_now(today)).where(RatingResult.id.in_(ids))
        ).all()
    )


def _pending(today: date):
    """Results that are effective today but not yet written to the files."""
    return (
        select(RatingResult.grade, RatingRun.year)
        .join(RatingRun, RatingRun.id == RatingResult.run_id)
        .join(
            RegionRating,
            and_(
                RegionRating.run_id == RatingResult.run_id,
                RegionRating.region_code == RatingResult.village_code,
            ),
        )
        .where(RatingResult.status == ResultStatus.PROPOSED, *_period_over(today))
    )


def grades_now(kind: str, ids: Iterable[int], today: date) -> dict[int, tuple[str | None, int]]:
    """Grades effective today that the files do not hold yet, for a page of households
    (kind "household") or entities: {id: (grade, year)}; the grade is None for a subject
    rated below the credit grades. A household keeps a grade of a later year (as
    `write_grades` does). Subjects absent from the answer show their file's grade."""
    ids = list(ids)
    if not ids:
        return {}
    if kind == "household":
        query = (
            _pending(today)
            .add_columns(RatingResult.household_id)
            .join(Household, Household.id == RatingResult.household_id)
            .where(
                RatingResult.household_id.in_(ids),
                RatingRun.year >= func.coalesce(Household.credit_grade_year, 0),
            )
        )
    else:
        query = _pending(today).add_columns(RatingResult.entity_id)
        query = query.where(RatingResult.entity_id.in_(ids))
    found: dict[int, tuple[str | None, int]] = {}
    for grade, year, subject_id in db.session.execute(
        query.order_by(RatingRun.year, RatingRun.id)
    ).all():
        found[subject_id] = (grade, year)  # the newest run wins
    return found


def grades_under_publicity(
    household_ids: Iterable[int], today: date
) -> dict[int, tuple[str | None, int]]:
    """Proposed grades of a page of households whose village is under 公示 today (still
    open to objection, or held by one): {household id: (grade, year)}, the newest run's."""
    ids = list(household_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(RatingResult.household_id, RatingResult.grade, RatingRun.year)
        .join(RatingRun, RatingRun.id == RatingResult.run_id)
        .join(
            RegionRating,
            and_(
                RegionRating.run_id == RatingResult.run_id,
                RegionRating.region_code == RatingResult.village_code,
            ),
        )
        .where(
            RatingResult.household_id.in_(ids),
            RatingResult.status.in_((ResultStatus.PROPOSED, ResultStatus.OBJECTED)),
            RegionRating.status == RegionResultStatus.PUBLISHED,
            RegionRating.publicity_ends_on >= today,
            RatingRun.status != RunStatus.SUPERSEDED,
        )
        .order_by(RatingRun.year, RatingRun.id)
    ).all()
    return {household_id: (grade, year) for household_id, grade, year in rows}


def household_grade_now(today: date) -> Any:
    """The household's grade effective today, as a SQL expression for filtering and sorting
    the list. The stored column itself (and its index) while nothing is pending, which is
    every day once the scheduled command has run."""
    if db.session.execute(_due_villages(today).limit(1)).first() is None:
        return Household.credit_grade
    pending = (
        _pending(today)
        .where(
            RatingResult.household_id == Household.id,
            RatingRun.year >= func.coalesce(Household.credit_grade_year, 0),
        )
        .correlate(Household)
    )
    newest = (
        pending.with_only_columns(RatingResult.grade)
        .order_by(RatingRun.year.desc(), RatingRun.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return case((pending.exists(), newest), else_=Household.credit_grade)


def _apply_village(rating: RegionRating, year: int) -> int:
    due = (
        RatingResult.run_id == rating.run_id,
        RatingResult.village_code == rating.region_code,
        RatingResult.status == ResultStatus.PROPOSED,
    )
    rows = db.session.execute(
        select(
            RatingResult.id, RatingResult.household_id, RatingResult.entity_id, RatingResult.grade
        ).where(*due)
    ).all()
    if not rows:
        return 0
    db.session.execute(
        update(RatingResult)
        .where(RatingResult.id.in_([r.id for r in rows]))
        .values(status=ResultStatus.EFFECTIVE),
        execution_options={"synchronize_session": "fetch"},
    )
    write_grades(rows, year)
    return len(rows)


def write_grades(rows: Iterable[Any], year: int) -> None:
    """Copy effective grades to the files, in bulk. A household keeps a grade of a later
    year if it already has one (an old run taking effect late must not overwrite it)."""
    households = [
        {"id": r.household_id, "credit_grade": r.grade, "credit_grade_year": year}
        for r in rows
        if r.household_id is not None
    ]
    if households:
        newer = set(
            db.session.scalars(
                select(Household.id).where(
                    Household.id.in_([h["id"] for h in households]),
                    Household.credit_grade_year > year,
                )
            )
        )
        households = [h for h in households if h["id"] not in newer]
    if households:
        db.session.execute(update(Household), households)
    entities = [
        {"id": r.entity_id, "credit_grade": r.grade} for r in rows if r.entity_id is not None
    ]
    if entities:
        db.session.execute(update(AgriEntity), entities)
    grades_written.send(
        None, households=[h["id"] for h in households], entities=[e["id"] for e in entities]
    )
    # Bulk updates by primary key bypass the identity map: refresh what the session holds.
    touched = {(Household, h["id"]) for h in households} | {(AgriEntity, e["id"]) for e in entities}
    for obj in list(db.session.identity_map.values()):
        if (type(obj), getattr(obj, "id", None)) in touched:
            db.session.expire(
                obj,
                ["credit_grade", *(["credit_grade_year"] if isinstance(obj, Household) else [])],
            )


def make_result_effective(result: RatingResult, year: int) -> None:
    """One result taking effect on its own (an objection answered after the window)."""
    result.status = ResultStatus.EFFECTIVE
    db.session.flush()
    write_grades([result], year)


# ---- lists ------------------------------------------------------------------------------------


def village_ratings_query(region_filter: Any, status: str = ""):
    """Village results of runs still in play (not superseded), newest run first."""
    query = (
        select(RegionRating)
        .join(RatingRun, RatingRun.id == RegionRating.run_id)
        .where(
            RegionRating.level == RegionLevel.VILLAGE,
            RatingRun.status != RunStatus.SUPERSEDED,
            region_filter,
        )
        .order_by(RatingRun.year.desc(), RatingRun.id.desc(), RegionRating.region_code)
    )
    if status:
        query = query.where(RegionRating.status == status)
    return query


@dataclass(frozen=True)
class VillageCounts:
    """Counts of one village's results, households and entities apart: a 信用户 is a
    household, and lists that add entities to it disagree with every other figure."""

    households: int = 0
    credit_households: int = 0
    entities: int = 0
    graded_entities: int = 0
    objected: int = 0


def village_counts(pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], VillageCounts]:
    """Rated and credit households, rated and graded entities, and objected results per
    (run, village), for one page of a list: grouped over those villages only, through the
    (run_id, village_code) index."""
    pairs = list(pairs)
    if not pairs:
        return {}
    as_int = lambda condition: func.sum(case((condition, 1), else_=0))  # noqa: E731
    household = RatingResult.household_id.is_not(None)
    credit = RatingResult.grade.in_(CREDIT_GRADES)
    rows = db.session.execute(
        select(
            RatingResult.run_id,
            RatingResult.village_code,
            as_int(household),
            as_int(household & credit),
            as_int(~household),
            as_int(~household & credit),
            as_int(RatingResult.status == ResultStatus.OBJECTED),
        )
        .where(
            RatingResult.run_id.in_({p[0] for p in pairs}),
            RatingResult.village_code.in_({p[1] for p in pairs}),
        )
        .group_by(RatingResult.run_id, RatingResult.village_code)
    ).all()
    return {(r[0], r[1]): VillageCounts(*(int(n or 0) for n in r[2:])) for r in rows}


def subject_name(result: RatingResult) -> str:
    if result.household_id is not None:
        return db.session.get(Household, result.household_id).head_name
    return db.session.get(AgriEntity, result.entity_id).name
