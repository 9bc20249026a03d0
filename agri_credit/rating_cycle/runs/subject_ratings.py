"""A household's or entity's ratings over the years, for its file page: each run that still
stands (not superseded), newest first, with the grade, score and where the result is in the
cycle (proposed, under objection, effective)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from sqlalchemy import select

from models import RESULT_STATUS_LABELS, RatingResult, RatingRun, RunStatus, clock, db

from ..publication.services import result_status_now

RatedKind = Literal["household", "entity"]
_LINKS = {"household": RatingResult.household_id, "entity": RatingResult.entity_id}


@dataclass(frozen=True)
class SubjectRating:
    result_id: int
    run_id: int
    year: int
    as_of: date
    score: Decimal
    grade: str | None
    status: str

    @property
    def status_label(self) -> str:
        return RESULT_STATUS_LABELS.get(self.status, self.status)


def subject_ratings(
    kind: RatedKind, subject_id: int, today: date | None = None
) -> list[SubjectRating]:
    """Statuses as of `today` (the configured zone's today by default): a result whose 公示
    is over shows as effective even before the scheduled command writes it."""
    rows = db.session.execute(
        select(
            RatingResult.id,
            RatingRun.id,
            RatingRun.year,
            RatingRun.as_of,
            RatingResult.score,
            RatingResult.grade,
            result_status_now(today or clock.today()),
        )
        .join(RatingRun, RatingRun.id == RatingResult.run_id)
        .where(_LINKS[kind] == subject_id, RatingRun.status != RunStatus.SUPERSEDED)
        .order_by(RatingRun.year.desc(), RatingRun.id.desc())
    ).all()
    return [SubjectRating(*row) for row in rows]
