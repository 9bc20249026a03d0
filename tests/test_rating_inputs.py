"""What a rating run's inputs measure (issue 13 points 1, 2 and 5), on a small county whose
right answers are worked out by hand below:

* the repayment record is the longest a loan was overdue in the look-back period, repaid or
  not, from its due and repayment dates and from every version the bank's ledger reported;
* a ledger older than the run's date is brought forward to it, "new NPL" is dated from the
  ledger's own date, and the run names each source's date;
* a value missing from a file is scored as the rule set says, per indicator (缺失 by default,
  never silently zero), and the run counts the subjects each reading touched.

The county (tests/rating_factories.small_county): households of two people who both work,
assets 150,000 (赵小满 50,000), income 50,000, spending 25,000; 杨建国 and 赵小满 in 杨家村, 李守田
and 孙有余 in 西坡村, 何长青 alone in 河湾村. On the default sheet a household of two scores 4
(家庭人口) + 6 (劳动力); at the village average 11 (总资产) + 11 (净资产) + 12 (纯收入); at 1.5 x
it 13 / 13 / 14; 村评议 优秀 30, 较好 25, 一般 15; 还款记录 10 never overdue, 6 for 1-29 days,
3 for 30-89, 0 for 90+; without any loan data 还款记录 is left out and 90 points scale to 100.
"""

import io
from dataclasses import replace
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from agri_credit.rating_cycle.rulesets.services import copy_as_new_version, ensure_default_rule_set
from agri_credit.rating_cycle.runs.services import start_run
from agri_credit.ratings.default_rules import default_rule_set
from agri_credit.ratings.rules import MISSING_AS_LOWEST, MISSING_AS_ZERO, RatingRules
from models import LoanStatus, RatingResult, RatingRun, RegionRating, Source, db
from tests import departmental_factories as d
from tests import factories as f
from tests import rating_factories as rf
from tests.conftest import login
from tests.test_rule_sets import field_for, form_payload

AS_OF = rf.AS_OF  # 2025-12-31
LEDGER_DATE = date(2025, 11, 30)


@pytest.fixture
def county(users, cipher):
    built = rf.small_county(cipher, users["cadre"])
    db.session.commit()
    return built.households


def run_with(users, rules: RatingRules | None = None, as_of: date = AS_OF) -> RatingRun:
    body = (rules or default_rule_set()).to_dict()
    rule_set = rf.rule_set_row(users["office"], **body)
    db.session.commit()
    return start_run(f.COUNTY, rf.YEAR, as_of, rule_set, users["office"])


def by_household(run: RatingRun) -> dict[int, RatingResult]:
    rows = db.session.scalars(
        select(RatingResult).where(
            RatingResult.run_id == run.id, RatingResult.household_id.is_not(None)
        )
    )
    return {r.household_id: r for r in rows}


def village(run: RatingRun, code: str) -> RegionRating:
    return db.session.scalar(
        select(RegionRating).where(RegionRating.run_id == run.id, RegionRating.region_code == code)
    )


def score(result: RatingResult) -> tuple[float, str | None]:
    return float(result.score), result.grade


def clean_loan(household, batch, name: str):
    """A loan not yet due, never late, stated as of the ledger's date."""
    row = d.loan(d.key_for_household(household), batch, contract_no=f"JK-{name}")
    row.as_of = LEDGER_DATE
    return row


# ---- 1. late repayment of a loan already repaid ---------------------------------------------


def test_a_loan_repaid_late_counts_however_the_ledger_reads_now(client, users, county):
    first = d.make_batch(Source.BANK_LOAN, users["office"])
    later = d.make_batch(Source.BANK_LOAN, users["office"])
    # 李守田: due 2025-03-01, repaid 2025-06-19, 110 days late. The April ledger said 45 days
    # overdue; the June ledger says settled, 0 days overdue.
    li = d.loan(
        d.key_for_household(county["li"]),
        first,
        contract_no="JK-li",
        status=LoanStatus.SPECIAL_MENTION,
        days_overdue=45,
        start_on=date(2024, 3, 1),
        due_on=date(2025, 3, 1),
    )
    li.as_of = date(2025, 4, 15)
    d.supersede(
        li,
        later,
        status=LoanStatus.NORMAL.value,
        days_overdue=0,
        balance=0,
        repaid_on=date(2025, 6, 19),
        as_of=date(2025, 6, 30),
    )
    # 杨建国: repaid before it was due, but an instalment ran 20 days late (the ledger of May
    # said so); only the versions can tell.
    yang = d.loan(
        d.key_for_household(county["yang"]),
        first,
        contract_no="JK-yang",
        status=LoanStatus.SPECIAL_MENTION,
        days_overdue=20,
        due_on=date(2025, 10, 1),
    )
    yang.as_of = date(2025, 5, 31)
    d.supersede(
        yang,
        later,
        status=LoanStatus.NORMAL.value,
        days_overdue=0,
        balance=0,
        repaid_on=date(2025, 9, 20),
        as_of=date(2025, 9, 30),
    )
    clean_loan(county["sun"], first, "sun")
    db.session.commit()

    results = by_household(run_with(users))
    # 李守田 4 + 6 + 11 + 11 + 0 + 12 + 30 = 74 and 0 for 110 days late: AA, not 84 (AAA).
    assert score(results[county["li"].id]) == (74.0, "AA")
    assert results[county["li"].id].breakdown["repayment"] == 0.0
    assert results[county["li"].id].gate_reasons == ""  # repaid: late, but nothing unpaid
    # 杨建国 4 + 6 + 13 (1.5 x) + 13 + 0 + 12 + 30 = 78, and 6 for 20 days late: 84.
    assert score(results[county["yang"].id]) == (84.0, "AAA")
    assert results[county["yang"].id].breakdown["repayment"] == 6.0
    # 孙有余, never late: 4 + 6 + 11 + 11 + 0 + 12 + 25 + 10 = 79.
    assert score(results[county["sun"].id]) == (79.0, "AA")

    login(client, "office_county")
    page = client.get(f"/ratings/results/{results[county['li'].id].id}").get_data(as_text=True)
    assert "还款记录" in page and '<div class="stat-number">74</div>' in page


# ---- 2. a ledger older than the run's date ----------------------------------------------------


def test_an_older_ledger_is_brought_forward_to_the_run_date(client, users, county):
    batch = d.make_batch(Source.BANK_LOAN, users["office"])
    # 孙有余, as of 2025-11-30: 75 days overdue and unpaid; by 2025-12-31 it is 106 days.
    late = d.loan(
        d.key_for_household(county["sun"]),
        batch,
        contract_no="JK-sun",
        status=LoanStatus.SPECIAL_MENTION,
        days_overdue=75,
    )
    # 李守田, as of 2025-11-30: 450 days overdue, 损失, 20,000 outstanding. It turned bad 90
    # days in, on 2024-12-05: before the new-NPL window (2025-01-01 to 2025-12-31) opened.
    # Dated from the run's date instead (2025-12-31 - 360 days) it would look new.
    bad = d.loan(
        d.key_for_household(county["li"]),
        batch,
        contract_no="JK-li",
        status=LoanStatus.LOSS,
        days_overdue=450,
        due_on=date(2024, 9, 6),
    )
    # 何长青: due 2025-12-10, after the ledger's date; unpaid then, 21 days overdue by the run.
    due_between = d.loan(
        d.key_for_household(county["he"]),
        batch,
        contract_no="JK-he",
        due_on=date(2025, 12, 10),
    )
    clean = clean_loan(county["yang"], batch, "yang")
    for row in (late, bad, due_between, clean):
        row.as_of = LEDGER_DATE
    db.session.commit()

    run = run_with(users)
    results = by_household(run)
    assert results[county["sun"].id].grade is None
    assert results[county["sun"].id].gate_reasons == "有逾期90天以上未还的贷款"
    # 何长青 alone in 河湾村: 4 + 6 + 11 + 11 + 0 + 12 + 30 = 74, and 6 for 21 days: 80.
    he = results[county["he"].id]
    assert he.breakdown["repayment"] == 6.0 and score(he) == (80.0, "AAA")
    # 河湾村's only borrower is overdue on the run's date: 0 % not overdue, not 100 %.
    he_village = village(run, f.VILLAGE_C)
    assert he_village.metrics["borrowers_overdue"] == 1
    assert "无逾期借款户占比 0.0%，低于 85%" in he_village.reasons
    # 西坡村: 李守田's 20,000 is non-performing but not new; 孙有余's 106 days make it 次级
    # by the run's date although the ledger still said 关注: 40,000 NPL of 40,000, new 20,000.
    xipo = village(run, f.VILLAGE_B).metrics
    assert (xipo["loan_balance"], xipo["npl_balance"], xipo["new_npl_balance"]) == (
        40_000,
        40_000,
        20_000,
    )

    login(client, "office_county")
    page = client.get(f"/ratings/runs/{run.id}").get_data(as_text=True)
    assert "各来源数据日期" in page and "银行贷款" in page
    assert "2025-11-30" in page and "早于评定日期" in page
    assert "银行贷款数据截至2025-11-30，早于本次评定的数据日期2025-12-31" in page
    book = load_workbook(
        io.BytesIO(client.get(f"/ratings/runs/{run.id}/results.xlsx").get_data()),
        read_only=True,
    )
    info = [tuple(r) for r in book["说明"].iter_rows(values_only=True)]
    lines = [value for item, value in info if item == "各来源数据日期"]
    assert any(line.startswith("银行贷款：数据日期 2025-11-30，导入于 ") for line in lines)


def test_a_ledger_version_dated_after_the_run_is_not_read_into_it(users, county):
    first = d.make_batch(Source.BANK_LOAN, users["office"])
    later = d.make_batch(Source.BANK_LOAN, users["office"])
    row = clean_loan(county["li"], first, "li")
    row.due_on = date(2026, 6, 1)
    d.supersede(row, later, days_overdue=40, as_of=date(2026, 2, 28))
    clean_loan(county["sun"], first, "sun")
    db.session.commit()
    # As of 2025-12-31 the loan was never late: what a 2026 ledger says is not known then.
    li = by_household(run_with(users))[county["li"].id]
    assert li.breakdown["repayment"] == 10.0 and li.gate_reasons == ""


# ---- 5. missing data --------------------------------------------------------------------------


@pytest.fixture
def gaps(county):
    """赵小满 did not fill in her spending; 李守田's file lists no assets."""
    county["zhao"].annual_spending = None
    county["li"].assets.clear()
    county["li"].total_assets = 0
    db.session.commit()
    return county


def with_missing(choice: str, *keys: str) -> RatingRules:
    rules = default_rule_set()
    return replace(
        rules,
        household_indicators=tuple(
            replace(i, when_missing=choice) if i.key in keys else i
            for i in rules.household_indicators
        ),
    )


def test_by_default_missing_data_is_shown_as_missing_not_zero(client, users, gaps):
    run = run_with(users)
    results = by_household(run)
    # No loan data: 还款记录 left out, totals over 90 points scaled to 100.
    # 赵小满: 纯收入 缺失 (0), out of 杨家村's average; 4 + 6 + 5 (0.5 x) + 5 + 0 + 0 + 15 = 35.
    assert score(results[gaps["zhao"].id]) == (38.89, None)
    assert results[gaps["zhao"].id].missing == "家庭纯收入"
    # 杨建国 alone in the income average: 1.0 x, 12; 78 in all, as before 赵小满's gap.
    assert score(results[gaps["yang"].id]) == (86.67, "AAA")
    # 李守田: 总资产 and 净资产 缺失; 4 + 6 + 0 + 0 + 0 + 12 + 30 = 52.
    li = results[gaps["li"].id]
    assert score(li) == (57.78, None) and li.missing == "家庭总资产、家庭净资产"
    # 孙有余 alone in 西坡村's asset averages: 1.0 x, 11 + 11; 4 + 6 + 11 + 11 + 0 + 12 + 25 = 69.
    assert score(results[gaps["sun"].id]) == (76.67, "AA")

    counts = {(c["label"], c["when_missing"]): c["subjects"] for c in run.summary["missing_counts"]}
    assert counts == {
        ("家庭纯收入", "missing"): 1,
        ("家庭总资产", "missing"): 1,
        ("家庭净资产", "missing"): 1,
    }
    login(client, "office_county")
    page = client.get(f"/ratings/runs/{run.id}").get_data(as_text=True)
    assert "缺失数据的处理" in page and "记为缺失（0 分，不计入村均值）" in page
    detail = client.get(f"/ratings/results/{li.id}").get_data(as_text=True)
    assert "缺失" in detail and "按 0 分计" not in detail


def test_a_rule_set_may_count_missing_as_zero(users, gaps):
    run = run_with(users, with_missing(MISSING_AS_ZERO, "net_income", "total_assets", "net_assets"))
    results = by_household(run)
    # 赵小满's spending as 0: net income 50,000 against 杨建国's 25,000, average 37,500.
    # 赵小满 1.33 x: 12; 4 + 6 + 5 + 5 + 0 + 12 + 15 = 47. 杨建国 0.67 x: 6; 72.
    assert score(results[gaps["zhao"].id]) == (52.22, None)
    assert score(results[gaps["yang"].id]) == (80.0, "AAA")
    # 李守田's assets as 0: 西坡村's average 75,000; 李守田 0 x: 2 + 2; 4 + 6 + 2 + 2 + 12 + 30
    # = 56. 孙有余 2 x: 13 + 13; 73.
    assert score(results[gaps["li"].id]) == (62.22, "A")
    assert score(results[gaps["sun"].id]) == (81.11, "AAA")
    counts = {(c["key"], c["when_missing"]): c["subjects"] for c in run.summary["missing_counts"]}
    assert counts[("net_income", "zero")] == 1 and counts[("total_assets", "zero")] == 1


def test_a_rule_set_may_score_missing_as_the_lowest_band(users, gaps):
    run = run_with(users, with_missing(MISSING_AS_LOWEST, "total_assets", "net_assets"))
    results = by_household(run)
    # 李守田: lowest bands 2 (总资产) and 0 (净资产); 4 + 6 + 2 + 0 + 0 + 12 + 30 = 54: A.
    assert score(results[gaps["li"].id]) == (60.0, "A")
    # 孙有余 still alone in the averages: 76.67, as by default.
    assert score(results[gaps["sun"].id]) == (76.67, "AA")


def test_the_editor_offers_the_choice_and_the_diff_shows_it(as_office, users):
    draft = copy_as_new_version(ensure_default_rule_set(f.COUNTY), users["office"])
    db.session.commit()
    page = as_office.get(f"/ratings/rule-sets/{draft.id}/edit").get_data(as_text=True)
    assert "缺少该项数据时" in page and "按最低档计分（不计入村均值）" in page
    payload = form_payload(draft)
    payload[field_for(draft, "农户·家庭纯收入 缺失数据")] = MISSING_AS_ZERO
    response = as_office.post(f"/ratings/rule-sets/{draft.id}/edit", data=payload)
    assert response.status_code == 302, response.get_data(as_text=True)
    diff = as_office.get(f"/ratings/rule-sets/{draft.id}/diff").get_data(as_text=True)
    assert "家庭纯收入 缺失数据" in diff
    assert "记为缺失（0 分，不计入村均值）" in diff and "按 0 值计算（计入村均值）" in diff
    shown = as_office.get(f"/ratings/rule-sets/{draft.id}").get_data(as_text=True)
    assert "缺少数据时：按 0 值计算（计入村均值）" in shown


def test_an_unknown_choice_is_refused_in_chinese(as_office, users):
    draft = copy_as_new_version(ensure_default_rule_set(f.COUNTY), users["office"])
    db.session.commit()
    payload = form_payload(draft)
    payload[field_for(draft, "农户·家庭纯收入 缺失数据")] = "guess"
    page = as_office.post(f"/ratings/rule-sets/{draft.id}/edit", data=payload)
    assert page.status_code == 200
    assert "缺失数据处理方式「guess」无法识别" in page.get_data(as_text=True)
    db.session.refresh(draft)
    assert all(
        i.when_missing == "missing" for i in RatingRules.from_dict(draft.body).household_indicators
    )
