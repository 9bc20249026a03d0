"""Re-rating one subject of a run: after an objection is answered "corrected", after a credit
repair is approved, and after an office corrected the file. Each is scored as the run would
have scored it with only that subject's data changed (the run's village averages, 户籍户数
and loan figures), its score before kept in the result's history; and one event kept both in
the file and in the public credit records is one record, which a repair lifts.

The county is `rating_factories.small_county`, with a normal loan each for 杨建国, 李守田 and
何长青 (so every village has loan data and the repayment indicator counts), worked out by
hand on the default rule set (DOMAIN.md):

    杨家村 (VILLAGE_A): 杨建国 assets 150,000, 村评议 优秀; 赵小满 assets 50,000, 一般.
        Averages: assets and net assets 100,000, net income 25,000.
        赵小满: size 2 -> 4, labour 2 -> 6, assets 0.5x -> 5, net assets 0.5x -> 5,
        co-op 0, net income 1.0x -> 12, 一般 15, repayment (no loan) 10 = 57.00, no grade.
    西坡村 (VILLAGE_B): 李守田 优秀, 孙有余 较好, both assets 150,000 (1.0x -> 11 each).
        李守田: 4 + 6 + 11 + 11 + 0 + 12 + 30 + 10 = 84.00 (AAA unless gated).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from agri_credit.rating_cycle.objections import services as objections
from agri_credit.rating_cycle.publication import services as publication
from agri_credit.rating_cycle.repairs import services as repairs
from models import (
    AuditEvent,
    CreditRecord,
    Household,
    PublicRecordKind,
    RatingResult,
    RatingRun,
    Region,
    RegionRating,
    Rerating,
    Role,
    RunStatus,
    Source,
    clock,
    db,
)
from tests import departmental_factories as d
from tests import factories as f
from tests import publication_factories as pf
from tests import rating_factories as rf
from tests.conftest import csrf_token, login

PENALTY_DAY = date(2024, 5, 10)
PENALTY = {
    "polarity": "negative",
    "category": "行政处罚",
    "description": "违规焚烧秸秆",
    "occurred_on": PENALTY_DAY,
    "ended_on": None,
    "source": "县生态环境局",
}


@pytest.fixture
def county(users, cipher):
    built = rf.small_county(cipher, users["cadre"]).households
    batch = d.make_batch(Source.BANK_LOAN, users["office"])
    for name in ("yang", "li", "he"):
        d.loan(d.key_for_household(built[name]), batch, contract_no=f"JK-{name}")
    db.session.commit()
    return built


def result_of(run: RatingRun, household: Household) -> RatingResult:
    return db.session.scalar(
        select(RatingResult).where(
            RatingResult.run_id == run.id, RatingResult.household_id == household.id
        )
    )


def village(run: RatingRun, code: str) -> RegionRating:
    return db.session.scalar(
        select(RegionRating).where(RegionRating.run_id == run.id, RegionRating.region_code == code)
    )


def post_form(client, page_url: str, url: str, data: dict):
    """Post `data` to `url` with the CSRF token of the page the user acts on."""
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    assert token, "the page carries no form token"
    return client.post(url, data={**data, "csrf_token": token})


# ---- issue 13.4: the run's village, not today's ------------------------------------------------


def test_objection_rerates_against_the_village_the_run_saw(client, csrf_on, users, cipher, county):
    run = rf.finished_run(users["office"])
    zhao = result_of(run, county["zhao"])
    yang = result_of(run, county["yang"])
    assert (zhao.score, zhao.grade) == (Decimal("57.00"), None)
    assert not village(run, f.VILLAGE_A).passed  # 信用户 1 of 2: 50 % < 70 %
    yang_before = (yang.score, yang.grade, dict(yang.breakdown))

    # Since the run 杨家村 filed two households with nothing (assets, income 0) and now
    # counts 4 registered households. Today's averages would be assets 50,000 and net
    # income 12,500: 赵小满 at 1.0x and 2.0x would get 11 + 11 + 14 and 86.00 (AAA), and a
    # 建档率 of 2 / 4 would fail the village.
    for name in ("钱多多", "孙来福"):
        rf.rated_household(cipher, users["cadre"], head_name=name, assets=0, income=0, spending=0)
    db.session.get(Region, f.VILLAGE_A).registered_households = 4
    pf.publish(village(run, f.VILLAGE_A), users["cadre"], clock.today() - timedelta(days=1))
    objection = objections.raise_objection(
        zhao,
        raised_by_name="赵小满",
        contact="13900002222",
        reason="村评议结果登记有误",
        user=users["cadre"],
        today=clock.today(),
    )
    # The objection holds: the 村评议 was 优秀, not 一般.
    county["zhao"].evaluations[0].overall = "优秀"
    db.session.commit()

    login(client, "office_town")
    page = f"/ratings/objections/{objection.id}"
    response = post_form(
        client,
        page,
        page,
        {"outcome": "corrected", "answer": "村评议登记有误，已更正为优秀并重新评定。"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    # Against the run's averages: 4 + 6 + 5 + 5 + 0 + 12 + 30 + 10 = 72.00, AA.
    assert (zhao.score, zhao.grade) == (Decimal("72.00"), "AA")
    assert zhao.breakdown["total_assets"] == 5.0 and zhao.breakdown["net_income"] == 12.0
    assert (objection.score_before, objection.grade_before) == (Decimal("57.00"), None)
    # Nobody else moves; the village passes on the run's own 2 registered households.
    assert (yang.score, yang.grade, yang.breakdown) == yang_before
    rating = village(run, f.VILLAGE_A)
    assert rating.passed and rating.metrics["file_coverage"] == 100.0
    assert rating.metrics["credit_household_share"] == 100.0
    rerating = db.session.scalar(select(Rerating).where(Rerating.result_id == zhao.id))
    assert (rerating.cause, rerating.objection_id) == ("objection", objection.id)
    assert (rerating.score_before, rerating.score_after) == (Decimal("57.00"), Decimal("72.00"))
    history = client.get(f"/ratings/results/{zhao.id}").get_data(as_text=True)
    assert "重新评定记录" in history and "异议更正" in history and "原得分 57 " in history


def test_the_run_keeps_each_villages_averages(users, county):
    run = rf.finished_run(users["office"])
    means = village(run, f.VILLAGE_A).village_means
    assert means["household:total_assets"] == 100_000.0
    assert means["household:net_assets"] == 100_000.0
    assert means["household:net_income"] == 25_000.0
    assert village(run, f.VILLAGE_C).village_means["household:total_assets"] == 150_000.0
    assert run.summary["absent_indicators"]["household"] == []


# ---- issue 13.3 and 12.4: a repair lifts the gate, in every open run -------------------------


@pytest.fixture
def penalised(users, county):
    """李守田's 行政处罚 of 10 May 2024, kept both in his file (as the cadre copied it) and
    in the public credit records, where it can be repaired."""
    li = county["li"]
    db.session.add(_record(li))
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    record = d.public_record(
        d.key_for_household(li),
        batch,
        PublicRecordKind.PENALTY,
        "违规焚烧秸秆",
        PENALTY_DAY,
        document_no="富罚〔2024〕1号",
        severity="general",
    )
    db.session.commit()
    return record


def _record(household: Household) -> CreditRecord:
    return CreditRecord(household_id=household.id, **PENALTY)


def test_an_approved_repair_lifts_the_gate_in_every_open_run(
    client, csrf_on, users, county, penalised
):
    rule_set = rf.rule_set_row(users["office"])
    closed = rf.finished_run(users["office"], rule_set, year=2024, as_of=date(2024, 12, 31))
    closed.status = RunStatus.APPROVED
    db.session.commit()
    run = rf.finished_run(users["office"], rule_set)
    li = result_of(run, county["li"])
    # One event, gated once: the run counts the public record, not the file's copy too.
    assert (li.score, li.grade) == (Decimal("84.00"), None)
    assert li.gate_reasons == "近5年内有取消评定资格的不良记录"
    assert not village(run, f.VILLAGE_B).passed  # 信用户 1 of 2
    version = county["li"].version
    repair = repairs.apply_for_repair(
        penalised,
        commitment="已缴清罚款，承诺今后不再焚烧秸秆。",
        evidence="2024年6月1日缴清罚款，票据号 0012345",
        user=f.make_user("office_colleague", Role.OFFICE, f.COUNTY),  # a second person decides
        today=clock.today(),
    )
    db.session.commit()

    login(client, "office_county")
    page = f"/ratings/repairs/{repair.id}"
    response = post_form(client, page, page, {"decision": "approve", "reasoning": "材料齐全"})
    assert response.status_code == 302
    assert "已在 1 次尚未审定的评定中重新评定该主体" in client.get(page).get_data(as_text=True)
    db.session.expire_all()
    # The file's copy is the same event: the repair takes it out too.
    assert (li.score, li.grade, li.gate_reasons) == (Decimal("84.00"), "AAA", "")
    assert village(run, f.VILLAGE_B).passed
    rerating = db.session.scalar(select(Rerating).where(Rerating.result_id == li.id))
    assert (rerating.cause, rerating.repair_id) == ("repair", repair.id)
    assert (rerating.grade_before, rerating.gate_reasons_before) == (
        None,
        "近5年内有取消评定资格的不良记录",
    )
    # The county's approved run is history: it stays as approved.
    assert result_of(closed, county["li"]).gate_reasons == "近5年内有取消评定资格的不良记录"
    # The file moved to its next version (an edit form opened before is stale), and its
    # page no longer shows the repaired event.
    assert county["li"].version == version + 1
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "repair.file", AuditEvent.subject_version == version + 1
        )
    )
    file_page = client.get(f"/households/{county['li'].id}").get_data(as_text=True)
    assert "违规焚烧秸秆" not in file_page
    assert "信用修复" in client.get(f"/ratings/results/{li.id}").get_data(as_text=True)


def test_a_file_record_with_no_public_record_still_counts(users, county):
    """Only a copy of a public record is merged into it: an event the public list does not
    carry (another day) is a record of its own, and gates."""
    db.session.add(_record(county["sun"]))
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    d.public_record(
        d.key_for_household(county["sun"]),
        batch,
        PublicRecordKind.PENALTY,
        "违规焚烧秸秆",
        PENALTY_DAY + timedelta(days=30),
        document_no="富罚〔2024〕9号",
    )
    db.session.commit()
    run = rf.finished_run(users["office"])
    sun = result_of(run, county["sun"])
    assert sun.grade is None and sun.gate_reasons == "近5年内有取消评定资格的不良记录"


# ---- issue 12.4: an office re-rates one subject after correcting its file -------------------


def test_office_rerates_one_subject_with_a_reason(client, csrf_on, users, county):
    run = rf.finished_run(users["office"])
    zhao = result_of(run, county["zhao"])
    county["zhao"].evaluations[0].overall = "较好"  # the office corrected the file
    db.session.commit()
    login(client, "office_town")
    page = f"/ratings/results/{zhao.id}"
    assert "更正档案后重新评定" in client.get(page).get_data(as_text=True)

    # No reason: refused with the field's message, nothing changes.
    response = post_form(client, page, f"{page}/rerate", {"reason": "  "})
    assert response.status_code == 400
    assert "请写明更正了哪些档案信息、为何重新评定" in response.get_data(as_text=True)
    db.session.expire_all()
    assert zhao.score == Decimal("57.00")
    assert db.session.scalar(select(func.count()).select_from(Rerating)) == 0

    response = post_form(
        client, page, f"{page}/rerate", {"reason": "村评议按村民代表会议纪要更正为较好"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    # 57 - 15 (一般) + 25 (较好) = 67.00, A.
    assert (zhao.score, zhao.grade) == (Decimal("67.00"), "A")
    shown = client.get(page).get_data(as_text=True)
    assert "档案更正" in shown and "村评议按村民代表会议纪要更正为较好" in shown
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rating.rerate"))
    assert event.changes["grade"] == [None, "A"] and event.user_id == users["township"].id


def test_an_office_rerates_only_inside_its_scope(client, csrf_on, users, county):
    run = rf.finished_run(users["office"])
    he = result_of(run, county["he"])  # 河湾村, another township
    zhao = result_of(run, county["zhao"])
    login(client, "office_town")
    token = csrf_token(client.get(f"/ratings/results/{zhao.id}").get_data(as_text=True))
    response = client.post(
        f"/ratings/results/{he.id}/rerate", data={"reason": "越权", "csrf_token": token}
    )
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Rerating)) == 0


def test_a_cadre_cannot_rerate(client, csrf_on, users, county):
    run = rf.finished_run(users["office"])
    zhao = result_of(run, county["zhao"])
    login(client, "cadre_a")
    page = client.get(f"/ratings/results/{zhao.id}").get_data(as_text=True)
    assert "更正档案后重新评定" not in page
    response = client.post(
        f"/ratings/results/{zhao.id}/rerate",
        data={"reason": "村干部", "csrf_token": csrf_token(page) or ""},
    )
    assert response.status_code in (302, 403)
    db.session.expire_all()
    assert zhao.score == Decimal("57.00")
    assert db.session.scalar(select(func.count()).select_from(Rerating)) == 0


def test_an_open_objection_is_answered_rather_than_rerated(client, csrf_on, users, county):
    run = rf.finished_run(users["office"])
    zhao = result_of(run, county["zhao"])
    pf.publish(village(run, f.VILLAGE_A), users["cadre"], clock.today() - timedelta(days=1))
    objections.raise_objection(
        zhao,
        raised_by_name="赵小满",
        contact="",
        reason="村评议有误",
        user=users["cadre"],
        today=clock.today(),
    )
    db.session.commit()
    login(client, "office_town")
    page = f"/ratings/results/{zhao.id}"
    response = post_form(client, page, f"{page}/rerate", {"reason": "更正村评议"})
    assert response.status_code == 302
    assert "请在答复异议时更正档案并重新评定" in client.get(page).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Rerating)) == 0
    assert publication.region_rating(run.id, f.VILLAGE_A) is not None
