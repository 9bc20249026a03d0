"""The demo county's first rating cycle: the default 评定办法 published for the county office,
a rating run of the whole county as of the demo date, and the demo cadre's village put under
公示, so every page of the cycle has something to show on a fresh `make run`."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from agri_credit.rating_cycle.publication import (
    publication_blockers,
    publish_village,
    region_rating,
)
from agri_credit.rating_cycle.rulesets import ensure_default_rule_set
from agri_credit.rating_cycle.runs import start_run
from models import RatingRun, User, db


class DemoRatingError(RuntimeError):
    """The demo rating could not be made; the message says why."""


@dataclass(frozen=True)
class DemoRatingSummary:
    run_id: int
    households: int
    published_village: str | None

    def __str__(self) -> str:
        text = f"rating run {self.run_id} over {self.households:,} households"
        return (
            f"{text}, village {self.published_village} under 公示"
            if self.published_village
            else text
        )


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise DemoRatingError(f"No user {username!r} for the demo rating")
    return user


def rate_demo_county(
    as_of: date, publish_on: date, office: str = "county_office", cadre: str = "cadre"
) -> DemoRatingSummary:
    """Rate the office's county for `as_of`'s year with data as of `as_of`, and publish the
    cadre's village from `publish_on` (the real today, so its 公示 period is current)."""
    office_user, cadre_user = _user(office), _user(cadre)
    rule_set = ensure_default_rule_set(office_user.scope_code, office_user)
    db.session.commit()
    run: RatingRun = start_run(office_user.scope_code, as_of.year, as_of, rule_set, office_user)
    rating = region_rating(run.id, cadre_user.scope_code)
    published = None
    if rating is not None and not publication_blockers(run, rating):
        publish_village(run, rating, cadre_user, publish_on)
        db.session.commit()
        published = rating.region_code
    households = int(run.summary["household"]["total"])
    return DemoRatingSummary(run.id, households, published)
