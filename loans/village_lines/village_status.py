"""Whether a village is a 信用村 today: the newest village result of a run that still stands,
passed, with its 公示 over (effective, as `agri_credit.rating_cycle.publication` reads it).
When it is not, the reason in Chinese the officer sees on the preview."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from models import (
    RatingRun,
    RegionLevel,
    RegionRating,
    RegionResultStatus,
    RunStatus,
    db,
)

# A village's result counts once its 公示 is over, in these states (not while proposed).
_PUBLISHED_STATES = (RegionResultStatus.PUBLISHED, RegionResultStatus.APPROVED)


@dataclass(frozen=True)
class VillageStatus:
    rating: RegionRating | None
    year: int | None
    refusal: str | None  # None: an effective 信用村

    @property
    def is_credit_village(self) -> bool:
        return self.refusal is None


def village_status(village_code: str, today: date) -> VillageStatus:
    row = db.session.execute(
        select(RegionRating, RatingRun.year)
        .join(RatingRun, RatingRun.id == RegionRating.run_id)
        .where(
            RegionRating.region_code == village_code,
            RegionRating.level == RegionLevel.VILLAGE,
            RatingRun.status != RunStatus.SUPERSEDED,
        )
        .order_by(RatingRun.year.desc(), RatingRun.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return VillageStatus(None, None, "该村尚无信用村评定结果，不能整村授信")
    rating, year = row
    if not rating.passed:
        why = "；".join(rating.reasons or [])
        text = f"该村{year}年度评定未达到信用村标准，不能整村授信"
        return VillageStatus(rating, year, f"{text}（{why}）" if why else text)
    if (
        rating.status not in _PUBLISHED_STATES
        or rating.publicity_ends_on is None
        or rating.publicity_ends_on >= today
    ):
        return VillageStatus(
            rating, year, f"该村{year}年度信用村评定结果尚未生效（公示期满后生效），暂不能整村授信"
        )
    return VillageStatus(rating, year, None)
