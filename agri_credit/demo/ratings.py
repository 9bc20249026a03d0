"""The demo county's first rating cycle: the default 评定办法 published for the county office,
a rating run of the whole county as of the demo date, the demo cadre's village put under
公示 with one household objecting, and one credit-repair application waiting for a decision,
so every page of the cycle has something to show on a fresh `make run`."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from agri_credit.credit_records.retention import in_use
from agri_credit.rating_cycle.objections.services import raise_objection
from agri_credit.rating_cycle.publication.services import (
    publication_blockers,
    publish_village,
    published_on,
    region_rating,
)
from agri_credit.rating_cycle.repairs.services import apply_for_repair, earliest_repair_on
from agri_credit.rating_cycle.rulesets.services import ensure_default_rule_set
from agri_credit.rating_cycle.runs.services import start_run
from models import (
    Household,
    PublicRecord,
    PublicRecordKind,
    RatingResult,
    RatingRun,
    RuleSet,
    SubjectKey,
    User,
    db,
    utc_start_of,
)


class DemoRatingError(RuntimeError):
    """The demo rating could not be made; the message says why."""


@dataclass(frozen=True)
class DemoRatingSummary:
    run_id: int
    households: int
    published_village: str | None
    objections: int = 0
    repairs: int = 0

    def __str__(self) -> str:
        text = f"rating run {self.run_id} over {self.households:,} households"
        if self.published_village:
            text += f", village {self.published_village} under 公示"
        return f"{text}, {self.objections} objection(s), {self.repairs} repair application(s)"


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise DemoRatingError(f"No user {username!r} for the demo rating")
    return user


def adopt_default_rule_set(office: str = "county_office") -> RuleSet:
    """The demo county's office adopts the shipped default rule set, as a real office does
    with the button on its rule-set page."""
    office_user = _user(office)
    rule_set = ensure_default_rule_set(office_user.scope_code, office_user)
    db.session.commit()
    return rule_set


def rate_demo_county(
    as_of: date, publish_on: date, office: str = "county_office", cadre: str = "cadre"
) -> DemoRatingSummary:
    """Rate the office's county for `as_of`'s year with data as of `as_of`, and publish the
    cadre's village from `publish_on` (the real today, so its 公示 period is current)."""
    office_user, cadre_user = _user(office), _user(cadre)
    rule_set = adopt_default_rule_set(office)
    run: RatingRun = start_run(office_user.scope_code, as_of.year, as_of, rule_set, office_user)
    rating = region_rating(run.id, cadre_user.scope_code)
    published, objections = None, 0
    if rating is not None and not publication_blockers(run, rating):
        days = current_app.config["PUBLICITY_DAYS"]
        publish_village(run, rating, cadre_user, publish_on, days=days)
        db.session.commit()
        published = rating.region_code
        # The window's own first day, so the objection lands whatever the server's zone.
        opened = published_on(rating) or publish_on
        objections = _object_to_the_lowest_result(run, published, cadre_user, opened)
    # As of the demo's date, like its data: the same seed applies for the same record.
    repairs = _apply_for_one_repair(office_user, as_of)
    households = int(run.summary["household"]["total"])
    return DemoRatingSummary(run.id, households, published, objections, repairs)


def _object_to_the_lowest_result(run: RatingRun, village: str, cadre: User, today: date) -> int:
    """The household with the lowest score in the published village objects, as a family
    that believes a bank's record is wrong would."""
    row = db.session.execute(
        select(RatingResult, Household)
        .join(Household, Household.id == RatingResult.household_id)
        .where(RatingResult.run_id == run.id, RatingResult.village_code == village)
        .order_by(RatingResult.score, RatingResult.id)
        .limit(1)
    ).first()
    if row is None:
        return 0
    result, household = row
    raise_objection(
        result,
        raised_by_name=household.head_name,
        contact=household.phone,
        reason="本户去年的贷款已按期还清，评分中的逾期记录与实际不符，请核实银行数据。",
        user=cadre,
        today=today,
    )
    db.session.commit()
    return 1


def _apply_for_one_repair(office: User, today: date) -> int:
    """A credit-repair application for the newest 行政处罚 still in use (within the five-year
    rule) whose minimum display period is over, of a household with a file, filed by the
    county office on the household's behalf."""
    records = db.session.scalars(
        select(PublicRecord)
        .join(SubjectKey, SubjectKey.id == PublicRecord.subject_key_id)
        .where(
            PublicRecord.superseded_by_id.is_(None),
            PublicRecord.kind == PublicRecordKind.PENALTY,
            SubjectKey.household_id.is_not(None),
            in_use(PublicRecord, today),
        )
        .order_by(PublicRecord.decided_on.desc(), PublicRecord.id)
        .limit(50)
    )
    for record in records:
        if earliest_repair_on(record) > today:
            continue
        apply_for_repair(
            record,
            commitment="本人已按处罚决定履行全部义务，承诺今后守法经营，如有违反愿承担相应责任。",
            evidence="已缴清罚款，附缴款凭证；村委会出具整改情况说明。",
            user=office,
            today=today,
            # Filed on the demo's date, which its 10 working days count from.
            applied_at=utc_start_of(today) + timedelta(hours=10),
        )
        db.session.commit()
        return 1
    return 0
