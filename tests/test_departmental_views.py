"""Departmental records on the file pages (部门数据) and the five-year rule for negative
records: a user opening a file sees the current data each department sent for that subject,
in tables and charts, and nothing that belongs to another subject or has expired."""

import json
import re
from datetime import date, timedelta

import pandas as pd
import pytest

from agri_credit.credit_records.retention import retention_cutoff
from agri_credit.departmental.importer import rollback_batch
from agri_credit.departmental.records import (
    credit_records_in_use,
    records_frame,
    subject_records,
    tax_by_year,
)
from models import EntityType, LoanStatus, PublicRecordKind, Source, clock, db
from tests import departmental_factories as d
from tests import factories as f
from tests.conftest import login

TODAY = date(2026, 6, 15)  # pinned for the rule's unit tests; pages use the real date
CUTOFF = d.years_ago(TODAY, 5)
JUST_EXPIRED = CUTOFF - timedelta(days=1)  # ended 5 years + 1 day ago
STILL_KEPT = CUTOFF + timedelta(days=1)  # ended 5 years - 1 day ago


@pytest.fixture
def household(users, cipher):
    household = f.make_household(cipher, users["cadre"], head_name="杨建国")
    db.session.flush()
    return household


@pytest.fixture
def key(household):
    return d.key_for_household(household)


def batch(users, source: Source):
    return d.make_batch(source, users["office"])


def page_of(client, household) -> str:
    response = client.get(f"/households/{household.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def chart_in(page: str, source: str) -> dict:
    """The ECharts option of a source's card, as the browser receives it."""
    card = page.split(f'id="departmental-{source}"', 1)[1]
    match = re.search(r"data-chart='([^']*)'", card)
    assert match, f"no chart in the {source} card"
    return json.loads(match.group(1))


def card_of(page: str, source: str) -> str:
    card = page.split(f'id="departmental-{source}"', 1)[1]
    return card.split('id="departmental-', 1)[0]


# ---- the five-year rule (today pinned) -----------------------------------------------


def titles(household, today: date = TODAY) -> set[str]:
    frame = records_frame(Source.PUBLIC_RECORD, "household", [household.id], today)
    return set(frame["title"])


def test_cutoff_is_the_same_day_five_years_earlier():
    assert retention_cutoff(date(2026, 6, 15)) == date(2021, 6, 15)
    assert retention_cutoff(date(2028, 2, 29)) == date(2023, 2, 28)


def test_a_penalty_is_kept_five_years_from_its_end_then_drops_out(users, household, key):
    b = batch(users, Source.PUBLIC_RECORD)
    decided = CUTOFF - timedelta(days=400)
    d.public_record(key, b, "penalty", "超限运输", decided, ended_on=JUST_EXPIRED)
    d.public_record(key, b, "penalty", "无证经营", decided, ended_on=STILL_KEPT)
    d.public_record(key, b, "penalty", "当日期满", decided, ended_on=CUTOFF)
    assert titles(household) == {"无证经营", "当日期满"}
    # The day after, the record that ended exactly five years before is gone too.
    assert titles(household, TODAY + timedelta(days=1)) == {"无证经营"}


def test_penalty_without_end_date_runs_from_the_decision(users, household, key):
    b = batch(users, Source.PUBLIC_RECORD)
    d.public_record(key, b, "penalty", "旧处罚", JUST_EXPIRED)
    d.public_record(key, b, "penalty", "新处罚", STILL_KEPT)
    assert titles(household) == {"新处罚"}


def test_a_subject_still_listed_as_dishonest_never_drops_out(users, household, key):
    b = batch(users, Source.PUBLIC_RECORD)
    d.public_record(key, b, "dishonest", "仍在失信名单", date(2012, 1, 5))
    d.public_record(key, b, "dishonest", "早已移出名单", date(2012, 1, 5), ended_on=JUST_EXPIRED)
    assert titles(household) == {"仍在失信名单"}


def test_positive_records_are_kept_however_old(users, household, key):
    b = batch(users, Source.PUBLIC_RECORD)
    d.public_record(key, b, "honour", "县级文明户", date(2010, 3, 1), ended_on=date(2011, 3, 1))
    d.public_record(key, b, "license", "食品经营许可", date(2012, 3, 1), ended_on=date(2017, 3, 1))
    assert titles(household) == {"县级文明户", "食品经营许可"}


def test_a_bad_loan_expires_five_years_after_repayment_and_never_while_unpaid(
    users, household, key
):
    b = batch(users, Source.BANK_LOAN)
    old = {"start_on": date(2015, 1, 1), "due_on": date(2016, 1, 1)}
    d.loan(key, b, "A-repaid-long-ago", LoanStatus.SUBSTANDARD, 120, repaid_on=JUST_EXPIRED, **old)
    d.loan(key, b, "B-repaid-recently", LoanStatus.SUBSTANDARD, 120, repaid_on=STILL_KEPT, **old)
    d.loan(key, b, "C-never-repaid", LoanStatus.LOSS, 3000, **old)
    d.loan(key, b, "D-good-and-old", LoanStatus.NORMAL, 0, repaid_on=date(2016, 1, 1), **old)
    d.loan(key, b, "E-late-but-normal", LoanStatus.NORMAL, 15, repaid_on=JUST_EXPIRED, **old)
    frame = records_frame(Source.BANK_LOAN, "household", [household.id], TODAY)
    assert set(frame["contract_no"]) == {"B-repaid-recently", "C-never-repaid", "D-good-and-old"}


def test_a_late_utility_month_expires_from_payment_or_month_end(users, household, key):
    b = batch(users, Source.ELECTRICITY)
    # Paid late: the event ends on the day it was paid.
    d.utility(key, b, 2020, 11, 100, paid_on=JUST_EXPIRED, days_late=200)
    d.utility(key, b, 2020, 12, 100, paid_on=STILL_KEPT, days_late=170)
    # No payment date: the event ends with the month billed (May 2021 < June 2021's cutoff).
    d.utility(key, b, 2021, 5, 100, days_late=30)
    d.utility(key, b, 2021, 6, 100, days_late=30)
    # Paid on time: not negative, kept however old.
    d.utility(key, b, 2015, 1, 100, paid_on=date(2015, 2, 10), days_late=0)
    frame = records_frame(Source.ELECTRICITY, "household", [household.id], TODAY)
    kept = set(zip(frame["year"], frame["month"], strict=True))
    assert kept == {(2020, 12), (2021, 6), (2015, 1)}


def test_tax_grade_c_or_d_and_insurance_arrears_expire_with_their_period(users, household, key):
    t = batch(users, Source.TAX)
    d.tax(key, t, 2020, 100, grade="D")  # year ended 2020-12-31: expired
    d.tax(key, t, 2021, 100, grade="C")  # ends 2021-12-31: kept
    d.tax(key, t, 2021, 50, month=5, grade="D")  # May 2021 ended before 2021-06-15
    d.tax(key, t, 2012, 100, grade="A")  # good grades are kept
    taxes = records_frame(Source.TAX, "household", [household.id], TODAY)
    assert set(zip(taxes["year"], taxes["month"], strict=True)) == {(2021, 0), (2012, 0)}

    s = batch(users, Source.SOCIAL_INSURANCE)
    d.social_insurance(key, s, 2021, 3, month=5, arrears=800)
    d.social_insurance(key, s, 2021, 3, month=6, arrears=800)
    d.social_insurance(key, s, 2014, 3, month=1, arrears=0)
    insurance = records_frame(Source.SOCIAL_INSURANCE, "household", [household.id], TODAY)
    assert set(zip(insurance["year"], insurance["month"], strict=True)) == {(2021, 6), (2014, 1)}


def test_cadre_entered_negative_records_follow_the_same_rule(users, cipher):
    occurred = CUTOFF - timedelta(days=300)
    household = f.make_household(
        cipher,
        users["cadre"],
        records=[
            record("negative", "拖欠集体承包费", occurred, JUST_EXPIRED),
            record("negative", "贷款逾期", occurred, STILL_KEPT),
            record("negative", "行政处罚", JUST_EXPIRED, None),  # no end: ends when it occurred
            record("positive", "荣誉表彰", date(2008, 5, 1), None),
        ],
    )
    kept = credit_records_in_use("household", household.id, TODAY)
    assert [r.description for r in kept] == ["贷款逾期", "荣誉表彰"]


def record(polarity: str, description: str, occurred: date, ended: date | None) -> dict:
    category = "荣誉表彰" if polarity == "positive" else "贷款逾期"
    return {
        "polarity": polarity,
        "category": category,
        "description": description,
        "occurred_on": occurred,
        "ended_on": ended,
        "source": "",
    }


# ---- chart series (pure) -----------------------------------------------------------------


def test_tax_per_year_sums_months_and_never_counts_a_year_twice():
    frame = pd.DataFrame(
        {
            "year": [2023, 2023, 2023, 2024, 2024],
            "month": [1, 2, 3, 0, 1],
            "tax_paid": [100.10, 200.20, 300.30, 5000.0, 100.0],
        }
    )
    assert tax_by_year(frame).to_dict() == {2023: 600.6, 2024: 5000.0}


# ---- the file page ---------------------------------------------------------------------


def test_household_page_shows_its_own_records_and_no_one_elses(as_cadre, users, cipher, household):
    key = d.key_for_household(household)
    neighbour = f.make_household(cipher, users["cadre"], head_name="杨二娃")
    neighbour_key = d.key_for_household(neighbour)
    tax = batch(users, Source.TAX)
    d.tax(key, tax, 2024, "1234.56", grade="B")
    d.tax(neighbour_key, tax, 2024, "9876.54", grade="D")
    d.tax(d.unmatched_key(), tax, 2024, "5555.55")
    loans = batch(users, Source.BANK_LOAN)
    d.loan(key, loans, "JK-OWN-001")
    d.loan(neighbour_key, loans, "JK-NEIGHBOUR-001")
    db.session.commit()

    page = page_of(as_cadre, household)
    assert "部门数据" in page
    assert "1,234.56" in page and "JK-OWN-001" in page
    assert "纳税信用等级 B（2024）" in page
    assert "9,876.54" not in page and "JK-NEIGHBOUR-001" not in page
    assert "5,555.55" not in page


def test_another_villages_cadre_cannot_see_the_records(client, users, household, key):
    d.tax(key, batch(users, Source.TAX), 2024, "1234.56")
    db.session.commit()
    login(client, "cadre_b")
    assert client.get(f"/households/{household.id}").status_code == 404


def test_only_the_current_version_of_a_record_is_shown(as_cadre, users, household, key):
    first = d.tax(key, batch(users, Source.TAX), 2024, "1111.11")
    d.supersede(first, batch(users, Source.TAX), tax_paid=2222.22)
    db.session.commit()
    page = page_of(as_cadre, household)
    assert "2,222.22" in page
    assert "1,111.11" not in page


def test_rolling_back_a_batch_removes_its_rows_and_revives_what_it_replaced(
    as_cadre, users, household, key
):
    first = d.tax(key, batch(users, Source.TAX), 2023, "1111.11")
    later = batch(users, Source.TAX)
    d.supersede(first, later, tax_paid=2222.22)
    d.tax(key, later, 2024, "3333.33")
    db.session.commit()
    assert "3,333.33" in page_of(as_cadre, household)

    rollback_batch(later, users["office"])
    page = page_of(as_cadre, household)
    assert "1,111.11" in page
    assert "2,222.22" not in page and "3,333.33" not in page


def test_tax_chart_carries_the_yearly_sums(as_cadre, users, household, key):
    b = batch(users, Source.TAX)
    for month, paid in ((1, "100.10"), (2, "200.20"), (3, "300.30")):
        d.tax(key, b, 2023, paid, month=month)
    d.tax(key, b, 2024, "5000", grade="A")
    d.tax(key, b, 2024, "100", month=1)
    db.session.commit()
    chart = chart_in(page_of(as_cadre, household), "tax")
    assert chart["xAxis"]["data"] == ["2023", "2024"]
    assert chart["series"][0]["type"] == "bar"
    assert chart["series"][0]["data"] == [600.6, 5000.0]


def test_utility_chart_marks_the_months_paid_late(as_cadre, users, household, key):
    b = batch(users, Source.ELECTRICITY)
    d.utility(key, b, 2025, 1, 120, account_no="0001")
    d.utility(key, b, 2025, 1, 30, account_no="0002")  # a second meter: months add up
    d.utility(key, b, 2025, 2, "150.5", paid_on=date(2025, 4, 12), days_late=12)
    d.utility(key, b, 2025, 3, 90)
    db.session.commit()
    page = page_of(as_cadre, household)
    chart = chart_in(page, "electricity")
    assert chart["xAxis"]["data"] == ["2025-01", "2025-02", "2025-03"]
    consumption, late = chart["series"]
    assert consumption["data"] == [150.0, 150.5, 90.0]
    assert late["name"] == "逾期天数" and late["data"] == [0, 12, 0]
    assert "1 个月的账单逾期缴纳" in card_of(page, "electricity")  # months paid late


def test_headcount_chart_follows_the_periods(as_cadre, users, household, key):
    b = batch(users, Source.SOCIAL_INSURANCE)
    d.social_insurance(key, b, 2025, 4, month=2)
    d.social_insurance(key, b, 2025, 3, month=1)
    db.session.commit()
    chart = chart_in(page_of(as_cadre, household), "social_insurance")
    assert chart["xAxis"]["data"] == ["2025-01", "2025-02"]
    assert chart["series"][0]["type"] == "line" and chart["series"][0]["data"] == [3, 4]


def test_expired_negative_records_are_not_shown(as_cadre, users, cipher):
    today = clock.today()
    cutoff = d.years_ago(today, 5)
    household = f.make_household(
        cipher,
        users["cadre"],
        records=[
            record(
                "negative", "多年前的不良记录", cutoff - timedelta(days=900), cutoff - timedelta(1)
            ),
            record(
                "negative", "近五年的不良记录", cutoff - timedelta(days=900), cutoff + timedelta(1)
            ),
        ],
    )
    key = d.key_for_household(household)
    b = batch(users, Source.PUBLIC_RECORD)
    decided = cutoff - timedelta(days=700)
    d.public_record(key, b, "penalty", "过期的处罚", decided, ended_on=cutoff - timedelta(days=1))
    d.public_record(key, b, "penalty", "仍有效的处罚", decided, ended_on=cutoff + timedelta(days=1))
    db.session.commit()
    page = page_of(as_cadre, household)
    assert "仍有效的处罚" in page and "过期的处罚" not in page
    assert "近五年的不良记录" in page and "多年前的不良记录" not in page


def test_a_source_without_data_says_so(as_cadre, users, household, key):
    d.loan(key, batch(users, Source.BANK_LOAN), "JK-1", LoanStatus.DOUBTFUL, 95)
    db.session.commit()
    page = page_of(as_cadre, household)
    assert "暂无电费数据" in page and "暂无税务数据" in page
    assert "暂无银行贷款数据" not in page
    loans = card_of(page, "bank_loan")
    assert "text-bg-danger" in loans and "可疑" in loans and "不良贷款 1 笔" in loans


def test_a_file_without_any_departmental_data_loads_no_chart_library(as_cadre, household):
    db.session.commit()
    page = page_of(as_cadre, household)
    assert "暂无税务数据" in page and "暂无公共信用记录数据" in page
    assert "echarts" not in page


def test_echarts_is_served_by_the_app_not_a_cdn(as_cadre, users, household, key):
    d.tax(key, batch(users, Source.TAX), 2024, "1234.56")
    db.session.commit()
    page = page_of(as_cadre, household)
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert "/vendor/echarts/echarts.min.js" in sources and "/static/charts.js" in sources
    assert all(src.startswith("/") and not src.startswith("//") for src in sources)
    library = as_cadre.get("/vendor/echarts/echarts.min.js")
    assert library.status_code == 200 and b"echarts" in library.data[:5000]
    assert as_cadre.get("/static/charts.js").status_code == 200


def test_long_histories_show_the_latest_twelve_rows_first(as_cadre, users, household, key):
    b = batch(users, Source.WATER)
    for month in range(1, 13):
        d.utility(key, b, 2024, month, 5, utility=Source.WATER)
    d.utility(key, b, 2025, 1, 5, utility=Source.WATER)
    db.session.commit()
    water = card_of(page_of(as_cadre, household), "water")
    table = water.split("<table", 1)[1]  # past the chart, which plots every month
    shown, hidden = table.split("<details", 1)
    assert "2025-01" in shown and "2024-02" in shown
    assert "2024-01" not in shown and "2024-01" in hidden
    assert "显示全部（共 13 条）" in hidden


def test_entity_page_shows_records_matched_by_uscc_or_operator_id(as_cadre, users, cipher):
    coop = f.make_entity(cipher, users["cadre"], name="杨家柿子合作社")
    grower = f.make_entity(
        cipher,
        users["cadre"],
        name="王家种粮大户",
        entity_type=EntityType.LARGE_GROWER.value,
        uscc=None,
        member_count=None,
        farmer_capital_share=None,
    )
    b = batch(users, Source.PUBLIC_RECORD)
    d.public_record(d.key_for_entity(coop), b, "honour", "省级示范社", date(2024, 1, 8))
    d.public_record(
        d.key_for_entity(grower), b, PublicRecordKind.PENALTY, "秸秆焚烧", date(2025, 9, 1)
    )
    db.session.commit()
    coop_page = as_cadre.get(f"/entities/{coop.id}").get_data(as_text=True)
    grower_page = as_cadre.get(f"/entities/{grower.id}").get_data(as_text=True)
    assert "省级示范社" in coop_page and "秸秆焚烧" not in coop_page
    assert "秸秆焚烧" in grower_page and "省级示范社" not in grower_page
    assert "text-bg-danger" in card_of(grower_page, "public_record")


def test_records_of_a_subject_come_grouped_by_source(users, household, key):
    d.utility(key, batch(users, Source.GAS), 2025, 1, 12, utility=Source.GAS)
    d.utility(key, batch(users, Source.WATER), 2025, 1, 7, utility=Source.WATER)
    records = subject_records("household", household.id, TODAY)
    assert [s.source for s in records.with_data] == [Source.WATER, Source.GAS]
    assert records.section(Source.ELECTRICITY).rows == []
    assert records.has_charts
