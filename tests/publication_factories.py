"""Builders for the rating cycle after scoring: a run with its subject and region results
written straight through the ORM (as a finished run leaves them), and villages put under
公示 on a chosen date, so publication, objections and review are tested without the engine."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from models import (
    AgriEntity,
    Household,
    RatingResult,
    RatingRun,
    RegionRating,
    RegionResultStatus,
    RuleSet,
    User,
    db,
)
from tests import factories as f
from tests import rating_factories


def make_rule_set(user: User, **body_overrides: Any) -> RuleSet:
    return rating_factories.rule_set_row(user, **body_overrides)


def make_run(
    user: User,
    rule_set: RuleSet | None = None,
    region_code: str = f.COUNTY,
    year: int = 2025,
    **extra: Any,
) -> RatingRun:
    run = RatingRun(
        rule_set_id=(rule_set or make_rule_set(user)).id,
        region_code=region_code,
        year=year,
        as_of=date(year, 12, 31),
        started_by_id=user.id,
        **extra,
    )
    db.session.add(run)
    db.session.flush()
    return run


def make_result(
    run: RatingRun,
    subject: Household | AgriEntity,
    score: float | str = 85,
    grade: str | None = "AAA",
    **extra: Any,
) -> RatingResult:
    is_household = isinstance(subject, Household)
    result = RatingResult(
        run_id=run.id,
        household_id=subject.id if is_household else None,
        entity_id=None if is_household else subject.id,
        village_code=subject.village_code,
        score=Decimal(str(score)),
        grade=grade,
        breakdown=extra.pop("breakdown", {"household_size": 8, "character": 30}),
        **extra,
    )
    db.session.add(result)
    db.session.flush()
    return result


def make_region_rating(
    run: RatingRun,
    region_code: str,
    level: str,
    passed: bool = True,
    status: str = RegionResultStatus.PROPOSED,
    **extra: Any,
) -> RegionRating:
    rating = RegionRating(
        run_id=run.id,
        region_code=region_code,
        level=level,
        passed=passed,
        reasons=extra.pop("reasons", [] if passed else ["信用户占比 52.0%，未达到 70%"]),
        status=status,
        **extra,
    )
    db.session.add(rating)
    db.session.flush()
    return rating


def make_tree(run: RatingRun, villages: tuple[str, ...] = (f.VILLAGE_A, f.VILLAGE_B)) -> dict:
    """Region results of a county run: the given villages, their townships and the county."""
    ratings = {code: make_region_rating(run, code, "village") for code in villages}
    for township in sorted({code[:9] + "000" for code in villages}):
        ratings[township] = make_region_rating(run, township, "township")
    ratings[run.region_code] = make_region_rating(run, run.region_code, "county")
    return ratings


def publish(rating: RegionRating, user: User, on: date, days: int = 7) -> RegionRating:
    """A village put under 公示 on `on` (published_at a moment of that day)."""
    rating.status = RegionResultStatus.PUBLISHED
    rating.published_at = datetime.combine(on, time(9, 0))
    rating.publicity_ends_on = on + timedelta(days=days)
    rating.published_by_id = user.id
    db.session.flush()
    return rating
