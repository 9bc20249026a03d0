"""The applicant's home: a farmer logs in as his own household and sees his file read-only
(IDs masked), his grade with its breakdown as the village published it, the village's
notice, raises an objection himself and follows it, and applies for credit repair of his
own records. Nothing of another household is reachable: its ids in his URLs are a 404."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from models import (
    AuditEvent,
    CreditRepair,
    CreditScore,
    Objection,
    ResultStatus,
    ScoreModel,
    Source,
    clock,
    db,
)
from tests import departmental_factories as d
from tests import factories as f
from tests import publication_factories as pf
from tests.conftest import csrf_token, login


@pytest.fixture
def farmer(users, cipher):
    """The applicant is 王小明's household in village A, his 2025 result under 公示 since
    yesterday; his neighbour 李四 (same village) has a result, a record and an objection."""
    wang_id = f.make_id_number()
    wang = f.make_household(cipher, users["cadre"], head_name="王小明", head_id_number=wang_id)
    li = f.make_household(cipher, users["cadre"], head_name="李四")
    applicant = users["applicant"]
    applicant.subject_type, applicant.subject_id = "household", wang.id
    applicant.display_name = "王小明"
    run = pf.make_run(users["office"])
    tree = pf.make_tree(run, (f.VILLAGE_A,))
    mine = pf.make_result(run, wang, 76, "AA", gate_reasons="")
    theirs = pf.make_result(run, li, 81, "AAA")
    pf.publish(tree[f.VILLAGE_A], users["cadre"], clock.today() - timedelta(days=1))
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    my_record = d.public_record(
        d.key_for_household(wang),
        batch,
        "penalty",
        "秸秆焚烧",
        date(2024, 3, 1),
        document_no="富环罚〔2024〕3号",
        severity="general",
    )
    their_record = d.public_record(
        d.key_for_household(li),
        batch,
        "penalty",
        "违规建房",
        date(2024, 3, 1),
        document_no="富自然罚〔2024〕9号",
        severity="general",
    )
    their_objection = Objection(
        result_id=theirs.id,
        raised_by_name="李四",
        reason="收入有误",
        due_on=clock.today() + timedelta(days=20),
    )
    db.session.add(their_objection)
    db.session.commit()
    return {
        "wang": wang,
        "wang_id": wang_id,
        "li": li,
        "run": run,
        "mine": mine,
        "theirs": theirs,
        "my_record": my_record,
        "their_record": their_record,
        "their_objection": their_objection,
    }


@pytest.fixture
def as_farmer(client, farmer):
    return login(client, "applicant")


def test_home_shows_his_proposed_grade_under_publicity_with_what_he_can_do(as_farmer, farmer):
    page = as_farmer.get("/dashboard").get_data(as_text=True)
    assert "我的信用" in page and "王小明" in page
    assert "2025 年度拟评定结果（公示中）" in page
    assert f"/my/results/{farmer['mine'].id}/objection" in page  # 提出异议
    assert f"/my/notice/{farmer['run'].id}" in page
    assert f"/my/records/{farmer['my_record'].id}/repair" in page
    assert "信易贷融资" in page
    assert "李四" not in page


def test_he_sees_his_own_score_and_its_reasons_and_the_look_is_logged(as_farmer, farmer):
    model = ScoreModel(subject_types=["household"], model_text="tree")
    db.session.add(model)
    db.session.flush()
    for household, points, reason in (
        (farmer["wang"], 702, "纳税信用等级为A"),
        (farmer["li"], 611, "近12个月电费逾期3次"),
    ):
        db.session.add(
            CreditScore(
                subject_type="household",
                subject_id=household.id,
                model_id=model.id,
                as_of=clock.today(),
                probability=0.02,
                points=points,
                reasons=[{"sentence": reason, "points": -8}],
            )
        )
    db.session.commit()
    page = as_farmer.get("/dashboard").get_data(as_text=True)
    assert "702" in page and "纳税信用等级为A" in page
    assert "611" not in page and "电费逾期" not in page  # his neighbour's score stays hidden
    looked = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "credit_score.view")
    ).all()
    assert [(e.subject_type, e.subject_id) for e in looked] == [("household", farmer["wang"].id)]


def test_his_file_is_read_only_with_ids_masked_and_the_look_is_logged(as_farmer, farmer):
    page = as_farmer.get("/my/file").get_data(as_text=True)
    wang = farmer["wang"]
    assert wang.head_id_masked in page
    assert farmer["wang_id"] not in page  # never the full number
    assert "/edit" not in page and "/reveal" not in page and "/history" not in page
    assert f"/my/results/{farmer['mine'].id}" in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household.view"))
    assert event.subject_id == wang.id


def test_his_breakdown_shows_indicators_points_and_gates(as_farmer, farmer):
    farmer["mine"].gate_reasons = "近5年内有取消评定资格的不良记录"
    db.session.commit()
    page = as_farmer.get(f"/my/results/{farmer['mine'].id}").get_data(as_text=True)
    assert "得分明细" in page and '<div class="stat-number">76</div>' in page  # scores read one way
    assert "家庭人口" in page  # an indicator of the sheet with its points
    assert "近5年内有取消评定资格的不良记录" in page


def test_he_sees_his_villages_notice(as_farmer, farmer):
    page = as_farmer.get(f"/my/notice/{farmer['run'].id}").get_data(as_text=True)
    assert "公 示" in page and "王小明" in page and "李四" in page
    assert farmer["wang"].head_id_masked in page


def test_he_raises_an_objection_himself_and_follows_it(csrf_on, as_farmer, farmer, users):
    url = f"/my/results/{farmer['mine'].id}/objection"
    form = as_farmer.get(url).get_data(as_text=True)
    assert "核查人" not in form  # his objection goes to the nearest office
    response = as_farmer.post(
        url,
        data={
            "csrf_token": csrf_token(form),
            "raised_by_name": "王小明",
            "contact": "13900002222",
            "reason": "家庭纯收入漏计了务工收入",
        },
    )
    assert response.status_code == 302
    objection = db.session.scalar(select(Objection).where(Objection.result_id == farmer["mine"].id))
    assert objection.recorded_by_id == users["applicant"].id
    assert objection.assignee_id == users["township"].id
    db.session.refresh(farmer["mine"])
    assert farmer["mine"].status == ResultStatus.OBJECTED
    page = as_farmer.get(response.headers["Location"]).get_data(as_text=True)
    assert "家庭纯收入漏计了务工收入" in page and "待答复" in page
    home = as_farmer.get("/dashboard").get_data(as_text=True)
    assert f"/my/objections/{objection.id}" in home


def test_an_objection_without_a_reason_changes_nothing(csrf_on, as_farmer, farmer):
    url = f"/my/results/{farmer['mine'].id}/objection"
    token = csrf_token(as_farmer.get(url).get_data(as_text=True))
    page = as_farmer.post(
        url, data={"csrf_token": token, "raised_by_name": "王小明", "contact": "123", "reason": ""}
    ).get_data(as_text=True)
    assert "请填写异议理由" in page
    assert (
        db.session.scalar(select(Objection).where(Objection.result_id == farmer["mine"].id)) is None
    )


def test_he_applies_for_repair_of_his_own_record(csrf_on, as_farmer, farmer, users):
    url = f"/my/records/{farmer['my_record'].id}/repair"
    token = csrf_token(as_farmer.get(url).get_data(as_text=True))
    response = as_farmer.post(
        url,
        data={
            "csrf_token": token,
            "commitment": "本人承诺今后不再焚烧秸秆。",
            "evidence": "2024年4月已缴清罚款",
        },
    )
    assert response.status_code == 302
    repair = db.session.scalar(select(CreditRepair))
    assert repair.applied_by_id == users["applicant"].id
    page = as_farmer.get(response.headers["Location"]).get_data(as_text=True)
    assert "待审核" in page and "秸秆焚烧" in page


@pytest.mark.parametrize(
    "path",
    [
        "/my/results/{theirs}",
        "/my/results/{theirs}/objection",
        "/my/objections/{their_objection}",
        "/my/records/{their_record}/repair",
    ],
)
def test_another_households_ids_are_a_404(as_farmer, farmer, path):
    url = path.format(
        theirs=farmer["theirs"].id,
        their_objection=farmer["their_objection"].id,
        their_record=farmer["their_record"].id,
    )
    assert as_farmer.get(url).status_code == 404
    if "objection" in url or "repair" in url:
        assert as_farmer.post(url, data={"reason": "x"}).status_code in (404, 405)


def test_a_result_not_yet_published_is_not_shown_to_him(as_farmer, farmer, users):
    run = pf.make_run(users["office"], farmer["run"].rule_set, year=2026)
    pf.make_tree(run, (f.VILLAGE_A,))  # proposed, not published
    unpublished = pf.make_result(run, farmer["wang"], 90, "AAA")
    db.session.commit()
    assert as_farmer.get(f"/my/results/{unpublished.id}").status_code == 404
    assert as_farmer.get(f"/my/notice/{run.id}").status_code == 404
    home = as_farmer.get("/dashboard").get_data(as_text=True)
    assert "2025 年度拟评定结果" in home and "2026 年度" not in home
    assert f"/my/results/{unpublished.id}" not in home


def test_an_applicant_naming_no_subject_sees_the_plain_page(client, users):
    login(client, "applicant")
    assert client.get("/dashboard").status_code == 200
    assert client.get("/my/file").status_code == 404


def test_other_roles_cannot_open_applicant_pages(as_cadre, farmer):
    assert as_cadre.get("/my/file").status_code == 403


def test_an_entity_or_enterprise_applicant_sees_its_own_file(client, users, cipher):
    coop = f.make_entity(cipher, users["cadre"], name="杨家村柿子专业合作社")
    enterprise = d.make_enterprise(users["cadre"])
    applicant = users["applicant"]
    applicant.subject_type, applicant.subject_id = "entity", coop.id
    db.session.commit()
    login(client, "applicant")
    assert "杨家村柿子专业合作社" in client.get("/my/file").get_data(as_text=True)
    assert "杨家村柿子专业合作社" in client.get("/dashboard").get_data(as_text=True)
    applicant.subject_type, applicant.subject_id = "enterprise", enterprise.id
    db.session.commit()
    assert enterprise.name in client.get("/my/file").get_data(as_text=True)
    assert "信用修复" in client.get("/dashboard").get_data(as_text=True)
