"""What the applicant's home shows: his grades as the village published them, the notice
they were published in, his objections and the records he may ask to have repaired.

Results the village has not yet published (公示) are the cadre's working papers: he sees a
result only from the day its 公示 begins."""

from dataclasses import dataclass, field
from datetime import date

from agri_credit.rating_cycle.objections.services import open_objection_of
from agri_credit.rating_cycle.publication.services import (
    in_objection_window,
    published_on,
    region_rating,
)
from agri_credit.rating_cycle.repairs.services import NegativeRecord, negative_records
from agri_credit.rating_cycle.runs.subject_ratings import SubjectRating, subject_ratings
from models import Objection, RatingResult, RegionResultStatus, ResultStatus, db

from .own import OwnSubject, own_objections


@dataclass(frozen=True)
class PublishedRating:
    rating: SubjectRating
    published_on: date | None
    ends_on: date
    window_open: bool  # an objection can be raised today
    open_objection: Objection | None

    @property
    def effective(self) -> bool:
        return self.rating.status == ResultStatus.EFFECTIVE


@dataclass(frozen=True)
class Home:
    subject: OwnSubject
    ratings: list[PublishedRating] = field(default_factory=list)  # newest first
    objections: list[Objection] = field(default_factory=list)
    records: list[NegativeRecord] = field(default_factory=list)

    @property
    def effective(self) -> PublishedRating | None:
        """The latest result in force."""
        return next((r for r in self.ratings if r.effective), None)

    @property
    def proposed(self) -> PublishedRating | None:
        """A newer result still under 公示 (or held by an objection), if any."""
        for r in self.ratings:
            if r.effective:
                return None
            return r
        return None


def published_ratings(subject: OwnSubject, today: date) -> list[PublishedRating]:
    """His results whose village has published them, newest first."""
    if not subject.rated:
        return []
    out = []
    for rating in subject_ratings(subject.kind, subject.id, today):
        region = region_rating(rating.run_id, subject.village_code or "")
        if (
            region is None
            or region.publicity_ends_on is None
            or region.status == RegionResultStatus.PROPOSED
        ):
            continue
        result = db.session.get(RatingResult, rating.result_id)
        out.append(
            PublishedRating(
                rating,
                published_on(region),
                region.publicity_ends_on,
                in_objection_window(region, today),
                open_objection_of(result),
            )
        )
    return out


def build_home(subject: OwnSubject, today: date, min_months: dict[str, int]) -> Home:
    return Home(
        subject,
        published_ratings(subject, today),
        own_objections(subject),
        negative_records(subject.kind, subject.id, today, min_months),
    )
