"""Builders for rating runs: a published (or draft) rule set row, households with a 村评议,
and a finished run made by the real `start_run` over a small hand-built county."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from agri_credit.rating_cycle.runs.services import start_run
from agri_credit.ratings.default_rules import default_rule_set
from models import Household, RatingRun, Region, RuleSet, RuleSetStatus, User, db
from tests import factories as f

YEAR = 2025
AS_OF = date(2025, 12, 31)


def rule_set_row(
    user: User,
    *,
    status: RuleSetStatus = RuleSetStatus.PUBLISHED,
    scope_code: str = f.COUNTY,
    name: str = "富平县农户信用评定办法",
    version: int = 1,
    **body_overrides: Any,
) -> RuleSet:
    """The default rule set (DOMAIN.md) stored as a row, published unless told otherwise."""
    body = default_rule_set().to_dict() | body_overrides
    rule_set = RuleSet(
        name=name,
        version=version,
        status=status,
        scope_code=scope_code,
        body=body,
        created_by_id=user.id,
        published_by_id=user.id if status == RuleSetStatus.PUBLISHED else None,
    )
    db.session.add(rule_set)
    db.session.flush()
    return rule_set


def evaluation(overall: str = "优秀", year: int = YEAR) -> dict[str, Any]:
    scores = {"优秀": 24, "较好": 21, "一般": 17, "差": 10}[overall]
    return {
        "year": year,
        "law_abiding": scores,
        "neighbourliness": scores,
        "elder_care": scores,
        "diligence": scores,
        "overall": overall,
        "remarks": "",
    }


def rated_household(
    cipher,
    user: User,
    village_code: str = f.VILLAGE_A,
    *,
    overall: str | None = "优秀",
    assets: float = 150_000,
    income: float = 50_000,
    spending: float = 25_000,
    **overrides: Any,
) -> Household:
    """A household of two (head and spouse, both able to work) with one asset, one income
    and, unless `overall` is None, a 村评议 of the rating year."""
    data: dict[str, Any] = {
        "assets": [{"kind": "房产", "description": "自建房", "value": assets}],
        "income_crops": income,
        "income_wages": None,
        "annual_spending": spending,
        "evaluations": [evaluation(overall)] if overall else [],
    }
    data.update(overrides)
    return f.make_household(cipher, user, village_code=village_code, **data)


@dataclass
class SmallCounty:
    """Two households in 杨家村 and 西坡村 each, one in 河湾村, every village registered
    with as many households as it has files."""

    households: dict[str, Household]


def small_county(cipher, user: User) -> SmallCounty:
    households = {
        "yang": rated_household(cipher, user, f.VILLAGE_A, head_name="杨建国"),
        "zhao": rated_household(
            cipher, user, f.VILLAGE_A, head_name="赵小满", overall="一般", assets=50_000
        ),
        "li": rated_household(cipher, user, f.VILLAGE_B, head_name="李守田"),
        "sun": rated_household(cipher, user, f.VILLAGE_B, head_name="孙有余", overall="较好"),
        "he": rated_household(cipher, user, f.VILLAGE_C, head_name="何长青"),
    }
    for code, count in ((f.VILLAGE_A, 2), (f.VILLAGE_B, 2), (f.VILLAGE_C, 1)):
        db.session.get(Region, code).registered_households = count
    db.session.flush()
    return SmallCounty(households)


def finished_run(
    user: User,
    rule_set: RuleSet | None = None,
    *,
    region_code: str = f.COUNTY,
    year: int = YEAR,
    as_of: date = AS_OF,
) -> RatingRun:
    """A committed run made by `start_run` over whatever files exist (see `small_county`)."""
    return start_run(region_code, year, as_of, rule_set or rule_set_row(user), user)
