"""The departmental indicators computed in SQL (rating_cycle.runs.departmental_inputs: one
row per household) equal the pandas reference over the rows (ratings.departmental_facts) on a
small planted county full of edge cases: bills paid late, unpaid and overdue, paid after the
data date late or not, not yet due, without a days-late figure, outside the window or dated
after the date; rows of a batch that landed after the date (one minute after the county's
midnight, one minute before it), of a rolled-back batch, superseded before or after the date
or by a rolled-back batch; grades in lower case, blank, of the whole year, two in one period;
social insurance in arrears, with a gap, stopped, unpaid (months_paid 0), of two accounts in
one month, with a yearly row; a source none of whose rows had landed. On both databases,
for several data dates and windows, for the county and for one village."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Integer, Select, cast, select

from agri_credit.departmental.landing_days import batch_days, day_of
from agri_credit.rating_cycle.runs import departmental_inputs as sql
from agri_credit.rating_cycle.runs.inputs import _households_in, _money, _read
from agri_credit.ratings import departmental_facts as facts
from agri_credit.ratings.rules import Indicator
from models import (
    BatchStatus,
    Household,
    ImportBatch,
    ProvidentFundRecord,
    Region,
    SocialInsuranceRecord,
    Source,
    SubjectKey,
    TaxRecord,
    UtilityRecord,
    clock,
    db,
)
from tests import departmental_factories as d
from tests import factories as f
from tests import rating_factories as rf

FIELDS = (
    "utility_on_time_rate",
    "tax_credit_grade",
    "social_insurance_months",
    "provident_fund_months",
)
MODELS = {
    "utility_on_time_rate": UtilityRecord,
    "tax_credit_grade": TaxRecord,
    "social_insurance_months": SocialInsuranceRecord,
    "provident_fund_months": ProvidentFundRecord,
}
VALUES = {
    UtilityRecord: (UtilityRecord.paid_on, UtilityRecord.days_late),
    TaxRecord: (TaxRecord.tax_grade,),
    SocialInsuranceRecord: (
        SocialInsuranceRecord.months_paid,
        _money(SocialInsuranceRecord.arrears).label("arrears"),
    ),
    ProvidentFundRecord: (ProvidentFundRecord.months_paid,),
}


# ---- the previous reading: every row, judged in pandas ---------------------------------------


def reference_rows(model, region: Region, as_of: date, months: int) -> pd.DataFrame:
    """Every version of the region's households' rows in the window's years with the days
    their batch landed and was superseded, as the run read them before the aggregates moved
    into SQL (in id order, so that two graded rows of one period come in a defined order)."""
    first_year = (as_of.year * 12 + as_of.month - months) // 12
    statement: Select = (
        select(
            SubjectKey.household_id.label("subject_id"),
            cast(model.year, Integer).label("year"),
            cast(model.month, Integer).label("month"),
            model.batch_id,
            model.superseded_by_id,
            *VALUES[model],
        )
        .select_from(model)
        .join(SubjectKey, SubjectKey.id == model.subject_key_id)
        .join(Household, Household.id == SubjectKey.household_id)
        .where(_households_in(region), model.year.between(first_year, as_of.year))
        .order_by(model.id)
    )
    frame = _read(statement)
    days = batch_days(clock.local_zone().key)
    frame["visible_from"] = day_of(frame.pop("batch_id"), days)
    frame["visible_until"] = day_of(frame.pop("superseded_by_id"), days)
    frame = frame[frame["visible_from"].notna().to_numpy()].reset_index(drop=True)
    if "paid_on" in frame:
        frame["paid_on"] = pd.to_datetime(frame["paid_on"]).astype("datetime64[s]")
    return frame


def reference_values(field: str, region: Region, as_of: date, months: int) -> pd.Series | None:
    rows = reference_rows(MODELS[field], region, as_of, months)
    if not (rows["visible_from"] <= pd.Timestamp(as_of)).any():
        return None
    source = {
        "utility_on_time_rate": "utilities",
        "tax_credit_grade": "tax",
        "social_insurance_months": "social_insurance",
        "provident_fund_months": "provident_fund",
    }[field]
    records = facts.DepartmentalRecords(**{source: rows})
    indicator = Indicator(field, field, field, 0, "", lookback_months=months)
    return facts.indicator_values(indicator, records, as_of)


def landed(source: Source, user, at: datetime, status=BatchStatus.IMPORTED) -> ImportBatch:
    """A batch finished at `at` (naive UTC, as stored)."""
    batch = d.make_batch(source, user, status=status)
    batch.created_at = batch.finished_at = at
    db.session.flush()
    return batch


def second_key(household: Household) -> SubjectKey:
    """Another identity linked to the same file (a member's number the department used)."""
    key = SubjectKey(
        id_hash=f"second-{household.id}",
        masked="6105**********0000",
        name=household.head_name,
        household_id=household.id,
    )
    db.session.add(key)
    db.session.flush()
    return key


@pytest.fixture
def planted(users, cipher):
    households = rf.small_county(cipher, users["cadre"]).households
    office = users["office"]
    keys = {name: d.key_for_household(h) for name, h in households.items()}
    early = datetime(2025, 6, 1, 2, 0)
    power = landed(Source.ELECTRICITY, office, early)
    water = landed(Source.WATER, office, datetime(2025, 12, 15, 2, 0))
    # 23:59 on 31 December in the county (UTC+8): landed on the data date.
    last_minute = landed(Source.GAS, office, datetime(2025, 12, 31, 15, 59))
    # 00:01 on 1 January in the county: landed after it.
    next_day = landed(Source.ELECTRICITY, office, datetime(2025, 12, 31, 16, 1))
    later = landed(Source.ELECTRICITY, office, datetime(2026, 1, 20, 2, 0))
    rolled_back = landed(
        Source.ELECTRICITY, office, datetime(2025, 7, 1, 2, 0), status=BatchStatus.ROLLED_BACK
    )
    correction = landed(Source.ELECTRICITY, office, datetime(2025, 9, 1, 2, 0))

    yang, zhao, li, sun, he = (keys[n] for n in ("yang", "zhao", "li", "sun", "he"))
    # 杨建国: on time, late, unpaid and overdue, unpaid and not due, without days late,
    # paid after the date 40 days late (overdue on it) and 5 days late (not yet due on it).
    for month in range(1, 7):
        d.utility(yang, power, 2025, month, 100, paid_on=date(2025, month + 1, 5))
    d.utility(yang, power, 2025, 7, 100, paid_on=date(2025, 8, 25), days_late=20)
    d.utility(yang, power, 2025, 8, 100, paid_on=None, days_late=70)
    d.utility(yang, power, 2025, 9, 100, paid_on=None, days_late=0)
    d.utility(yang, power, 2025, 10, 100, paid_on=date(2025, 11, 5), days_late=None)
    d.utility(yang, power, 2025, 11, 100, paid_on=date(2026, 1, 10), days_late=40)
    d.utility(yang, power, 2025, 12, 100, paid_on=date(2026, 1, 10), days_late=5)
    d.utility(yang, power, 2024, 12, 100, paid_on=date(2025, 2, 20), days_late=30)
    d.utility(yang, power, 2026, 1, 100, paid_on=date(2026, 2, 25), days_late=25)
    # Water of two accounts the same month, one paid late.
    d.utility(yang, water, 2025, 11, 30, utility=Source.WATER, paid_on=date(2025, 12, 5))
    d.utility(
        yang,
        water,
        2025,
        11,
        30,
        utility=Source.WATER,
        account_no="0002",
        paid_on=date(2025, 12, 20),
        days_late=15,
    )
    # 赵小满: gas landed in the last minute of the date, electricity one minute after it.
    d.utility(zhao, last_minute, 2025, 11, 10, utility=Source.GAS, paid_on=date(2025, 12, 3))
    d.utility(zhao, next_day, 2025, 11, 100, paid_on=date(2025, 12, 28), days_late=9)
    # 李守田: a late bill superseded before the date by an on-time one; another superseded
    # by a batch landed after the date (still counts); one superseded by a rolled-back batch
    # (still counts); and bills of the rolled-back batch itself (never count).
    june = d.utility(li, power, 2025, 6, 100, paid_on=date(2025, 7, 30), days_late=25)
    june.superseded_by_id = correction.id
    d.utility(li, correction, 2025, 6, 100, paid_on=date(2025, 7, 5))
    july = d.utility(li, power, 2025, 7, 100, paid_on=date(2025, 8, 30), days_late=25)
    july.superseded_by_id = later.id
    d.utility(li, later, 2025, 7, 100, paid_on=date(2025, 8, 5))
    august = d.utility(li, power, 2025, 8, 100, paid_on=date(2025, 9, 30), days_late=25)
    august.superseded_by_id = rolled_back.id
    d.utility(li, rolled_back, 2025, 8, 100, paid_on=date(2025, 9, 5))
    d.utility(li, rolled_back, 2025, 9, 100, paid_on=date(2025, 10, 25), days_late=20)
    # 孙有余: only a bill not yet due (known 0: no value), and one from years ago.
    d.utility(sun, power, 2025, 12, 100, paid_on=None, days_late=0)
    d.utility(sun, power, 2022, 3, 100, paid_on=date(2022, 4, 20), days_late=15)

    tax = landed(Source.TAX, office, early)
    late_tax = landed(Source.TAX, office, datetime(2026, 2, 1, 2, 0))
    d.tax(yang, tax, 2024, 1200, grade="a")  # lower case reads A
    d.tax(yang, tax, 2023, 1100, grade="B")
    d.tax(yang, late_tax, 2025, 900, grade="D")  # landed after the date
    d.tax(zhao, tax, 2025, 300, month=3, grade="C")
    d.tax(zhao, tax, 2025, 300, month=6, grade=" ")  # blank: not a grade
    d.tax(zhao, tax, 2025, 300, month=9, grade=None)
    d.tax(li, tax, 2024, 500, grade="M")
    d.tax(li, tax, 2022, 500, grade="A")
    # 孙有余: two graded rows of 2024 (one superseded by a batch landed after the date).
    old = d.tax(sun, tax, 2024, 100, grade="B")
    old.superseded_by_id = late_tax.id
    d.tax(second_key(households["sun"]), tax, 2024, 100, grade="D")

    social = landed(Source.SOCIAL_INSURANCE, office, datetime(2025, 12, 20, 2, 0))
    late_social = landed(Source.SOCIAL_INSURANCE, office, datetime(2026, 1, 3, 2, 0))

    def months(key, first, last, batch=social, arrears=(), unpaid=()):
        year, month = first
        while (year, month) <= last:
            d.social_insurance(
                key,
                batch,
                year,
                1,
                month=month,
                arrears=500 if (year, month) in arrears else 0,
                months_paid=0 if (year, month) in unpaid else 1,
            )
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    months(yang, (2024, 1), (2025, 11), arrears={(2024, 12)})
    months(zhao, (2024, 6), (2024, 12))
    months(zhao, (2025, 3), (2025, 10))  # a gap of two months
    months(li, (2024, 1), (2025, 6))  # stopped
    months(sun, (2025, 1), (2025, 12), unpaid={(2025, 4)})
    d.social_insurance(sun, social, 2025, 1, month=0, months_paid=12)  # a yearly row
    months(he, (2025, 1), (2025, 11))
    # A second account of 何长青's unpaid in September: that month is not paid.
    d.social_insurance(second_key(households["he"]), social, 2025, 1, month=9, months_paid=0)
    months(he, (2025, 12), (2025, 12), batch=late_social)
    months(he, (2026, 1), (2026, 1))  # dated after the date

    # 公积金 only in a batch landed after the date: no data on 31 December.
    fund = landed(Source.PROVIDENT_FUND, office, datetime(2026, 1, 10, 2, 0))
    for month in range(1, 13):
        row = d.provident_fund(yang, fund, 2025, 1, month=month)
        row.months_paid = 0 if month == 5 else None  # None: paid (no figure given)
    db.session.commit()
    return households


def same(ours: pd.Series | None, reference: pd.Series | None, where: str) -> None:
    if reference is None:
        assert ours is None, where
        return
    assert ours is not None, where
    reference = reference.sort_index()
    assert ours.index.tolist() == reference.index.tolist(), where
    if reference.dtype == np.float64 or ours.dtype == np.float64:
        assert ours.dtype == np.float64, where
        np.testing.assert_array_equal(ours.to_numpy(), reference.to_numpy(), err_msg=where)
    else:
        assert ours.astype("str").tolist() == reference.astype("str").tolist(), where


@pytest.mark.parametrize("as_of", [date(2025, 12, 31), date(2025, 6, 30), date(2026, 2, 28)])
def test_the_sql_values_equal_the_pandas_reading_of_the_rows(planted, as_of):
    for code in (f.COUNTY, f.VILLAGE_A, f.VILLAGE_C):
        region = db.session.get(Region, code)
        for field in FIELDS:
            for months in (1, 3, 12, 36):
                where = f"{field} {code} {as_of} {months} months"
                same(
                    sql.indicator_values(field, region, as_of, months),
                    reference_values(field, region, as_of, months),
                    where,
                )


def test_the_planted_edge_cases_come_out_as_worked_by_hand(planted):
    """The cases above, by hand, so that the comparison is not between two wrong readings."""
    county = db.session.get(Region, f.COUNTY)
    ids = {name: h.id for name, h in planted.items()}
    as_of = date(2025, 12, 31)
    rate = sql.indicator_values("utility_on_time_rate", county, as_of, 12)
    # 杨建国: known Jan-Jun on time, Jul late, Aug overdue, Oct on time (no days late), Nov
    # overdue on the date, two water bills (one late): 8 of 12 on time. 赵小满: the gas bill
    # of the last minute only. 李守田: June corrected to on time, July and August as first
    # reported (late). 孙有余: nothing known, so no value.
    assert rate.to_dict() == {
        ids["yang"]: round(8 / 12 * 100, 6),
        ids["zhao"]: 100.0,
        ids["li"]: round(1 / 3 * 100, 6),
    }
    grades = sql.indicator_values("tax_credit_grade", county, as_of, 36)
    assert grades.to_dict() == {ids["yang"]: "A", ids["zhao"]: "C", ids["li"]: "M", ids["sun"]: "D"}
    streaks = sql.indicator_values("social_insurance_months", county, as_of, 36)
    # 杨建国 Jan-Nov 2025 after the arrears; 赵小满 Mar-Oct 2025 after the gap; 李守田 stopped
    # in June; 孙有余 May-Dec; 何长青 Oct-Nov (December landed after the date).
    assert streaks.to_dict() == {
        ids["yang"]: 11.0,
        ids["zhao"]: 8.0,
        ids["li"]: 0.0,
        ids["sun"]: 8.0,
        ids["he"]: 2.0,
    }
    assert sql.indicator_values("provident_fund_months", county, as_of, 36) is None
    later = sql.indicator_values("provident_fund_months", county, date(2026, 1, 31), 36)
    assert later.to_dict() == {ids["yang"]: 7.0}
