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
from agri_credit.rating_cycle.publication.preliminary import (
    complete_preliminary_review,
    flag_for_recheck,
)
from agri_credit.rating_cycle.publication.services import (
    indicator_labels,
    publication_blockers,
    publish_village,
    published_on,
    region_rating,
)
from agri_credit.rating_cycle.repairs.services import apply_for_repair, earliest_repair_on
from agri_credit.rating_cycle.rulesets.services import (
    ensure_default_rule_set,
    ensure_example_rule_set,
)
from agri_credit.rating_cycle.runs.services import start_run
from models import (
    Household,
    HouseholdLiability,
    LoanRecord,
    PublicRecord,
    PublicRecordKind,
    RatingResult,
    RatingRun,
    RegionRating,
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


def adopt_example_rule_set(office: str = "county_office") -> RuleSet:
    """The demo county also has the second example rule set (含部门数据试行版), published
    beside the default, for a run that scores the departments' records."""
    office_user = _user(office)
    rule_set = ensure_example_rule_set(office_user.scope_code, office_user)
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
        _preliminary_review(run, rating, cadre_user)
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


def _preliminary_review(run: RatingRun, rating: RegionRating, cadre: User) -> None:
    """The cadre's 村级初评: she flags the first household whose result lacks data for the
    office to re-check, saying what is missing, and records the review."""
    result = db.session.scalar(
        select(RatingResult)
        .where(
            RatingResult.run_id == run.id,
            RatingResult.village_code == rating.region_code,
            RatingResult.household_id.is_not(None),
            RatingResult.grade.is_(None),
            RatingResult.missing != "",
        )
        .order_by(RatingResult.score.desc(), RatingResult.id)
        .limit(1)
    )
    if result is not None:
        flag_for_recheck(
            run,
            rating,
            result,
            f"该户评分缺少{result.missing}，村里已通知补充，请信用办核实后再定等级。",
            cadre,
        )
    complete_preliminary_review(run, rating, cadre)


def _object_to_the_lowest_result(run: RatingRun, village: str, cadre: User, today: date) -> int:
    """Of the published village's households with a loan reported overdue, the one with
    the lowest score objects that the record is wrong, naming that loan: a bank's ledger
    row, or (without departmental data) a loan in the household's own file."""
    found = (
        _lowest_with_overdue_bank_loan(run, village)
        or _lowest_with_overdue_liability(run, village)
        or _lowest_on_its_weakest_indicator(run, village)
    )
    if found is None:
        return 0
    result, household, reason = found
    raise_objection(
        result,
        raised_by_name=household.head_name,
        contact=household.phone,
        reason=reason,
        user=cadre,
        today=today,
    )
    db.session.commit()
    return 1


def _lowest_with_overdue_bank_loan(
    run: RatingRun, village: str
) -> tuple[RatingResult, Household, str] | None:
    row = db.session.execute(
        select(RatingResult, Household, LoanRecord)
        .join(Household, Household.id == RatingResult.household_id)
        .join(SubjectKey, SubjectKey.household_id == Household.id)
        .join(LoanRecord, LoanRecord.subject_key_id == SubjectKey.id)
        .where(
            RatingResult.run_id == run.id,
            RatingResult.village_code == village,
            LoanRecord.superseded_by_id.is_(None),
            LoanRecord.days_overdue > 0,
            LoanRecord.start_on <= run.as_of,
        )
        .order_by(RatingResult.score, RatingResult.id, LoanRecord.days_overdue.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    result, household, loan = row
    return (
        result,
        household,
        f"本户在{loan.bank}的贷款（合同号 {loan.contract_no}）已按约还款，"
        f"银行数据记为逾期 {loan.days_overdue} 天，与实际不符，请核实银行数据。",
    )


def _lowest_on_its_weakest_indicator(
    run: RatingRun, village: str
) -> tuple[RatingResult, Household, str] | None:
    """A small village without any overdue loan: its lowest household disputes what its
    result itself shows, missing data or its weakest indicator."""
    row = db.session.execute(
        select(RatingResult, Household)
        .join(Household, Household.id == RatingResult.household_id)
        .where(RatingResult.run_id == run.id, RatingResult.village_code == village)
        .order_by(RatingResult.score, RatingResult.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    result, household = row
    if result.missing:
        return result, household, f"评分中记为缺少{result.missing}，本户已向村委会补交，请核实。"
    labels = indicator_labels(run)
    scored = {k: v for k, v in (result.breakdown or {}).items() if v is not None} or {"": 0}
    key, points = min(scored.items(), key=lambda item: float(item[1]))
    return (
        result,
        household,
        f"本户“{labels.get(key, key)}”一项只得 {points} 分，与家中实际情况不符，请核实档案。",
    )


def _lowest_with_overdue_liability(
    run: RatingRun, village: str
) -> tuple[RatingResult, Household, str] | None:
    row = db.session.execute(
        select(RatingResult, Household, HouseholdLiability)
        .join(Household, Household.id == RatingResult.household_id)
        .join(HouseholdLiability, HouseholdLiability.household_id == Household.id)
        .where(
            RatingResult.run_id == run.id,
            RatingResult.village_code == village,
            HouseholdLiability.overdue_days > 0,
        )
        .order_by(RatingResult.score, RatingResult.id, HouseholdLiability.overdue_days.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    result, household, loan = row
    lender = loan.creditor or loan.kind
    return (
        result,
        household,
        f"本户在{lender}的借款已按约还款，档案中记为逾期 {loan.overdue_days} 天，"
        "与实际不符，请核实。",
    )


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
