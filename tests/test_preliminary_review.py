"""村级初评 and the notice: the cadre goes through the proposed results, flags a household for
re-check with a note the credit office answers, and records the review; the notice cites the
rule set's real title and says 经村级初评 only when the review happened."""

from datetime import datetime

import pytest
from sqlalchemy import select

from agri_credit.demo.ratings import _object_to_the_lowest_result
from agri_credit.rating_cycle.rulesets.services import (
    copy_as_new_version,
    ensure_default_rule_set,
)
from models import Objection, RecheckFlag, RegionResultStatus, Source, clock, db
from tests import departmental_factories as d
from tests import factories as f
from tests import publication_factories as pf
from tests.conftest import csrf_token, login
from tests.test_rule_sets import form_payload


@pytest.fixture
def village(users, cipher):
    run = pf.make_run(users["office"])
    run.rule_set.title = "富平县农户信用等级评定办法（2025年版）"
    tree = pf.make_tree(run)
    yang = f.make_household(cipher, users["cadre"], head_name="杨建国")
    wang = f.make_household(cipher, users["cadre"], head_name="王小明")
    results = {
        "yang": pf.make_result(run, yang, 86.5, "AAA"),
        "wang": pf.make_result(run, wang, 48, None),
    }
    db.session.commit()
    return {"run": run, "rating": tree[f.VILLAGE_A], "results": results}


def _url(v, suffix=""):
    return f"/ratings/publication/{v['run'].id}/{f.VILLAGE_A}{suffix}"


def _post(client, url, page_url, **data):
    data["csrf_token"] = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(url, data=data, follow_redirects=True).get_data(as_text=True)


def test_the_default_rule_set_has_a_title_a_notice_can_cite(users):
    rule_set = ensure_default_rule_set(f.COUNTY, users["office"])
    year = clock.today().year
    assert rule_set.cited_title == f"富平县农户信用等级评定办法（{year}年版）"
    rule_set.title = "富平县农户信用等级评定办法（2020年版）"
    draft = copy_as_new_version(rule_set, users["office"])
    assert draft.title == f"富平县农户信用等级评定办法（{year}年版）"  # the new edition's year


def test_cadre_flags_a_household_reviews_and_the_notice_says_so(client, csrf_on, village):
    login(client, "cadre_a")
    page = client.get(_url(village)).get_data(as_text=True)
    assert "第一步：村级初评" in page and "标记复核" in page
    wang = village["results"]["wang"]

    page = _post(client, f"/ratings/publication/results/{wang.id}/recheck", _url(village), note="")
    assert "请写明需要复核的情况" in page
    assert db.session.scalar(select(RecheckFlag)) is None
    page = _post(
        client,
        f"/ratings/publication/results/{wang.id}/recheck",
        _url(village),
        note="王小明去年已还清贷款，逾期记录有误",
    )
    assert "待复核" in page and "王小明去年已还清贷款" in page

    page = _post(client, _url(village, "/preliminary"), _url(village))
    assert "完成村级初评" in page and "标记复核 1 户" in page
    _post(client, _url(village, "/publish"), _url(village))
    notice = client.get(_url(village, "/notice")).get_data(as_text=True)
    assert "根据《富平县农户信用等级评定办法（2025年版）》，经村级初评，现将" in notice
    assert "系统默认" not in notice

    # After publication the review is over: objections take its place.
    page = _post(
        client,
        f"/ratings/publication/results/{village['results']['yang'].id}/recheck",
        _url(village),
        note="再看看",
    )
    assert "初评已结束" in page


def test_a_notice_published_without_review_does_not_claim_one(as_cadre, users, village):
    pf.publish(village["rating"], users["cadre"], clock.today())
    db.session.commit()
    notice = as_cadre.get(_url(village, "/notice")).get_data(as_text=True)
    assert "经村级初评" not in notice
    assert "根据《富平县农户信用等级评定办法（2025年版）》，现将" in notice


def test_the_office_answers_a_flag_and_a_cadre_cannot(client, users, village):
    wang = village["results"]["wang"]
    flag = RecheckFlag(result_id=wang.id, note="收入填错", flagged_by_id=users["cadre"].id)
    db.session.add(flag)
    db.session.commit()
    login(client, "cadre_a")
    assert client.post(f"/ratings/publication/rechecks/{flag.id}/resolve").status_code in (302, 403)
    assert db.session.get(RecheckFlag, flag.id).resolved_at is None
    client.post("/logout")
    login(client, "office_county")
    page = client.get(_url(village)).get_data(as_text=True)
    assert "答复复核" in page and "收入填错" in page
    client.post(
        f"/ratings/publication/rechecks/{flag.id}/resolve",
        data={"resolution": "已核实收入，档案已更正并重新评定"},
    )
    db.session.expire_all()
    answered = db.session.get(RecheckFlag, flag.id)
    assert answered.resolved_by_id == users["office"].id
    assert isinstance(answered.resolved_at, datetime)
    assert village["rating"].status == RegionResultStatus.PROPOSED


def test_cadre_of_another_village_cannot_flag(client, users, village):
    login(client, "cadre_b")
    wang = village["results"]["wang"]
    response = client.post(f"/ratings/publication/results/{wang.id}/recheck", data={"note": "x"})
    assert response.status_code == 404


def test_a_draft_title_is_edited_and_required(as_office, users):
    draft = copy_as_new_version(ensure_default_rule_set(f.COUNTY), users["office"])
    db.session.commit()
    url = f"/ratings/rule-sets/{draft.id}/edit"
    opened = as_office.get(url).get_data(as_text=True)
    assert f'value="{draft.cited_title}"' in opened  # the draft's own title, not a sheet's
    page = as_office.post(url, data=form_payload(draft, title="")).get_data(as_text=True)
    assert "请填写办法名称" in page
    title = "富平县农户信用等级评定办法（2027年版）"
    assert as_office.post(url, data=form_payload(draft, title=title)).status_code == 302
    db.session.refresh(draft)
    assert draft.title == title
    assert f"《{title}》" in as_office.get(f"/ratings/rule-sets/{draft.id}").get_data(as_text=True)


def test_the_demo_objection_names_the_overdue_loan_of_its_own_household(users, cipher):
    run = pf.make_run(users["office"])
    tree = pf.make_tree(run)
    low = f.make_household(cipher, users["cadre"], head_name="王小明")  # no loan
    borrower = f.make_household(cipher, users["cadre"], head_name="杨建国")
    pf.make_result(run, low, 40, None)
    pf.make_result(run, borrower, 55, None)
    batch = d.make_batch(Source.BANK_LOAN, users["office"])
    d.loan(d.key_for_household(borrower), batch, contract_no="JK2024077", days_overdue=35)
    pf.publish(tree[f.VILLAGE_A], users["cadre"], clock.today())
    db.session.commit()
    assert _object_to_the_lowest_result(run, f.VILLAGE_A, users["cadre"], clock.today()) == 1
    objection = db.session.scalar(select(Objection))
    assert objection.raised_by_name == "杨建国"
    assert "合同号 JK2024077" in objection.reason and "逾期 35 天" in objection.reason
