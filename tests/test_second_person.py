"""双人复核: the person of the office who filed a repair or drafted a rule-set version cannot
also decide or publish it (a run's approval: tests/test_publication.py); the page says who
must act instead. SECOND_PERSON_APPROVAL = False lets a one-person office work alone."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from agri_credit.rating_cycle.repairs import services as repairs
from agri_credit.rating_cycle.rulesets.services import copy_as_new_version, ensure_default_rule_set
from models import CreditRepair, RepairStatus, Role, RuleSet, Source, clock, db
from tests import departmental_factories as d
from tests import factories as f
from tests.conftest import csrf_token, login


@pytest.fixture
def colleague(users):
    user = f.make_user("office_county_2", Role.OFFICE, f.COUNTY, display_name="县信用办复核")
    db.session.commit()
    return user


@pytest.fixture
def draft(users):
    default = ensure_default_rule_set(f.COUNTY)
    draft = copy_as_new_version(default, users["office"])
    db.session.commit()
    return draft


def _publish(client, rule_set_id):
    page = client.get(f"/ratings/rule-sets/{rule_set_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page)}
    return page, client.post(f"/ratings/rule-sets/{rule_set_id}/publish", data=data)


def test_the_drafter_cannot_publish_her_own_version(client, csrf_on, users, colleague, draft):
    login(client, "office_county")
    page, response = _publish(client, draft.id)
    assert "这一版由您起草或修改，须由信用办另一位工作人员发布" in page
    assert response.status_code == 302
    assert not db.session.get(RuleSet, draft.id).published

    client.post("/logout", data={"csrf_token": csrf_token(page)})
    login(client, "office_county_2")
    page, response = _publish(client, draft.id)
    assert "须由信用办另一位工作人员发布" not in page
    db.session.expire_all()
    assert db.session.get(RuleSet, draft.id).published_by_id == colleague.id


def test_a_one_person_office_may_publish_alone_when_configured(
    app, client, users, draft, monkeypatch
):
    monkeypatch.setitem(app.config, "SECOND_PERSON_APPROVAL", False)
    login(client, "office_county")
    _publish(client, draft.id)
    db.session.expire_all()
    assert db.session.get(RuleSet, draft.id).published


@pytest.fixture
def repair(users, cipher):
    household = f.make_household(cipher, users["cadre"], head_name="杨建国")
    key = d.key_for_household(household)
    batch = d.make_batch(Source.PUBLIC_RECORD, users["office"])
    record = d.public_record(
        key, batch, "penalty", "未按规定使用农药", date(2024, 1, 15), document_no="罚〔2024〕3号"
    )
    day = clock.today()
    repair = repairs.apply_for_repair(
        record,
        commitment="承诺依法使用农药",
        evidence="已缴清罚款",
        user=users["office"],
        today=day,
        applied_at=clock.utc_start_of(day) + timedelta(hours=10),
    )
    db.session.commit()
    return repair


def test_who_filed_a_repair_cannot_decide_it(client, users, colleague, repair):
    login(client, "office_county")
    page = client.get(f"/ratings/repairs/{repair.id}").get_data(as_text=True)
    assert "申请由您提交，须由信用办另一位工作人员作出决定" in page
    assert "提交决定" not in page
    decision = {"decision": "approve", "reasoning": "已履行处罚决定"}
    page = client.post(f"/ratings/repairs/{repair.id}", data=decision, follow_redirects=True)
    assert "须由信用办另一位工作人员作出决定" in page.get_data(as_text=True)
    assert db.session.scalar(select(CreditRepair.status)) == RepairStatus.PENDING

    client.post("/logout")
    login(client, "office_county_2")
    assert client.post(f"/ratings/repairs/{repair.id}", data=decision).status_code == 302
    db.session.expire_all()
    decided = db.session.scalar(select(CreditRepair))
    assert decided.status == RepairStatus.APPROVED and decided.decided_by_id == colleague.id
