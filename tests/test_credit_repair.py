"""信用修复: after a negative public record's minimum display period, a credit office applies
on the subject's behalf with a 信用承诺 and evidence; a reviewer decides within 10 working
days; an approved repair takes the record out of rating and display, through re-imports."""

from datetime import date, datetime, timedelta
from io import BytesIO

import pytest
from sqlalchemy import select

from agri_credit.credit_records import repaired
from agri_credit.deadlines import add_working_days
from agri_credit.rating_cycle.repairs import services as repairs
from agri_credit.rating_cycle.repairs.services import RepairRefused
from models import (
    AuditEvent,
    CreditRepair,
    PublicRecord,
    RepairStatus,
    Role,
    Source,
    SubjectKey,
    clock,
    db,
)
from tests import departmental_factories as d
from tests import factories as f
from tests.conftest import login


@pytest.fixture
def penalised(users, cipher):
    """A household in village A with a general 行政处罚 decided 15 January 2025."""
    household = f.make_household(cipher, users["cadre"], head_name="杨建国")
    key = d.key_for_household(household)
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    record = d.public_record(
        key,
        batch,
        "penalty",
        "未按规定使用农药",
        date(2025, 1, 15),
        document_no="富农罚〔2025〕12号",
        severity="general",
    )
    db.session.commit()
    return {"household": household, "key": key, "record": record}


def _apply(record, users, today=date(2025, 5, 6), **extra):
    kwargs = {
        "commitment": "本人已缴清罚款，承诺今后依法使用农药。",
        "evidence": "2025年2月1日缴清罚款500元，票据号 0012345",
        "user": users["office"],
        "today": today,
        # Filed on that day (10:00 in the county), so the deadline counts from it.
        "applied_at": clock.utc_start_of(today) + timedelta(hours=10),
    }
    kwargs.update(extra)
    return repairs.apply_for_repair(record, **kwargs)


# ---- dates --------------------------------------------------------------------------------------


def test_minimum_display_period_by_severity(penalised):
    record = penalised["record"]
    assert repairs.earliest_repair_on(record) == date(2025, 4, 15)  # general: 3 months
    record.severity = "serious"
    assert repairs.earliest_repair_on(record) == date(2026, 1, 15)  # 12 months
    record.severity = "minor"
    assert repairs.earliest_repair_on(record) == date(2025, 1, 15)  # at once
    record.severity = None  # the department gave none: counted as general
    assert repairs.earliest_repair_on(record) == date(2025, 4, 15)
    assert repairs.earliest_repair_on(record, {"minor": 0, "general": 6, "serious": 24}) == date(
        2025, 7, 15
    )
    record.decided_on = date(2024, 11, 30)
    assert repairs.earliest_repair_on(record) == date(2025, 2, 28)  # no 30 February


# ---- applying ---------------------------------------------------------------------------------------


def test_application_before_the_minimum_period_is_refused_with_the_date(users, penalised):
    with pytest.raises(RepairRefused, match="2025-04-15 起可申请信用修复"):
        _apply(penalised["record"], users, today=date(2025, 4, 14))
    repair = _apply(penalised["record"], users, today=date(2025, 4, 15))
    assert repair.status == RepairStatus.PENDING


def test_application_records_commitment_and_decision_date(users, penalised):
    repair = _apply(penalised["record"], users, today=date(2025, 5, 9))  # a Friday
    assert repair.decide_by == date(2025, 5, 23)
    assert (repair.subject_key_id, repair.record_kind, repair.document_no) == (
        penalised["key"].id,
        "penalty",
        "富农罚〔2025〕12号",
    )
    assert repair.commitment.startswith("本人已缴清罚款")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "repair.apply"))
    with pytest.raises(RepairRefused, match="正在审核"):
        _apply(penalised["record"], users, today=date(2025, 5, 9))


def test_a_record_past_the_five_year_rule_needs_no_repair(users, penalised):
    record = penalised["record"]  # decided 15 January 2025, no end date: ends at the decision
    with pytest.raises(RepairRefused, match="已超过5年保存期"):
        _apply(record, users, today=date(2030, 1, 16))
    assert _apply(record, users, today=date(2030, 1, 15)).status == RepairStatus.PENDING


def test_only_negative_records_can_be_repaired(users, penalised):
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    honour = d.public_record(penalised["key"], batch, "honour", "市级文明户", date(2024, 1, 1))
    with pytest.raises(RepairRefused, match="失信记录"):
        _apply(honour, users)


def test_office_applies_on_the_subjects_behalf_with_an_evidence_file(client, users, penalised):
    login(client, "office_county")
    household, record = penalised["household"], penalised["record"]
    page = client.get(f"/ratings/repairs/subject/household/{household.id}").get_data(as_text=True)
    assert "未按规定使用农药" in page and "申请修复" in page
    response = client.post(
        f"/ratings/repairs/subject/household/{household.id}/records/{record.id}/apply",
        data={
            "commitment": "承诺依法使用农药",
            "evidence": "已缴清罚款",
            "evidence_file": (BytesIO(b"%PDF-1.4 receipt"), "缴款凭证.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    repair = db.session.scalar(select(CreditRepair))
    assert repair.evidence_filename == "缴款凭证.pdf"
    assert repair.decide_by == add_working_days(clock.today(), 10)
    download = client.get(f"/ratings/repairs/{repair.id}/evidence")
    assert download.data == b"%PDF-1.4 receipt"
    assert "attachment" in download.headers["Content-Disposition"]


def test_evidence_file_is_size_limited(users, penalised):
    with pytest.raises(RepairRefused, match="不能超过 1 MB"):
        _apply(
            penalised["record"],
            users,
            evidence_filename="凭证.pdf",
            evidence_file=b"x" * (1024 * 1024 + 1),
            max_bytes=1024 * 1024,
        )


def test_page_refuses_early_application_with_the_date(client, users, cipher):
    household = f.make_household(cipher, users["cadre"])
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    record = d.public_record(
        d.key_for_household(household),
        batch,
        "dishonest",
        "未履行判决",
        clock.today(),
        severity="serious",
    )
    db.session.commit()
    login(client, "office_county")
    url = f"/ratings/repairs/subject/household/{household.id}/records/{record.id}/apply"
    response = client.post(
        url, data={"commitment": "承诺", "evidence": "已履行"}, follow_redirects=True
    )
    earliest = repairs.earliest_repair_on(record).isoformat()
    assert f"{earliest} 起可申请信用修复" in response.get_data(as_text=True)
    assert db.session.scalar(select(CreditRepair)) is None


# ---- deciding and what a repair does ------------------------------------------------------------


def _current_public_records(household_id, as_of=None):
    return db.session.scalars(
        select(PublicRecord.title)
        .join(SubjectKey, SubjectKey.id == PublicRecord.subject_key_id)
        .where(
            SubjectKey.household_id == household_id,
            PublicRecord.superseded_by_id.is_(None),
            repaired.not_repaired(PublicRecord, as_of),
        )
    ).all()


def test_approved_repair_hides_the_record_and_survives_a_reimport(users, penalised):
    household, record = penalised["household"], penalised["record"]
    repair = _apply(record, users)
    assert _current_public_records(household.id) == ["未按规定使用农药"]  # pending: still shown
    repairs.decide_repair(
        repair, approve=True, reasoning="已缴清罚款，承诺属实", user=users["township"]
    )
    db.session.commit()
    assert _current_public_records(household.id) == []
    assert repaired.repaired_keys() == {(penalised["key"].id, "penalty", "富农罚〔2025〕12号")}

    # The department re-sends its list: a new version of the same record (same natural key).
    later = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    d.supersede(record, later, authority="富平县农业农村局")
    db.session.commit()
    assert _current_public_records(household.id) == []

    # A rating as of a day before the decision still saw it.
    assert _current_public_records(household.id, as_of=date(2025, 5, 1)) == ["未按规定使用农药"]

    # History is kept: the subject's page lists the record as repaired, with the decision.
    records = repairs.negative_records("household", household.id, date(2025, 6, 1))
    assert [r.repaired for r in records] == [True]
    assert records[0].latest.reasoning == "已缴清罚款，承诺属实"


def test_file_page_drops_a_repaired_record_and_links_the_office_to_repair(client, users, penalised):
    household = penalised["household"]
    login(client, "office_county")
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "未按规定使用农药" in page
    assert f"/ratings/repairs/subject/household/{household.id}" in page

    repair = _apply(penalised["record"], users)
    repairs.decide_repair(repair, approve=True, reasoning="已缴清罚款", user=users["township"])
    db.session.commit()
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "未按规定使用农药" not in page


def test_cadre_file_page_offers_no_repair_link(as_cadre, penalised):
    household = penalised["household"]
    page = as_cadre.get(f"/households/{household.id}").get_data(as_text=True)
    assert "未按规定使用农药" in page
    assert "/ratings/repairs/" not in page


def test_repaired_on_gives_the_engine_its_column(users, penalised):
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    d.public_record(penalised["key"], batch, "penalty", "违规焚烧秸秆", date(2024, 6, 1))
    repair = _apply(penalised["record"], users)
    repairs.decide_repair(repair, approve=True, reasoning="属实", user=users["township"])
    db.session.commit()
    rows = db.session.execute(
        select(
            PublicRecord.title, repaired.repaired_on(PublicRecord).label("repaired_on")
        ).order_by(PublicRecord.title)
    ).all()
    assert dict(rows) == {"未按规定使用农药": repair.decided_at, "违规焚烧秸秆": None}
    assert isinstance(repair.decided_at, datetime)


def test_rejected_repair_keeps_the_record_and_allows_a_new_application(users, penalised):
    repair = _apply(penalised["record"], users)
    with pytest.raises(RepairRefused, match="理由"):
        repairs.decide_repair(repair, approve=False, reasoning="", user=users["township"])
    repairs.decide_repair(repair, approve=False, reasoning="罚款未缴清", user=users["township"])
    db.session.commit()
    assert _current_public_records(penalised["household"].id) == ["未按规定使用农药"]
    assert repaired.repaired_keys() == set()
    with pytest.raises(RepairRefused, match="已有决定"):
        repairs.decide_repair(repair, approve=True, reasoning="改判", user=users["township"])
    assert _apply(penalised["record"], users).status == RepairStatus.PENDING


def test_reviewer_decides_on_the_page(client, users, penalised):
    repair = _apply(penalised["record"], users)
    db.session.commit()
    login(client, "office_town")
    page = client.get(f"/ratings/repairs/{repair.id}").get_data(as_text=True)
    assert "本人已缴清罚款" in page and "2025-05-20" in page and "提交决定" in page
    response = client.post(
        f"/ratings/repairs/{repair.id}", data={"decision": "approve", "reasoning": "材料齐全"}
    )
    assert response.status_code == 302
    assert "材料齐全" in client.get(f"/ratings/repairs/{repair.id}").get_data(as_text=True)
    db.session.refresh(repair)
    assert repair.status == RepairStatus.APPROVED and repair.decided_by_id == users["township"].id
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "repair.approve"))


def test_pending_list_highlights_overdue_applications(client, users, penalised, cipher):
    late = _apply(penalised["record"], users, today=clock.today() - timedelta(days=30))
    other = f.make_household(cipher, users["cadre"], head_name="王小明")
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    fresh_record = d.public_record(
        d.key_for_household(other),
        batch,
        "penalty",
        "违规焚烧秸秆",
        date(2024, 6, 1),
        severity="minor",
    )
    _apply(fresh_record, users, today=clock.today())
    db.session.commit()
    login(client, "office_county")
    page = client.get("/ratings/repairs/").get_data(as_text=True)
    assert "有 1 件申请已超过决定期限" in page
    assert page.count('class="table-danger overdue"') == 1
    assert "未按规定使用农药" in page and "违规焚烧秸秆" in page
    overdue = client.get("/ratings/repairs/?status=overdue").get_data(as_text=True)
    assert "未按规定使用农药" in overdue and "违规焚烧秸秆" not in overdue
    assert late.decide_by < clock.today()


def test_repairs_stay_in_scope(client, users, penalised):
    repair = _apply(penalised["record"], users)
    db.session.commit()
    f.make_user("office_zhangqiao", Role.OFFICE, f.TOWNSHIP_B)
    db.session.commit()
    login(client, "office_zhangqiao")
    assert client.get(f"/ratings/repairs/{repair.id}").status_code == 404
    assert client.get(f"/ratings/repairs/{repair.id}/evidence").status_code == 404
    assert (
        client.get(f"/ratings/repairs/subject/household/{penalised['household'].id}").status_code
        == 404
    )
    assert "未按规定使用农药" not in client.get("/ratings/repairs/").get_data(as_text=True)


def test_cadres_do_not_handle_repairs(as_cadre, penalised):
    url = f"/ratings/repairs/subject/household/{penalised['household'].id}"
    assert as_cadre.get(url).status_code == 403
