"""Household indicators from departmental records (issue 12 point 15): 水电气按时缴费率,
纳税信用等级 and 社保连续缴纳月数 configured in a rule set, computed as of the run's data date
(records dated after it, or imported by a batch after it, never count), shown with their
value and unit beside the points, 无记录 scored as the rule set says and never as bad."""

import re
from datetime import date, datetime
from io import BytesIO

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from agri_credit.rating_cycle.runs.services import start_run
from agri_credit.ratings import engine
from agri_credit.ratings.departmental_facts import (
    DepartmentalRecords,
    attach_departmental_facts,
    paid_months_in_a_row,
    seen,
    utility_on_time_rate,
)
from agri_credit.ratings.departmental_rules import (
    departmental_example_rule_set,
    provident_fund_months,
)
from agri_credit.ratings.figures import band_figure
from agri_credit.ratings.rules import RatingRules
from models import ImportBatch, RatingResult, RuleSet, Source, UtilityRecord, db
from tests import departmental_factories as d
from tests import factories as f
from tests import rating_factories as rf
from tests.browser_forms import form_fields
from tests.conftest import csrf_token, login

AS_OF = rf.AS_OF  # 2025-12-31
RULES = departmental_example_rule_set()


def landed(source: Source, user, day: date) -> ImportBatch:
    """An imported batch that landed on `day` (10:00 in the county, 02:00 UTC)."""
    batch = d.make_batch(source, user)
    batch.created_at = batch.finished_at = datetime(day.year, day.month, day.day, 2, 0)
    db.session.flush()
    return batch


def bills(key, batch, months, late=(), year=2025, utility=Source.ELECTRICITY):
    """One bill a month, paid on the 5th of the next month, or 12 days late for `late`."""
    for month in months:
        paid_year, paid_month = (year + 1, 1) if month == 12 else (year, month + 1)
        is_late = month in late
        d.utility(
            key,
            batch,
            year,
            month,
            100,
            utility=utility,
            paid_on=date(paid_year, paid_month, 17 if is_late else 5),
            days_late=12 if is_late else 0,
        )


def paid_months(key, batch, first: tuple[int, int], last: tuple[int, int], arrears=()):
    year, month = first
    while (year, month) <= last:
        owed = 500 if (year, month) in arrears else 0
        d.social_insurance(key, batch, year, 1, month=month, arrears=owed, months_paid=1)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


@pytest.fixture
def county(users, cipher):
    """The small county with the departments' records, landed before the data date:

    杨建国: 11 electricity bills in 2025, one late -> 10/11 = 90.9 % (band 85–95: 4 points);
            tax grade A for 2024 over B for 2023 (2 points); 社保 paid Jan–Nov 2025 after a
            month in arrears -> 11 months (band 1–12: 1 point).
    赵小满: 4 bills, 2 late -> 50 % (0 points); no tax grade, no 社保 (无记录: 1.5 and 1).
    李守田: no records at all (无记录: 3, 1.5 and 1 points).
    孙有余: 20 bills (water and electricity), one late -> exactly 95 % (6 points); 社保 paid
            June 2024–November 2025 -> 18 months (2 points).
    何长青: 19 bills, one late -> 94.74 % (4 points); 社保 stopped after June 2025 -> 0 months
            (0 points: a record, not 无记录).
    """
    households = rf.small_county(cipher, users["cadre"]).households
    office = users["office"]
    power = landed(Source.ELECTRICITY, office, date(2025, 12, 15))
    water = landed(Source.WATER, office, date(2025, 12, 15))
    tax = landed(Source.TAX, office, date(2025, 5, 1))
    social = landed(Source.SOCIAL_INSURANCE, office, date(2025, 12, 20))
    keys = {name: d.key_for_household(h) for name, h in households.items()}

    bills(keys["yang"], power, range(1, 12), late={6})
    # December's bill is not due on the data date: its outcome is unknown, so not counted;
    # a late bill of December 2024 is outside the 12-month window.
    d.utility(keys["yang"], power, 2025, 12, 100, paid_on=None, days_late=0)
    d.utility(keys["yang"], power, 2024, 12, 100, paid_on=date(2025, 2, 20), days_late=30)
    d.tax(keys["yang"], tax, 2024, 1200, grade="A")
    d.tax(keys["yang"], tax, 2023, 1100, grade="B")
    paid_months(keys["yang"], social, (2024, 12), (2025, 11), arrears={(2024, 12)})

    bills(keys["zhao"], power, range(7, 11), late={7, 9})

    bills(keys["sun"], power, range(1, 11), late={3})
    bills(keys["sun"], water, range(1, 11), utility=Source.WATER)
    paid_months(keys["sun"], social, (2024, 6), (2025, 11))

    bills(keys["he"], power, range(1, 11), late={2})
    bills(keys["he"], water, range(1, 10), utility=Source.WATER)
    paid_months(keys["he"], social, (2025, 1), (2025, 6))
    db.session.commit()
    return households, keys


@pytest.fixture
def rule_set(users):
    row = rf.rule_set_row(users["office"], **RULES.to_dict())
    db.session.commit()
    return row


def results(run) -> dict[int, RatingResult]:
    return {
        r.household_id: r
        for r in db.session.scalars(
            select(RatingResult).where(
                RatingResult.run_id == run.id, RatingResult.household_id.is_not(None)
            )
        )
    }


EXPECTED = {  # name: (values, points) of utility_on_time, tax_credit_grade, social_insurance
    "yang": ((90.9091, "A", 11.0), (4, 2, 1)),
    "zhao": ((50.0, None, None), (0, 1.5, 1)),
    "li": ((None, None, None), (3, 1.5, 1)),
    "sun": ((95.0, None, 18.0), (6, 1.5, 2)),
    "he": ((94.7368, None, 0.0), (4, 1.5, 0)),
}
KEYS = ("utility_on_time", "tax_credit_grade", "social_insurance_months")


def check_expected(run, households) -> None:
    stored = results(run)
    for name, (values, points) in EXPECTED.items():
        result = stored[households[name].id]
        assert result.indicator_values == dict(zip(KEYS, values, strict=True)), name
        assert [result.breakdown[k] for k in KEYS] == list(points), name
        # 无记录 is not a gap in the file the cadre has to fill.
        assert "水电气" not in result.missing and "社保" not in result.missing


def test_each_indicator_is_computed_and_scored_by_hand(county, rule_set, users):
    households, _ = county
    run = start_run(f.COUNTY, rf.YEAR, AS_OF, rule_set, users["office"])
    check_expected(run, households)
    # The file indicators are scored as in the default sheet, rescaled to the new points.
    yang = results(run)[households["yang"].id]
    assert yang.breakdown["evaluation"] == 24  # 优秀
    # No bank data: 还款记录 (10 points) is left out and the rest scaled back to 100.
    assert yang.breakdown["repayment"] is None
    scored = sum(v for v in yang.breakdown.values() if v is not None)
    assert float(yang.score) == pytest.approx(scored * 100 / 90, abs=0.01)


def test_records_dated_or_imported_after_the_data_date_change_nothing(county, rule_set, users):
    households, keys = county
    office = users["office"]
    before = start_run(f.COUNTY, rf.YEAR, AS_OF, rule_set, office)
    check_expected(before, households)
    snapshot = {h: (r.breakdown, r.indicator_values, r.score) for h, r in results(before).items()}

    # Dated after the data date, in a batch that landed before it (a department's typo).
    early = landed(Source.ELECTRICITY, office, date(2025, 12, 28))
    d.utility(keys["li"], early, 2026, 1, 100, paid_on=date(2026, 2, 25), days_late=25)
    social = landed(Source.SOCIAL_INSURANCE, office, date(2025, 12, 28))
    d.social_insurance(keys["yang"], social, 2026, 1, month=1, months_paid=1)
    # Imported after the data date: a 2025 tax grade D, late water bills, and a correction
    # that supersedes 杨建国's late June bill with an on-time one.
    late_tax = landed(Source.TAX, office, date(2026, 2, 1))
    d.tax(keys["yang"], late_tax, 2025, 900, grade="D")
    late_water = landed(Source.WATER, office, date(2026, 1, 5))
    bills(keys["li"], late_water, range(1, 12), late={1, 2, 3}, utility=Source.WATER)
    june = db.session.scalar(
        select(UtilityRecord).where(
            UtilityRecord.subject_key_id == keys["yang"].id, UtilityRecord.month == 6
        )
    )
    june.superseded_by_id = late_water.id
    d.utility(keys["yang"], late_water, 2025, 6, 100, paid_on=date(2025, 7, 5), days_late=0)
    db.session.commit()

    again = start_run(f.COUNTY, rf.YEAR, AS_OF, rule_set, office)
    check_expected(again, households)
    assert (
        "税务：最近一批于2026-02-01导入，晚于本次评定的数据日期2025-12-31，其记录未计入部门数据指标"
        in again.summary["notes"]
    )
    assert {
        h: (r.breakdown, r.indicator_values, r.score) for h, r in results(again).items()
    } == snapshot

    # As of a later date the same rows count: 杨建国's June bill is now on time, his grade D.
    later = start_run(f.COUNTY, rf.YEAR + 1, date(2026, 2, 28), rule_set, office)
    yang = results(later)[households["yang"].id]
    assert yang.indicator_values["tax_credit_grade"] == "D"
    assert yang.breakdown["tax_credit_grade"] == 0


def test_a_source_with_no_data_is_left_out_and_the_rest_rescaled(county, users):
    rules = departmental_example_rule_set()
    households = (*rules.household_indicators[:-1], provident_fund_months(2, 1))
    body = RatingRules.to_dict(
        type(rules)(**{**rules.__dict__, "household_indicators": households})
    )
    rule_set = rf.rule_set_row(users["office"], **body)
    db.session.commit()
    run = start_run(f.COUNTY, rf.YEAR, AS_OF, rule_set, users["office"])
    assert "公积金连续缴存月数：本次评定尚无数据，未计入总分，其余指标折算为百分制" in (
        "\n".join(run.summary["notes"])
    )
    assert "provident_fund_months" in run.summary["absent_indicators"]["household"]
    li = results(run)[county[0]["li"].id]
    assert li.breakdown["provident_fund_months"] is None


def test_the_result_page_shows_each_value_with_its_unit_beside_its_points(
    client, county, rule_set, users
):
    households, _ = county
    run = start_run(f.COUNTY, rf.YEAR, AS_OF, rule_set, users["office"])
    stored = results(run)
    login(client, "office_county")
    page = client.get(f"/ratings/results/{stored[households['yang'].id].id}").get_data(as_text=True)
    assert "数值：90.9 %" in page and "数值：A" in page and "数值：11 个月" in page
    page = client.get(f"/ratings/results/{stored[households['li'].id].id}").get_data(as_text=True)
    assert "数值：无记录（按评定办法计 3 分）" in page
    # Band edges: exactly 95 % is in the top band and reads 95.00; 94.74 % reads 94.7.
    page = client.get(f"/ratings/results/{stored[households['sun'].id].id}").get_data(as_text=True)
    assert "数值：95.00 %" in page
    page = client.get(f"/ratings/results/{stored[households['he'].id].id}").get_data(as_text=True)
    assert "数值：94.7 %" in page

    workbook = client.get(f"/ratings/runs/{run.id}/results.xlsx")
    assert workbook.status_code == 200
    sheet = load_workbook(BytesIO(workbook.data))["农户评定结果"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    column = header.index("水电气按时缴费率（数值）")
    shown = {row[2]: row[column] for row in rows[1:]}
    assert shown["杨建国"] == "90.9 %" and shown["李守田"] == "无记录"
    pdf = client.get(f"/ratings/runs/{run.id}/report.pdf")
    assert pdf.status_code == 200


# ---- the figure beside the decision ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (94.96, "94.96"),  # in 85–95: never "95.0"
        (94.9999, "94.999"),
        (95.0, "95.00"),  # on the edge itself: a second decimal says so (figures.py)
        (95.04, "95.04"),
        (84.96, "84.96"),
        (85.0, "85.00"),
        (90.909091, "90.9"),
    ],
)
def test_a_rate_is_shown_with_digits_that_agree_with_its_band(value, shown):
    edges = [(b.lower, b.upper) for b in RULES.household_indicators[-3].bands]
    assert band_figure(value, edges) == shown
    lower, upper = next(
        (lo, hi) for lo, hi in edges if (lo is None or value >= lo) and (hi is None or value < hi)
    )
    figure = float(shown)
    assert (lower is None or figure >= lower) and (upper is None or figure < upper)


# ---- the pure computation --------------------------------------------------------------------


def frame(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    out = pd.DataFrame(columns)
    out["visible_from"] = pd.Timestamp("2025-01-01")
    out["visible_until"] = pd.NaT
    if "month" not in out:
        out["month"] = np.ones(n, dtype=np.int64)
    return out


def test_a_bill_counts_only_once_its_outcome_is_known_on_the_date():
    bills_ = frame(
        subject_id=[1, 1, 1, 1],
        year=[2025] * 4,
        month=[9, 10, 11, 12],
        paid_on=pd.to_datetime(["2025-10-05", "2026-01-10", "2026-01-03", None]),
        # Paid 40 days late on 10 Jan: overdue on 31 Dec. Paid on time on 3 Jan: not due.
        days_late=[0, 40, 0, 0],
    )
    rows = seen(bills_, AS_OF, 12)
    assert utility_on_time_rate(rows, AS_OF).to_dict() == {1: 50.0}


def test_months_in_a_row_break_at_arrears_and_at_a_gap():
    rows = frame(
        subject_id=[1, 1, 1, 2, 2, 2],
        year=[2025] * 6,
        month=[9, 10, 11, 8, 10, 11],
        months_paid=[1, 1, 1, 1, 1, 1],
        arrears=[500, 0, 0, 0, 0, 0],
    )
    rows = seen(rows, AS_OF, 36)
    assert paid_months_in_a_row(rows, AS_OF).to_dict() == {1: 2.0, 2: 2.0}


def test_no_records_score_the_rule_sets_points_and_no_data_leaves_the_indicator_out():
    households = pd.DataFrame(
        {
            "household_id": [1, 2],
            "village_code": pd.Categorical([f.VILLAGE_A, f.VILLAGE_A]),
            "evaluation_overall": ["优秀", "优秀"],
        }
    )
    utilities = frame(
        subject_id=[1], year=[2025], month=[5], paid_on=[pd.Timestamp("2025-06-03")], days_late=[0]
    )
    with_data = attach_departmental_facts(
        households, DepartmentalRecords(utilities=utilities), RULES, AS_OF
    )
    scored = engine.score_households(with_data, RULES, AS_OF)
    assert scored["points_utility_on_time"].tolist() == [6, 3]
    assert scored["value_utility_on_time"].tolist()[0] == 100.0
    assert np.isnan(scored["value_utility_on_time"].tolist()[1])
    assert scored["missing"].tolist() == [scored["missing"].tolist()[0]] * 2  # 无记录 marks no gap
    assert "utility_on_time" not in scored["missing"].iloc[1]

    nothing = attach_departmental_facts(households, DepartmentalRecords(), RULES, AS_OF)
    scored = engine.score_households(nothing, RULES, AS_OF)
    assert "utility_on_time" in scored.attrs["absent_indicators"]
    assert np.isnan(scored["points_utility_on_time"]).all()


# ---- the editor ------------------------------------------------------------------------------


def edit_page(client, draft) -> tuple[str, dict[str, str]]:
    page = client.get(f"/ratings/rule-sets/{draft.id}/edit").get_data(as_text=True)
    return page, form_fields(page)


def field_named(page: str, label: str) -> str:
    """The name of the input whose aria-label is `label`."""
    match = re.search(r'aria-label="' + re.escape(label) + r'"[^>]*name="([^"]+)"', page)
    match = match or re.search(r'name="([^"]+)"[^>]*aria-label="' + re.escape(label) + '"', page)
    assert match, label
    return match.group(1)


def test_the_editor_configures_a_departmental_indicator_with_marked_errors(client, csrf_on, users):
    draft = rf.rule_set_row(users["office"], status="draft")
    draft.title = "富平县农户信用等级评定办法（2026年版）"
    db.session.commit()
    login(client, "office_county")
    page, data = edit_page(client, draft)
    assert "水电气按时缴费率" in page and "无记录时得" in page
    on = field_named(page, "农户·水电气按时缴费率 分值").replace("_points", "_on")
    months = field_named(page, "农户·水电气按时缴费率 统计月数")
    none = field_named(page, "农户·水电气按时缴费率 无记录得分")
    points = field_named(page, "农户·水电气按时缴费率 分值")
    evaluation = field_named(page, "农户·村评议品行 分值")

    # Switched on with a window of 0 months and more points for no records than at most.
    data.update({on: "y", months: "0", none: "9", points: "6", evaluation: "24"})
    response = client.post(f"/ratings/rule-sets/{draft.id}/edit", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "请填写 1–120 的整数月数" in page
    data[months] = "12"
    data["csrf_token"] = csrf_token(page)
    page = client.post(f"/ratings/rule-sets/{draft.id}/edit", data=data).get_data(as_text=True)
    assert "指标「水电气按时缴费率」无记录得分 9 分，应在 0–6 分之间" in page
    # The field it is about is marked red.
    assert re.search(r'class="[^"]*is-invalid[^"]*"[^>]*name="' + none + '"', page) or re.search(
        r'name="' + none + r'"[^>]*class="[^"]*is-invalid', page
    )

    data.update({none: "3", "csrf_token": csrf_token(page)})
    # The sheet still adds up to 100: 村评议 gave its 6 points to the new indicator.
    category = {
        field_named(page, f"农户·村评议品行·{v} 得分"): p
        for v, p in (("优秀", "24"), ("较好", "20"), ("一般", "12"))
    }
    data.update(category)
    response = client.post(f"/ratings/rule-sets/{draft.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    saved = RatingRules.from_dict(db.session.get(RuleSet, draft.id).body)
    utility = next(i for i in saved.household_indicators if i.key == "utility_on_time")
    assert (utility.points, utility.lookback_months, utility.missing_points) == (6, 12, 3)
    assert saved.validate() == []
