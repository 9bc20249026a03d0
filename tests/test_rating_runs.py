"""A credit office runs a rating for its county or a township: every household and entity is
scored from its file and the departmental data as of a date, villages and townships are rated
with the reason for each threshold missed, the run can be repeated to the same result, one
subject can be re-rated after a correction, and everyone sees only their part of it."""

import io
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from agri_credit.rating_cycle.runs.services import RunRefused, rerate_result, start_run
from agri_credit.ratings import engine
from agri_credit.ratings.default_rules import default_rule_set
from models import (
    AuditEvent,
    CreditRepair,
    LoanStatus,
    PublicRecord,
    PublicRecordKind,
    RatingResult,
    RatingRun,
    Region,
    RegionRating,
    RepairStatus,
    RerateCause,
    RuleSetStatus,
    RunStatus,
    Source,
    db,
)
from tests import departmental_factories as d
from tests import factories as f
from tests import rating_factories as rf
from tests.conftest import login

AS_OF = rf.AS_OF
RULES = default_rule_set()


@pytest.fixture
def county(users, cipher):
    built = rf.small_county(cipher, users["cadre"])
    db.session.commit()
    return built.households


@pytest.fixture
def rule_set(users):
    rule_set = rf.rule_set_row(users["office"])
    db.session.commit()
    return rule_set


@pytest.fixture
def loans(users, county):
    """Bank data for the county: a normal loan each for 杨建国, 李守田 and 何长青."""
    batch = d.make_batch(Source.BANK_LOAN, users["office"])
    for name in ("yang", "li", "he"):
        d.loan(d.key_for_household(county[name]), batch, contract_no=f"JK-{name}")
    db.session.commit()
    return batch


def run_county(users, rule_set, as_of: date = AS_OF) -> RatingRun:
    return start_run(f.COUNTY, rf.YEAR, as_of, rule_set, users["office"])


def results_by_household(run: RatingRun) -> dict[int, RatingResult]:
    return {
        r.household_id: r
        for r in db.session.scalars(
            select(RatingResult).where(
                RatingResult.run_id == run.id, RatingResult.household_id.is_not(None)
            )
        )
    }


def region(run: RatingRun, code: str) -> RegionRating:
    return db.session.scalar(
        select(RegionRating).where(RegionRating.run_id == run.id, RegionRating.region_code == code)
    )


# ---- scoring ---------------------------------------------------------------------------------


def test_each_household_is_scored_on_the_sheet_with_its_breakdown(users, county, rule_set):
    run = run_county(users, rule_set)
    results = results_by_household(run)
    yang = results[county["yang"].id]
    # Two people, both able to work; assets 1.5 x and net income 1.0 x the 杨家村 average;
    # 村评议 优秀; no bank data yet, so 还款记录 is left out and 78 of 90 points scale to 86.67.
    assert yang.breakdown == {
        "household_size": 4.0,
        "labour_count": 6.0,
        "total_assets": 13.0,
        "net_assets": 13.0,
        "coop_shares": 0.0,
        "net_income": 12.0,
        "evaluation": 30.0,
        "repayment": None,
    }
    assert (float(yang.score), yang.grade) == (86.67, "AAA")
    zhao = results[county["zhao"].id]
    assert (float(zhao.score), zhao.grade) == (52.22, None)  # below 60: not a 信用户
    assert yang.village_code == f.VILLAGE_A and yang.status == "proposed"


def test_the_run_scores_what_the_engine_scores_from_the_files(users, county, rule_set):
    run = run_county(users, rule_set)
    # What the files hold, written out by hand: 2 people and 2 workers each, net income
    # 50,000 - 25,000, no loan or public-record data in the county yet.
    rows = [
        (county["yang"].id, f.VILLAGE_A, 150_000, "优秀"),
        (county["zhao"].id, f.VILLAGE_A, 50_000, "一般"),
        (county["li"].id, f.VILLAGE_B, 150_000, "优秀"),
        (county["sun"].id, f.VILLAGE_B, 150_000, "较好"),
        (county["he"].id, f.VILLAGE_C, 150_000, "优秀"),
    ]
    frame = pd.DataFrame(
        {
            "household_id": [r[0] for r in rows],
            "village_code": [r[1] for r in rows],
            "household_size": 2.0,
            "labour_count": 2.0,
            "total_assets": [float(r[2]) for r in rows],
            "total_liabilities": 0.0,
            "coop_shares": 0.0,
            "net_income": 25_000.0,
            "evaluation_overall": [r[3] for r in rows],
            "worst_days_overdue": np.nan,
            "max_days_overdue_unpaid": np.nan,
            "is_dishonest": np.nan,
            "disqualifying_negative_count": 0.0,
        }
    )
    expected = engine.score_households(frame, RULES, AS_OF).set_index("household_id")
    for household_id, result in results_by_household(run).items():
        assert float(result.score) == expected.loc[household_id, "total_score"]
        grade = expected.loc[household_id, "grade"]
        assert result.grade == (None if pd.isna(grade) else grade)


def test_villages_townships_and_the_county_are_rated_with_reasons(users, county, rule_set, loans):
    run = run_county(users, rule_set)
    yang_village = region(run, f.VILLAGE_A)
    assert not yang_village.passed
    assert yang_village.reasons == ["信用户占比 50.0%，低于 70%"]
    assert yang_village.metrics["credit_household_share"] == 50.0
    assert yang_village.metrics["file_coverage"] == 100.0
    west = region(run, f.VILLAGE_B)
    assert west.passed and west.reasons == []
    assert west.metrics["borrowers_not_overdue_share"] == 100.0
    assert west.metrics["npl_ratio"] == 0.0
    township = region(run, f.TOWNSHIP_A)
    assert township.level == "township" and township.passed  # 1 of 2 villages: 50 %
    assert township.metrics["credit_village_share"] == 50.0
    county_rating = region(run, f.COUNTY)
    assert county_rating.level == "county" and county_rating.passed  # 2 of 3 villages
    assert run.summary["regions"]["village"] == {"total": 3, "passed": 2}
    assert run.summary["household"]["credit"] == 4


def test_without_bank_data_the_run_says_so_instead_of_scoring_zero(users, county, rule_set):
    run = run_county(users, rule_set)
    assert run.summary["sources"] == {"loans": False, "public_records": False}
    assert any("尚无银行贷款数据" in note for note in run.summary["notes"])
    west = region(run, f.VILLAGE_B)
    assert not west.passed
    assert "无逾期借款户占比：无贷款数据，无法评定" in west.reasons


def test_with_bank_data_a_household_without_loans_has_a_clean_record(
    users, county, rule_set, loans
):
    run = run_county(users, rule_set)
    sun = results_by_household(run)[county["sun"].id]  # no loan in the bank's data
    assert sun.breakdown["repayment"] == 10.0
    assert (float(sun.score), sun.grade) == (79.0, "AA")


def test_entities_are_scored_on_their_own_sheet(users, county, rule_set, cipher):
    entity = f.make_entity(cipher, users["cadre"])
    db.session.commit()
    run = run_county(users, rule_set)
    result = db.session.scalar(select(RatingResult).where(RatingResult.entity_id == entity.id))
    cooperative = RULES.entity_indicators("cooperative")
    assert list(result.breakdown) == [i.key for i in cooperative]
    assert result.grade is not None and result.village_code == f.VILLAGE_A
    # 信用村 counts households: the co-op does not change 杨家村's 信用户占比.
    assert region(run, f.VILLAGE_A).metrics["households"] == 2
    assert run.summary["entity"]["total"] == 1


# ---- gates and records -----------------------------------------------------------------------


def test_a_dishonest_listing_disqualifies_whatever_the_score(users, county, rule_set):
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    d.public_record(
        d.key_for_household(county["li"]),
        batch,
        PublicRecordKind.DISHONEST,
        "被列为失信被执行人",
        date(2025, 3, 1),
    )
    db.session.commit()
    li = results_by_household(run_county(users, rule_set))[county["li"].id]
    assert li.grade is None
    assert "被列为失信被执行人" in li.gate_reasons
    assert float(li.score) > 80  # the score stands; the gate withholds the grade


def test_a_loan_overdue_90_days_and_unpaid_disqualifies(users, county, rule_set, loans):
    d.loan(
        d.key_for_household(county["sun"]),
        loans,
        contract_no="JK-late",
        status=LoanStatus.SUBSTANDARD,
        days_overdue=120,
    )
    d.loan(
        d.key_for_household(county["li"]),
        loans,
        contract_no="JK-late-repaid",
        days_overdue=120,
        repaid_on=date(2025, 9, 1),
    )
    db.session.commit()
    results = results_by_household(run_county(users, rule_set))
    assert results[county["sun"].id].grade is None
    assert results[county["sun"].id].gate_reasons == "有逾期90天以上未还的贷款"
    li = results[county["li"].id]  # repaid: no gate, but the repayment record shows it
    assert li.gate_reasons == "" and li.breakdown["repayment"] == 0.0


def _penalty(users, county):
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    key = d.key_for_household(county["li"])
    return key, d.public_record(
        key,
        batch,
        PublicRecordKind.PENALTY,
        "违规焚烧秸秆",
        date(2024, 5, 10),
        document_no="富罚1号",
    )


def _repair(users, key, status: RepairStatus, decided_at: datetime | None) -> CreditRepair:
    repair = CreditRepair(
        subject_key_id=key.id,
        record_kind="penalty",
        document_no="富罚1号",
        record_title="违规焚烧秸秆",
        commitment="本人承诺今后遵守秸秆禁烧规定",
        applied_by_id=users["office"].id,
        decide_by=date(2025, 11, 15),
        status=status,
        decided_by_id=users["office"].id if decided_at else None,
        decided_at=decided_at,
    )
    db.session.add(repair)
    db.session.commit()
    return repair


def test_an_approved_credit_repair_takes_the_record_out_of_the_rating(users, county, rule_set):
    key, _ = _penalty(users, county)
    _repair(users, key, RepairStatus.PENDING, None)
    gated = results_by_household(run_county(users, rule_set))[county["li"].id]
    assert gated.gate_reasons == "近5年内有取消评定资格的不良记录"
    repair = db.session.scalar(select(CreditRepair))
    repair.status = RepairStatus.APPROVED
    repair.decided_at = datetime(2025, 11, 10, 15, 0)
    db.session.commit()
    repaired = results_by_household(run_county(users, rule_set))[county["li"].id]
    assert repaired.gate_reasons == "" and repaired.grade == "AAA"


def test_a_repair_decided_after_the_data_date_does_not_count_in_that_run(users, county, rule_set):
    key, _ = _penalty(users, county)
    _repair(users, key, RepairStatus.APPROVED, datetime(2026, 1, 20, 9, 0))
    li = results_by_household(run_county(users, rule_set))[county["li"].id]
    assert li.grade is None


def test_records_dated_after_the_data_date_are_ignored(users, county, rule_set, loans):
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    d.public_record(
        d.key_for_household(county["he"]),
        batch,
        PublicRecordKind.DISHONEST,
        "被列为失信被执行人",
        date(2026, 1, 15),
    )
    d.loan(
        d.key_for_household(county["yang"]),
        loans,
        contract_no="JK-2026",
        status=LoanStatus.DOUBTFUL,
        days_overdue=200,
        start_on=date(2026, 1, 5),
    )
    db.session.commit()
    results = results_by_household(run_county(users, rule_set))
    assert results[county["he"].id].grade == "AAA"
    assert results[county["yang"].id].gate_reasons == ""


def test_a_negative_record_past_the_five_year_rule_no_longer_counts(users, county, rule_set):
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    key = d.key_for_household(county["he"])
    d.public_record(
        key, batch, PublicRecordKind.PENALTY, "违规用地", date(2020, 6, 1), date(2020, 12, 1)
    )
    d.public_record(
        key, batch, PublicRecordKind.PENALTY, "违规用地", date(2021, 6, 1), date(2021, 6, 30)
    )
    db.session.commit()
    he = results_by_household(run_county(users, rule_set))[county["he"].id]
    assert he.gate_reasons == "近5年内有取消评定资格的不良记录"  # the 2021 one, not the 2020 one
    recent = select(PublicRecord).where(PublicRecord.decided_on == date(2021, 6, 1))
    db.session.delete(db.session.scalar(recent))
    db.session.commit()
    he = results_by_household(run_county(users, rule_set))[county["he"].id]
    assert he.gate_reasons == "" and he.grade == "AAA"


def test_a_negative_record_in_the_file_counts_like_a_public_one(users, county, rule_set, cipher):
    household = rf.rated_household(
        cipher,
        users["cadre"],
        head_name="钱多福",
        records=[
            {
                "polarity": "negative",
                "category": "行政处罚",
                "description": "违规焚烧秸秆",
                "occurred_on": date(2024, 10, 1),
                "ended_on": None,
                "source": "镇政府",
            }
        ],
    )
    db.session.commit()
    result = results_by_household(run_county(users, rule_set))[household.id]
    assert result.gate_reasons == "近5年内有取消评定资格的不良记录"


# ---- reproducible runs -----------------------------------------------------------------------


def test_the_same_data_gives_the_same_digest_and_results(users, county, rule_set, loans):
    first = run_county(users, rule_set)
    second = run_county(users, rule_set)

    def snapshot(run):
        return {
            hid: (r.score, r.grade, r.breakdown, r.gate_reasons, r.missing)
            for hid, r in results_by_household(run).items()
        }

    assert second.input_digest == first.input_digest and len(first.input_digest) == 64
    assert snapshot(second) == snapshot(first)
    db.session.refresh(first)
    assert first.status == RunStatus.SUPERSEDED and second.status == RunStatus.PROPOSED
    county["zhao"].evaluations[0].overall = "较好"
    db.session.commit()
    assert run_county(users, rule_set).input_digest != first.input_digest


def test_a_run_is_written_whole_or_not_at_all(users, county, rule_set, monkeypatch):
    from agri_credit.rating_cycle.runs import services as runs

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runs, "region_rows", broken)
    with pytest.raises(RuntimeError):
        run_county(users, rule_set)
    assert db.session.scalar(select(func.count()).select_from(RatingRun)) == 0
    assert db.session.scalar(select(func.count()).select_from(RatingResult)) == 0


def test_rerating_one_household_updates_it_and_its_village(users, county, rule_set, loans):
    run = run_county(users, rule_set)
    zhao = results_by_household(run)[county["zhao"].id]
    yang_before = results_by_household(run)[county["yang"].id].score
    assert zhao.grade is None and not region(run, f.VILLAGE_A).passed
    # The objection is upheld: the 村评议 was recorded wrongly.
    evaluation = county["zhao"].evaluations[0]
    evaluation.overall = "优秀"
    db.session.commit()

    rerate_result(zhao, users["office"], cause=RerateCause.OBJECTION, repairs_until=AS_OF)
    db.session.commit()
    assert (float(zhao.score), zhao.grade) == (72.0, "AA")
    assert zhao.breakdown["evaluation"] == 30.0
    assert results_by_household(run)[county["yang"].id].score == yang_before
    village = region(run, f.VILLAGE_A)
    assert village.passed and village.reasons == []
    assert village.metrics["credit_household_share"] == 100.0
    assert region(run, f.TOWNSHIP_A).metrics["credit_village_share"] == 100.0
    db.session.refresh(run)
    assert run.summary["household"]["credit"] == 5
    assert run.summary["regions"]["village"]["passed"] == 3
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rating.rerate"))


def test_rerating_applies_a_credit_repair_approved_since_the_run(users, county, rule_set):
    key, _ = _penalty(users, county)
    run = run_county(users, rule_set)
    li = results_by_household(run)[county["li"].id]
    assert li.grade is None
    _repair(users, key, RepairStatus.APPROVED, datetime(2026, 2, 1, 10, 0))
    rerate_result(li, users["office"], cause=RerateCause.REPAIR, repairs_until=date(2026, 2, 1))
    assert li.grade == "AAA" and li.gate_reasons == ""


# ---- refusals and scope ----------------------------------------------------------------------


def test_a_draft_rule_set_is_refused(users, county):
    draft = rf.rule_set_row(users["office"], status=RuleSetStatus.DRAFT)
    db.session.commit()
    with pytest.raises(RunRefused, match="尚未发布，不能用于评定"):
        run_county(users, draft)
    assert db.session.scalar(select(func.count()).select_from(RatingRun)) == 0


def test_a_township_office_rates_its_township_only(users, county, rule_set):
    with pytest.raises(RunRefused, match="无权"):
        start_run(f.COUNTY, rf.YEAR, AS_OF, rule_set, users["township"])
    run = start_run(f.TOWNSHIP_A, rf.YEAR, AS_OF, rule_set, users["township"])
    villages = {r.village_code for r in results_by_household(run).values()}
    assert villages == {f.VILLAGE_A, f.VILLAGE_B}
    levels = db.session.scalars(select(RegionRating.level).where(RegionRating.run_id == run.id))
    assert sorted(levels) == ["township", "village", "village"]


def test_a_rule_set_made_for_another_township_is_refused(users, county):
    other = rf.rule_set_row(users["office"], scope_code=f.TOWNSHIP_B)
    db.session.commit()
    with pytest.raises(RunRefused, match="不适用于庄里镇"):
        start_run(f.TOWNSHIP_A, rf.YEAR, AS_OF, other, users["office"])


def test_a_county_run_supersedes_the_townships_runs_of_the_year(users, county, rule_set):
    township_run = start_run(f.TOWNSHIP_A, rf.YEAR, AS_OF, rule_set, users["township"])
    other_year = start_run(f.TOWNSHIP_A, rf.YEAR - 1, AS_OF, rule_set, users["township"])
    run_county(users, rule_set)
    db.session.refresh(township_run)
    db.session.refresh(other_year)
    assert township_run.status == RunStatus.SUPERSEDED
    assert other_year.status == RunStatus.PROPOSED


# ---- pages -----------------------------------------------------------------------------------


def test_office_starts_a_run_from_the_form(client, users, county, rule_set):
    login(client, "office_county")
    form = client.get("/ratings/runs/new").get_data(as_text=True)
    assert "开始信用评定" in form
    assert "富平县" in form and "庄里镇" in form and "张桥镇" in form
    assert "富平县农户信用评定办法（第1版）" in form
    response = client.post(
        "/ratings/runs/new",
        data={
            "region": f.COUNTY,
            "year": rf.YEAR,
            "as_of": AS_OF.isoformat(),
            "rule_set": rule_set.id,
        },
    )
    run = db.session.scalar(select(RatingRun))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/ratings/runs/{run.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "富平县 2025 年度信用评定" in page
    assert "信用户占比 50.0%，低于 70%" in page
    assert "杨家村" in page and "河湾村" in page and "庄里镇" in page
    assert "尚无银行贷款数据" in page
    listing = client.get("/ratings/runs/").get_data(as_text=True)
    assert "富平县农户信用评定办法" in listing and "县信用办" in listing and "待审定" in listing


def test_the_form_refuses_a_future_data_date_and_offers_no_drafts(client, users, county):
    rf.rule_set_row(users["office"], status=RuleSetStatus.DRAFT, name="草稿办法")
    db.session.commit()
    login(client, "office_county")
    assert "草稿办法" not in client.get("/ratings/runs/new").get_data(as_text=True)
    published = rf.rule_set_row(users["office"])
    db.session.commit()
    page = client.post(
        "/ratings/runs/new",
        data={"region": f.COUNTY, "year": 2025, "as_of": "2999-01-01", "rule_set": published.id},
    ).get_data(as_text=True)
    assert "数据截止日期不能晚于今天" in page
    assert db.session.scalar(select(func.count()).select_from(RatingRun)) == 0


def test_village_results_filter_sort_and_break_down(client, users, county, rule_set):
    run = run_county(users, rule_set)
    login(client, "office_county")
    url = f"/ratings/runs/{run.id}/villages/{f.VILLAGE_A}"
    page = client.get(url).get_data(as_text=True)
    assert "杨建国" in page and "赵小满" in page and "86.67" in page
    assert page.index("杨建国") < page.index("赵小满")  # best score first
    assert "赵小满" not in client.get(url + "?grade=AAA").get_data(as_text=True)
    low_first = client.get(url + "?sort=score").get_data(as_text=True)
    assert low_first.index("赵小满") < low_first.index("杨建国")
    assert "杨建国" not in client.get(url + "?grade=none").get_data(as_text=True)
    assert f"/ratings/publication/{run.id}/{f.VILLAGE_A}" in page  # on to 公示 and objections

    yang = results_by_household(run)[county["yang"].id]
    detail = client.get(f"/ratings/results/{yang.id}").get_data(as_text=True)
    assert "得分明细" in detail and "村评议品行" in detail
    assert "未计入（本次评定无此项数据）" in detail  # 还款记录 without bank data
    assert "echarts.min.js" in detail
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rating_result.view"))


def test_rerun_button_runs_again_with_the_same_parameters(client, users, county, rule_set):
    run = run_county(users, rule_set)
    login(client, "office_county")
    page = client.get(f"/ratings/runs/{run.id}").get_data(as_text=True)
    assert f"/ratings/runs/{run.id}/rerun" in page and "重新评定" in page
    response = client.post(f"/ratings/runs/{run.id}/rerun", follow_redirects=True)
    assert "数据与上次相同，结果一致" in response.get_data(as_text=True)
    newest = db.session.scalar(select(RatingRun).order_by(RatingRun.id.desc()))
    assert newest.id != run.id and newest.as_of == run.as_of
    assert newest.rule_set_id == run.rule_set_id and newest.input_digest == run.input_digest
    db.session.refresh(run)
    assert run.status == RunStatus.SUPERSEDED


def test_a_township_office_sees_its_part_of_a_county_run(client, users, county, rule_set):
    run = run_county(users, rule_set)
    login(client, "office_town")
    assert f"/ratings/runs/{run.id}" in client.get("/ratings/runs/").get_data(as_text=True)
    page = client.get(f"/ratings/runs/{run.id}").get_data(as_text=True)
    assert "杨家村" in page and "西坡村" in page
    assert "河湾村" not in page and "张桥镇" not in page
    assert f"/ratings/runs/{run.id}/rerun" not in page  # no 重新评定 button
    assert client.get(f"/ratings/runs/{run.id}/villages/{f.VILLAGE_C}").status_code == 404
    he = results_by_household(run)[county["he"].id]
    assert client.get(f"/ratings/results/{he.id}").status_code == 404
    assert client.post(f"/ratings/runs/{run.id}/rerun").status_code == 403
    form = client.get("/ratings/runs/new").get_data(as_text=True)
    assert f'value="{f.TOWNSHIP_A}"' in form
    assert f'value="{f.COUNTY}"' not in form and f'value="{f.TOWNSHIP_B}"' not in form


def test_a_cadre_sees_only_her_villages_results(client, users, county, rule_set):
    run = run_county(users, rule_set)
    login(client, "cadre_a")
    page = client.get(f"/ratings/runs/{run.id}").get_data(as_text=True)
    assert "杨家村" in page and "西坡村" not in page
    assert client.get(f"/ratings/runs/{run.id}/villages/{f.VILLAGE_A}").status_code == 200
    assert client.get(f"/ratings/runs/{run.id}/villages/{f.VILLAGE_B}").status_code == 404
    li = results_by_household(run)[county["li"].id]
    assert client.get(f"/ratings/results/{li.id}").status_code == 404
    assert client.get("/ratings/runs/new").status_code == 403
    assert client.post(f"/ratings/runs/{run.id}/rerun").status_code == 403


@pytest.mark.parametrize("username", ["officer", "applicant"])
def test_banks_and_applicants_have_no_run_pages(client, users, county, rule_set, username):
    run = run_county(users, rule_set)
    login(client, username)
    assert client.get("/ratings/runs/").status_code == 403
    assert client.get(f"/ratings/runs/{run.id}").status_code == 403


def test_a_village_just_below_a_threshold_is_shown_below_it_everywhere(client, users, county):
    """2 files of 3 registered households is 66.667 %: one decimal would read 66.7 % beside
    "建档率低于 66.7 %"; the pages and the export show 66.67 % instead."""
    thresholds = [{"metric": "file_coverage", "op": ">=", "value": 66.7}]
    rule_set = rf.rule_set_row(users["office"], village_thresholds=thresholds)
    db.session.get(Region, f.VILLAGE_A).registered_households = 3
    db.session.commit()
    run = run_county(users, rule_set)
    assert region(run, f.VILLAGE_A).reasons == ["建档率 66.67%，低于 66.7%"]

    login(client, "office_county")
    shown = {
        f"/ratings/runs/{run.id}": '<td data-label="建档率">66.67%</td>',
        f"/ratings/runs/{run.id}/villages/{f.VILLAGE_A}": "建档率：66.67%",
    }
    for url, figure in shown.items():
        page = client.get(url).get_data(as_text=True)
        assert figure in page and "建档率 66.67%，低于 66.7%" in page, url

    response = client.get(f"/ratings/runs/{run.id}/results.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["信用村"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    column = rows[0].index("建档率（%）")
    yang = next(r for r in rows if r[1] == "杨家村")
    assert yang[column] == 66.67 and yang[rows[0].index("信用村")] == "未达标"
