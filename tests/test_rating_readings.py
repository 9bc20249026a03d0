"""Readings a county chooses where the published rules leave them open (issue 13 point 6):
each is a setting of the rule set, its default is what the platform did before, and each is
shown here on a small county whose results under both readings are worked out by hand.

On the default household sheet: 劳动力人数 scores 0 below 1, 4 for 1, 6 for 2 and 8 from 3;
家庭总资产 against the village average (户均) scores 2 below 0.4 x, 5 to 0.7 x, 8 to 1.0 x,
11 to 1.5 x and 13 from 1.5 x; 村评议 优秀 30, and 0 (缺失) without an evaluation. Villages
need 信用户占比 ≥ 70 %, 无逾期借款户 ≥ 85 %, 不良贷款率 < 5 %, 新增不良 < 1 % and 建档率
≥ 90 %; townships 信用村占比 ≥ 50 %, 无逾期借款户 ≥ 90 %, 不良贷款率 < 5 %.
"""

import io
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from agri_credit.rating_cycle.rulesets.services import (
    copy_as_new_version,
    ensure_default_rule_set,
    readings_text,
    rules_of,
)
from agri_credit.rating_cycle.runs.inputs import RunInputs
from agri_credit.rating_cycle.runs.services import area_loans
from agri_credit.ratings import engine
from agri_credit.ratings.default_rules import default_rule_set
from agri_credit.ratings.figures import percent_beside
from agri_credit.ratings.rules import (
    LABOUR_ABILITY_HALF,
    LABOUR_WORKING_AGE,
    NEW_NPL_CALENDAR_YEAR,
    OVER_REGISTERED,
    TOWNSHIP,
    VILLAGE,
    RatingRules,
    Readings,
    Threshold,
)
from agri_credit.templating import beside
from models import RatingResult, Region, RuleSet, db
from tests import factories as f
from tests import rating_factories as rf
from tests.conftest import login
from tests.test_rule_sets import field_for, form_payload

AS_OF = date(2025, 6, 30)
A, B = f.VILLAGE_A, f.VILLAGE_B
CLEAN = {"max_days_overdue_unpaid": 0.0, "is_dishonest": False, "disqualifying_negative_count": 0}


def read(**choices) -> RatingRules:
    """The default rule set with some readings changed."""
    rules = default_rule_set()
    return replace(rules, readings=replace(rules.readings, **choices))


def household(household_id: int, village: str = A, **values) -> dict:
    row = {
        "household_id": household_id,
        "village_code": village,
        "household_size": 3,
        "labour_count": 2,
        "total_assets": 100_000.0,
        "total_liabilities": 0.0,
        "coop_shares": 0.0,
        "net_income": 30_000.0,
        "evaluation_overall": "优秀",
        "worst_days_overdue": 0.0,
        **CLEAN,
    }
    row.update(values)
    return row


def asset_points(frame: pd.DataFrame, rules: RatingRules, villages=None) -> dict[int, float]:
    scored = engine.score_households(frame, rules, AS_OF, village_facts=villages)
    return dict(zip(scored["household_id"], scored["points_total_assets"], strict=True))


# ---- 户均: over filed or registered households, with or without gated ones --------------------


def test_the_village_average_may_be_over_registered_households():
    # 杨家村 has files for two of its four registered households: assets 200,000 and 100,000.
    frame = pd.DataFrame(
        [household(1, total_assets=200_000.0), household(2, total_assets=100_000.0)]
    )
    villages = pd.DataFrame({"village_code": [A], "registered_households": [4.0]})
    # Over the files (default): 户均 150,000; 1.33 x scores 11, 0.67 x scores 5.
    assert asset_points(frame, default_rule_set(), villages) == {1: 11.0, 2: 5.0}
    # Over 户籍户数: 300,000 / 4 = 75,000; 2.67 x scores 13, 1.33 x scores 11.
    rules = read(average_over=OVER_REGISTERED)
    assert asset_points(frame, rules, villages) == {1: 13.0, 2: 11.0}
    # A village that has not reported 户籍户数 keeps the files' average.
    unknown = villages.assign(registered_households=np.nan)
    assert asset_points(frame, rules, unknown) == {1: 11.0, 2: 5.0}


def test_households_a_gate_disqualified_may_be_left_out_of_the_average():
    frame = pd.DataFrame(
        [
            household(1, total_assets=200_000.0),
            household(2, total_assets=100_000.0),
            # 120 days overdue and unpaid: disqualified, and the richest of the village.
            household(3, total_assets=600_000.0, max_days_overdue_unpaid=120.0),
        ]
    )
    # Counted (default): 户均 300,000; 0.67 x scores 5, 0.33 x scores 2.
    assert asset_points(frame, default_rule_set()) == {1: 5.0, 2: 2.0, 3: 13.0}
    # Left out: 户均 150,000 of the two others; 11 and 5. The gated one still has no grade.
    rules = read(average_includes_gated=False)
    assert asset_points(frame, rules) == {1: 11.0, 2: 5.0, 3: 13.0}
    assert engine.score_households(frame, rules, AS_OF)["grade"].isna().tolist() == [
        False,
        False,
        True,
    ]


# ---- 村 and 乡镇 figures -------------------------------------------------------------------------


def rated_households(village: str, files: int, credit: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "household_id": range(files),
            "village_code": village,
            "is_credit_household": [True] * credit + [False] * (files - credit),
        }
    )


def loans_of(code_column: str, code: str, **values) -> pd.DataFrame:
    row = {
        code_column: code,
        "borrowers": 40,
        "borrowers_overdue": 2,
        "loan_balance": 1_000_000.0,
        "npl_balance": 20_000.0,
        "new_npl_balance": 5_000.0,
        **values,
    }
    return pd.DataFrame([row])


def rate_village(
    rules: RatingRules, files: int, credit: int, registered: float, **loans
) -> pd.Series:
    return engine.rate_villages(
        rated_households(A, files, credit),
        loans_of("village_code", A, **loans),
        pd.DataFrame({"village_code": [A], "registered_households": [registered]}),
        rules,
    ).iloc[0]


def test_the_credit_household_share_may_be_over_registered_households():
    # 7 credit households of 10 files; 11 households registered (建档率 90.9 %).
    by_files = rate_village(default_rule_set(), 10, 7, 11)
    assert by_files["credit_household_share"] == 70 and by_files["is_credit_village"]
    # 7 / 11 = 63.6 %: below 70 %.
    rules = read(credit_share_over=OVER_REGISTERED)
    by_registered = rate_village(rules, 10, 7, 11)
    assert not by_registered["is_credit_village"]
    assert by_registered["reasons"] == "信用户占比 63.6%，低于 70%"
    unknown = rate_village(rules, 10, 7, np.nan)
    assert "信用户占比：未登记户籍户数，无法计算" in unknown["reasons"]


@pytest.mark.parametrize(
    ("metric", "village", "reason"),
    [
        # 10 files of 12 registered households: 建档率 83.3 %.
        ("file_coverage", {"registered": 12}, "建档率 83.3%，低于 90%"),
        # 15,000 of 1,000,000 became non-performing this year: 1.5 %.
        ("new_npl_ratio", {"new_npl_balance": 15_000.0}, "新增不良贷款率 1.5%，未低于 1%"),
    ],
)
def test_a_condition_may_be_shown_without_being_binding(metric, village, reason):
    figures = {"files": 10, "credit": 8, "registered": 10, **village}
    binding = rate_village(default_rule_set(), **figures)
    assert not binding["is_credit_village"] and binding["reasons"] == reason
    rules = default_rule_set()
    rules = replace(
        rules,
        village_thresholds=tuple(
            replace(t, binding=False) if t.metric == metric else t for t in rules.village_thresholds
        ),
    )
    advisory = rate_village(rules, **figures)
    assert advisory["is_credit_village"] and advisory["thresholds_missed"] == 0
    assert advisory["reasons"] == "（参考）" + reason
    assert not advisory["pass_" + metric]


def test_percentages_may_be_compared_rounded_to_a_tenth():
    # 224 files of 249 registered households: 建档率 89.96 %.
    exact = rate_village(default_rule_set(), 224, 200, 249)
    assert not exact["is_credit_village"] and exact["reasons"] == "建档率 89.96%，低于 90%"
    rules = read(percent_decimals=1)
    rounded = rate_village(rules, 224, 200, 249)  # 90.0 %: reaches 90 %
    assert rounded["is_credit_village"] and rounded["reasons"] == ""
    # The figure beside the threshold is the one compared, so it agrees with the decision.
    coverage = rules.comparisons(VILLAGE)["file_coverage"]
    assert beside(rounded["file_coverage"], coverage) == "90.0%"
    exact_coverage = default_rule_set().comparisons(VILLAGE)["file_coverage"]
    assert beside(exact["file_coverage"], exact_coverage) == "89.96%"
    assert percent_beside(224 / 249 * 100, ">=", 90, 1) == "90.0%"
    # 223 of 248 = 89.919 %: 89.9 % rounded, still short.
    short = rate_village(rules, 223, 200, 248)
    assert short["reasons"] == "建档率 89.9%，低于 90%"


def test_half_may_mean_at_least_half_or_more_than_half():
    # 庄里镇: one credit village of two, 50 %.
    villages = pd.DataFrame(
        {
            "village_code": [A, B],
            "township_code": [f.TOWNSHIP_A] * 2,
            "is_credit_village": [True, False],
            "households": [10, 10],
            "credit_households": [8, 5],
            "registered_households": [10.0, 10.0],
        }
    )
    loans = loans_of("township_code", f.TOWNSHIP_A)
    at_least = engine.rate_townships(villages, loans, default_rule_set()).iloc[0]
    assert at_least["credit_village_share"] == 50 and at_least["is_credit_township"]
    rules = default_rule_set()
    rules = replace(
        rules,
        township_thresholds=(
            Threshold("credit_village_share", ">", 50),
            *rules.township_thresholds[1:],
        ),
    )
    more_than = engine.rate_townships(villages, loans, rules).iloc[0]
    assert not more_than["is_credit_township"]
    assert more_than["reasons"] == "信用村占比 50.00%，未高于 50%"
    edges = dict(readings_text(default_rule_set()))["「50%」条件的边界"]
    assert edges == "信用乡镇·信用村占比 ≥ 50%：恰好一半即达标"
    assert dict(readings_text(rules))["「50%」条件的边界"].endswith("须超过一半")


# ---- loans ----------------------------------------------------------------------------------


def loan(borrower: int, balance: float, **values) -> dict:
    return {
        "borrower_id": borrower,
        "balance": balance,
        "status": "normal",
        "days_overdue": 0,
        "repaid_on": None,
        "village_code": A,
        "township_code": f.TOWNSHIP_A,
        **values,
    }


def test_new_npl_may_be_counted_over_the_calendar_year():
    loans = pd.DataFrame(
        [
            # Non-performing since 1 September 2024: within 365 days of 30 June 2025, not 2025.
            loan(1, 100_000.0, status="substandard", days_overdue=300, npl_since=date(2024, 9, 1)),
            # Since 1 February 2025: new either way.
            loan(2, 100_000.0, status="loss", days_overdue=240, npl_since=date(2025, 2, 1)),
            # Repaid 1 October 2024: a borrower of the last 365 days, not of 2025.
            loan(3, 0.0, repaid_on=date(2024, 10, 1)),
        ]
    )
    loans["repaid_on"] = pd.to_datetime(loans["repaid_on"])
    loans["npl_since"] = pd.to_datetime(loans["npl_since"])
    days = engine.summarise_loans(loans, "village_code", default_rule_set(), AS_OF).iloc[0]
    assert (days["borrowers"], days["new_npl_balance"]) == (3, 200_000)
    rules = read(new_npl_window=NEW_NPL_CALENDAR_YEAR)
    year = engine.summarise_loans(loans, "village_code", rules, AS_OF).iloc[0]
    assert (year["borrowers"], year["new_npl_balance"]) == (2, 100_000)
    assert year["npl_balance"] == days["npl_balance"] == 200_000


def test_the_npl_ratio_may_count_entities_loans():
    # 杨家村: a household owes 100,000, performing; a co-op owes 100,000, 200 days overdue.
    loans = pd.DataFrame(
        [
            {**loan(0, 100_000.0), "household_id": 1, "entity_id": None},
            {
                **loan(0, 100_000.0, status="substandard", days_overdue=200),
                "household_id": None,
                "entity_id": 7,
            },
        ]
    ).drop(columns="borrower_id")
    loans["household_id"] = loans["household_id"].astype("Int64")
    loans["entity_id"] = loans["entity_id"].astype("Int64")
    villages = pd.DataFrame(
        {"village_code": [A], "township_code": [f.TOWNSHIP_A], "registered_households": [1.0]}
    )
    inputs = RunInputs(pd.DataFrame(), pd.DataFrame(), loans, pd.DataFrame(), villages, True)
    codes = villages["village_code"]
    households_only = area_loans(inputs, codes, "village_code", default_rule_set(), AS_OF)
    assert households_only.iloc[0][["borrowers", "loan_balance", "npl_balance"]].tolist() == [
        1,
        100_000,
        0,
    ]
    rules = read(npl_includes_entities=True)
    everyone = area_loans(inputs, codes, "village_code", rules, AS_OF)
    # Borrowers stay the village's households; the NPL ratio is 100,000 / 200,000 = 50 %.
    assert everyone.iloc[0][["borrowers", "loan_balance", "npl_balance"]].tolist() == [
        1,
        200_000,
        100_000,
    ]
    rated = engine.rate_villages(rated_households(A, 1, 1), everyone, villages, rules).iloc[0]
    assert rated["npl_ratio"] == 50 and "不良贷款率 50.0%，未低于 5%" in rated["reasons"]


# ---- readings taken from the files: 村评议 and 劳动力 -------------------------------------------


def run_with(users, rules: RatingRules) -> RatingResult:
    """The one household's result of a run of the county with `rules`."""
    versions = db.session.scalar(select(func.count()).select_from(RuleSet))
    rule_set = rf.rule_set_row(users["office"], version=versions + 1, **rules.to_dict())
    db.session.commit()
    run = rf.finished_run(users["office"], rule_set)
    return db.session.scalar(select(RatingResult).where(RatingResult.run_id == run.id))


@pytest.fixture
def old_evaluation(users, cipher):
    """何长青's last 村评议 is 优秀, from 2023; the rating year is 2025."""
    rf.rated_household(
        cipher,
        users["cadre"],
        f.VILLAGE_C,
        head_name="何长青",
        evaluations=[rf.evaluation("优秀", 2023)],
    )
    db.session.commit()


def test_the_village_evaluation_may_have_to_be_recent(users, old_evaluation):
    # Default: the latest of any year up to 2025, 2023's 优秀: 30 points.
    assert run_with(users, default_rule_set()).breakdown["evaluation"] == 30.0
    # Within 3 years (2023-2025): still 30.
    assert run_with(users, read(evaluation_years=3)).breakdown["evaluation"] == 30.0
    # The rating year only: none for 2025, so 村评议 is missing (缺失, 0 points).
    only_2025 = run_with(users, read(evaluation_years=1))
    assert only_2025.breakdown["evaluation"] == 0.0 and only_2025.missing == "村评议品行"


@pytest.fixture
def three_generations(users, cipher):
    """The head, born 1970 (55 on 31 December 2025), able to work; a son born 2012 (13) and
    a grandmother born 1950 (75), each 半劳动力."""
    member = {"key": "", "relation": "子", "health": "健康", "occupation": ""}
    rf.rated_household(
        cipher,
        users["cadre"],
        f.VILLAGE_C,
        head_name="何长青",
        head_id_number=f.make_id_number(born=date(1970, 5, 1)),
        members=[
            {
                **member,
                "name": "何小军",
                "id_number": f.make_id_number(born=date(2012, 3, 1)),
                "labour_ability": "半劳动力",
            },
            {
                **member,
                "name": "李桂英",
                "relation": "母亲",
                "id_number": f.make_id_number(born=date(1950, 8, 8), male=False),
                "labour_ability": "半劳动力",
            },
        ],
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("labour", "points"),
    [
        (None, 8.0),  # the file's 劳动力人数: 1 + 1 + 1 = 3
        (LABOUR_ABILITY_HALF, 6.0),  # 1 + 0.5 + 0.5 = 2
        (LABOUR_WORKING_AGE, 4.0),  # aged 16-59: the head alone, 1
    ],
)
def test_labour_may_mean_ability_or_working_age(users, three_generations, labour, points):
    rules = read(labour=labour) if labour else default_rule_set()
    assert run_with(users, rules).breakdown["labour_count"] == points


# ---- the editor, the rule-set page, the diff and the run page ---------------------------------


def a_draft(users) -> RuleSet:
    draft = copy_as_new_version(ensure_default_rule_set(f.COUNTY), users["office"])
    db.session.commit()
    return draft


def test_the_editor_sets_every_reading_and_the_pages_show_them(as_office, users):
    draft = a_draft(users)
    page = as_office.get(f"/ratings/rule-sets/{draft.id}/edit").get_data(as_text=True)
    assert "评定口径" in page and "按劳动年龄（16–59 周岁）" in page
    payload = form_payload(draft)
    payload[field_for(draft, "村评议取近几年内最新一次（年）")] = "1"
    payload[field_for(draft, "劳动力人数的口径")] = LABOUR_WORKING_AGE
    payload[field_for(draft, "户均（与本村户均比）的分母")] = OVER_REGISTERED
    payload.pop(field_for(draft, "被一票否决的农户计入户均"))
    payload[field_for(draft, "信用户占比的分母")] = OVER_REGISTERED
    payload[field_for(draft, "新增不良贷款的统计期")] = NEW_NPL_CALENDAR_YEAR
    payload[field_for(draft, "不良贷款率计入经营主体的贷款")] = "y"
    payload[field_for(draft, "百分比与达标条件比较时")] = "1"
    payload.pop(field_for(draft, "信用村：建档率 为必备条件"))
    response = as_office.post(f"/ratings/rule-sets/{draft.id}/edit", data=payload)
    assert response.status_code == 302, response.get_data(as_text=True)

    db.session.refresh(draft)
    rules = rules_of(draft)
    assert rules.readings == Readings(
        evaluation_years=1,
        labour=LABOUR_WORKING_AGE,
        average_over=OVER_REGISTERED,
        average_includes_gated=False,
        credit_share_over=OVER_REGISTERED,
        new_npl_window=NEW_NPL_CALENDAR_YEAR,
        npl_includes_entities=True,
        percent_decimals=1,
    )
    coverage = {t.metric: t for t in rules.village_thresholds}["file_coverage"]
    assert not coverage.binding

    shown = as_office.get(f"/ratings/rule-sets/{draft.id}").get_data(as_text=True)
    assert "仅评定当年" in shown and "四舍五入到 0.1% 后比较" in shown
    assert "参考，不作为必备条件" in shown
    diff = as_office.get(f"/ratings/rule-sets/{draft.id}/diff").get_data(as_text=True)
    for before, after in (
        ("评定年度及以前最新一次（不限年限）", "仅评定当年"),
        ("按劳动能力（全劳动力、半劳动力各计 1 人）", "按劳动年龄（16–59 周岁）"),
        ("除以建档农户数", "除以户籍户数（未建档户按 0 计）"),
        ("信用户数 ÷ 建档农户数", "信用户数 ÷ 户籍户数"),
        ("仅计农户贷款", "计入经营主体贷款"),
        ("按精确值比较", "四舍五入到 0.1% 后比较"),
        ("≥ 90%", "≥ 90%（参考指标，不作为必备条件）"),
    ):
        assert before in diff and after in diff, (before, after)


@pytest.mark.parametrize(
    ("label", "value", "message"),
    [
        ("村评议取近几年内最新一次（年）", "2.5", "请填写 0 或正整数"),
        ("劳动力人数的口径", "guess", "劳动力人数的口径「guess」无法识别"),
        ("户均（与本村户均比）的分母", "guess", "户均的分母「guess」无法识别"),
        ("信用户占比的分母", "guess", "信用户占比的分母「guess」无法识别"),
        ("新增不良贷款的统计期", "guess", "新增不良贷款的统计期「guess」无法识别"),
        ("百分比与达标条件比较时", "9", "百分比比较方式「9」无法识别"),
    ],
)
def test_a_reading_that_cannot_be_used_is_refused_in_chinese(
    as_office, users, label, value, message
):
    draft = a_draft(users)
    payload = form_payload(draft)
    payload[field_for(draft, label)] = value
    page = as_office.post(f"/ratings/rule-sets/{draft.id}/edit", data=payload)
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    db.session.refresh(draft)
    assert rules_of(draft).readings == Readings()


def test_every_run_page_says_which_readings_it_used(client, users, cipher):
    rf.small_county(cipher, users["cadre"])
    rules = read(average_includes_gated=False, percent_decimals=1)
    rule_set = rf.rule_set_row(users["office"], **rules.to_dict())
    db.session.commit()
    run = rf.finished_run(users["office"], rule_set)
    login(client, "office_county")
    page = client.get(f"/ratings/runs/{run.id}").get_data(as_text=True)
    assert "本次评定采用的口径" in page
    assert "被否决农户计入户均" in page and "不计入" in page
    assert "四舍五入到 0.1% 后比较" in page
    assert "恰好一半即达标" in page
    workbook = client.get(f"/ratings/runs/{run.id}/results.xlsx").get_data()
    info = [tuple(row) for row in load_workbook(io.BytesIO(workbook))["说明"].values]
    assert ("评定口径", "被否决农户计入户均：不计入") in info
    assert ("评定口径", "百分比比较：四舍五入到 0.1% 后比较") in info


def test_a_rule_set_stored_before_readings_existed_reads_as_todays_behaviour():
    body = default_rule_set().to_dict()
    del body["readings"]
    for threshold in body["village_thresholds"]:
        del threshold["binding"]
    rules = RatingRules.from_dict(body)
    assert rules == default_rule_set() and rules.readings == Readings()
    assert rules.comparisons(TOWNSHIP)["credit_village_share"].decimals is None


def test_the_run_and_the_dashboard_show_the_share_over_registered_households(client, users, cipher):
    rf.small_county(cipher, users["cadre"])
    db.session.get(Region, f.VILLAGE_A).registered_households = 4
    rule_set = rf.rule_set_row(users["office"], **read(credit_share_over=OVER_REGISTERED).to_dict())
    db.session.commit()
    run = rf.finished_run(users["office"], rule_set)
    # 杨家村: 杨建国 a credit household, 赵小满 not (52.22); 1 of 2 files, but of 4 registered
    # households 25 %.
    login(client, "office_county")
    page = client.get(f"/ratings/runs/{run.id}").get_data(as_text=True)
    assert "信用户占比 25.0%，低于 70%" in page
    dashboard = client.get(f"/ratings/dashboard?run={run.id}").get_data(as_text=True)
    # 70 % of 4 is 2.8: two more credit households.
    assert "还需 2 户评为信用户（信用户占比 25.0%，需达 70%）" in dashboard
    assert '<td data-label="信用户占比">25.0%</td>' in dashboard
