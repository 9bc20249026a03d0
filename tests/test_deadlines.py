"""Deadlines in working days follow the State Council's holiday plan (holidays off, 调休
weekend days worked); a year the plan is not known for counts Monday to Friday, and the page
says so. A credit-repair decision is due 10 working days after the stored application date."""

from datetime import date, timedelta

import pytest

from agri_credit.deadlines import (
    LAST_YEAR,
    add_working_days,
    holidays_known,
    objection_due_on,
    publicity_ends_on,
    working_days_left,
)
from agri_credit.rating_cycle.repairs import services as repairs
from models import Source, clock, db
from tests import departmental_factories as d
from tests import factories as f
from tests.conftest import login


def test_ordinary_weeks_skip_saturday_and_sunday():
    assert add_working_days(date(2025, 3, 7), 10) == date(2025, 3, 21)  # Fri -> Fri
    assert add_working_days(date(2025, 3, 8), 10) == date(2025, 3, 21)  # Sat -> Fri
    assert add_working_days(date(2025, 3, 14), 1) == date(2025, 3, 17)  # Fri -> Mon


def test_national_day_is_skipped_and_its_exchanged_weekend_days_are_worked():
    # 2025: 1-8 October off; Sunday 28 September and Saturday 11 October worked (调休).
    assert add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_working_days(date(2025, 10, 10), 1) == date(2025, 10, 11)
    assert add_working_days(date(2025, 9, 26), 10) == date(2025, 10, 16)
    assert working_days_left(date(2025, 9, 30), date(2025, 10, 10)) == 2
    assert working_days_left(date(2025, 10, 10), date(2025, 10, 9)) == 0


def test_a_year_without_a_published_plan_counts_weekdays_only():
    year = LAST_YEAR + 1
    assert not holidays_known(date(year, 10, 1))
    assert holidays_known(date(LAST_YEAR, 12, 31))
    first_of_october = date(year, 10, 1)
    day_before = first_of_october - timedelta(days=1)
    while day_before.weekday() >= 4:  # a Monday to Thursday, so the next day is a weekday
        day_before -= timedelta(days=1)
    assert add_working_days(day_before, 1) == day_before + timedelta(days=1)


def test_publicity_and_objection_deadlines_are_calendar_days():
    assert publicity_ends_on(date(2025, 9, 30), 7) == date(2025, 10, 7)
    assert objection_due_on(date(2025, 9, 30), 20) == date(2025, 10, 20)


@pytest.fixture
def penalty(users, cipher):
    household = f.make_household(cipher, users["cadre"], head_name="杨建国")
    key = d.key_for_household(household)
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    record = d.public_record(
        key,
        batch,
        "penalty",
        "未按规定使用农药",
        date(2024, 1, 15),
        document_no="富农罚〔2024〕3号",
        severity="general",
    )
    db.session.commit()
    return record


def _file_on(record, user, day: date):
    repair = repairs.apply_for_repair(
        record,
        commitment="承诺依法使用农药",
        evidence="已缴清罚款",
        user=user,
        today=day,
        applied_at=clock.utc_start_of(day) + timedelta(hours=10),
    )
    db.session.commit()
    return repair


def test_repair_page_counts_ten_working_days_from_the_application_date(client, users, penalty):
    repair = _file_on(penalty, users["office"], date(2025, 9, 26))
    assert repair.decide_by == date(2025, 10, 16)
    login(client, "office_county")
    page = client.get(f"/ratings/repairs/{repair.id}").get_data(as_text=True)
    assert "2025-09-26" in page and "2025-10-16" in page
    assert "自申请日 2025-09-26 起 10 个工作日，已扣除法定节假日" in page


def test_repair_page_says_when_only_weekends_were_skipped(client, users, penalty):
    year = LAST_YEAR + 1
    repair = _file_on(penalty, users["office"], date(year, 3, 2))
    login(client, "office_county")
    page = client.get(f"/ratings/repairs/{repair.id}").get_data(as_text=True)
    assert f"{year} 年的法定节假日安排尚未收录，只扣除了周末" in page
