"""异议: during 公示 an objection against a result is recorded, flags the result at once, is
assigned to a credit-office reviewer and answered in writing within 20 days; overdue ones
stand out; outside the window an objection is refused with the reason."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from agri_credit.rating_cycle.objections import services as objections
from agri_credit.rating_cycle.objections.services import ObjectionRefused
from agri_credit.rating_cycle.publication import services as publication
from models import (
    AuditEvent,
    Objection,
    ObjectionStatus,
    RatingResult,
    ResultStatus,
    Role,
    clock,
    db,
)
from tests import factories as f
from tests import publication_factories as pf
from tests import rating_factories as rf
from tests.conftest import login


@pytest.fixture
def published(users, cipher):
    """Village A under 公示 since two days ago; village C (another township) too."""
    run = pf.make_run(users["office"])
    tree = pf.make_tree(run, (f.VILLAGE_A, f.VILLAGE_C))
    wang = f.make_household(cipher, users["cadre"], head_name="王小明")
    zhang = f.make_household(cipher, users["cadre"], village_code=f.VILLAGE_C, head_name="张河清")
    result = pf.make_result(run, wang, 58, None)
    other = pf.make_result(run, zhang, 71, "AA")
    started = clock.today() - timedelta(days=2)
    pf.publish(tree[f.VILLAGE_A], users["cadre"], started)
    pf.publish(tree[f.VILLAGE_C], users["office"], started)
    db.session.commit()
    return {"run": run, "tree": tree, "result": result, "other": other, "wang": wang}


def _objection_form(**overrides):
    data = {"raised_by_name": "王小明", "contact": "13900002222", "reason": "去年务工收入未计入"}
    data.update(overrides)
    return data


def test_objection_flags_the_result_and_is_due_in_twenty_days(as_cadre, users, published):
    result = published["result"]
    response = as_cadre.post(f"/ratings/objections/new/{result.id}", data=_objection_form())
    assert response.status_code == 302
    objection = db.session.scalar(select(Objection))
    db.session.refresh(result)
    assert result.status == ResultStatus.OBJECTED
    assert objection.due_on == clock.today() + timedelta(days=20)
    assert objection.assignee_id == users["township"].id  # the nearest office by default
    assert objection.recorded_by_id == users["cadre"].id
    assert (objection.score_before, objection.grade_before) == (Decimal("58.00"), None)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "objection.raise"))
    page = as_cadre.get(f"/ratings/publication/{published['run'].id}/{f.VILLAGE_A}")
    assert "异议处理中" in page.get_data(as_text=True)


def test_objection_days_are_a_setting(app, as_office, users, published):
    app.config["OBJECTION_DAYS"] = 15
    try:
        as_office.post(
            f"/ratings/objections/new/{published['result'].id}",
            data=_objection_form(assignee=users["office"].id),
        )
    finally:
        app.config["OBJECTION_DAYS"] = 20
    objection = db.session.scalar(select(Objection))
    assert objection.due_on == clock.today() + timedelta(days=15)
    assert objection.assignee_id == users["office"].id


def test_objection_after_the_window_is_refused_with_the_dates(as_cadre, users, published):
    rating = published["tree"][f.VILLAGE_A]
    rating.published_at -= timedelta(days=10)
    rating.publicity_ends_on = clock.today() - timedelta(days=1)
    db.session.commit()
    response = as_cadre.post(
        f"/ratings/objections/new/{published['result'].id}",
        data=_objection_form(),
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "已过异议期，不能再登记异议" in page
    assert db.session.scalar(select(Objection)) is None


def test_objection_before_publication_is_refused(users, cipher):
    run = pf.make_run(users["office"])
    pf.make_tree(run, (f.VILLAGE_A,))
    result = pf.make_result(run, f.make_household(cipher, users["cadre"]), 80, "AAA")
    with pytest.raises(ObjectionRefused, match="尚未公示"):
        objections.raise_objection(
            result,
            raised_by_name="杨建国",
            contact="",
            reason="等级偏低",
            user=users["cadre"],
            today=clock.today(),
        )


def test_window_runs_through_the_last_day_of_publicity(users, published):
    rating = published["tree"][f.VILLAGE_A]
    last_day = rating.publicity_ends_on
    kwargs = dict(raised_by_name="王小明", contact="", reason="收入漏计", user=users["cadre"])
    objection = objections.raise_objection(published["result"], today=last_day, **kwargs)
    assert objection.due_on == last_day + timedelta(days=20)
    with pytest.raises(ObjectionRefused, match="已过异议期"):
        objections.raise_objection(published["other"], today=last_day + timedelta(days=1), **kwargs)


def test_only_one_open_objection_per_result(users, published):
    kwargs = dict(raised_by_name="王小明", contact="", reason="收入漏计", user=users["cadre"])
    objections.raise_objection(published["result"], today=clock.today(), **kwargs)
    with pytest.raises(ObjectionRefused, match="正在处理"):
        objections.raise_objection(published["result"], today=clock.today(), **kwargs)


def test_reviewer_must_be_an_office_over_the_village(users, published):
    with pytest.raises(ObjectionRefused, match="核查人"):
        objections.raise_objection(
            published["result"],
            raised_by_name="王小明",
            contact="",
            reason="收入漏计",
            user=users["cadre"],
            today=clock.today(),
            assignee=users["cadre_b"],
        )


def _raise(users, result, today=None):
    objection = objections.raise_objection(
        result,
        raised_by_name="王小明",
        contact="13900002222",
        reason="去年务工收入未计入",
        user=users["cadre"],
        today=today or clock.today(),
    )
    db.session.commit()
    return objection


def test_overdue_objections_are_highlighted_for_the_office(client, users, published):
    late = _raise(users, published["result"], today=clock.today() - timedelta(days=1))
    late.due_on = clock.today() - timedelta(days=3)
    _raise(users, published["other"])
    db.session.commit()
    login(client, "office_county")
    page = client.get("/ratings/objections/").get_data(as_text=True)
    assert "有 1 件异议已超过答复期限" in page
    assert page.count('class="table-danger overdue"') == 1
    assert "已超期 3 天" in page
    overdue_only = client.get("/ratings/objections/?status=open&overdue=1").get_data(as_text=True)
    assert "王小明" in overdue_only and "张河清" not in overdue_only


def test_township_office_sees_only_its_villages_objections(client, users, published):
    _raise(users, published["result"])
    _raise(users, published["other"])
    login(client, "office_town")
    page = client.get("/ratings/objections/").get_data(as_text=True)
    assert "王小明" in page and "张河清" not in page


def test_confirmed_answer_is_kept_and_the_result_stands(client, users, published):
    objection = _raise(users, published["result"])
    login(client, "office_town")
    response = client.post(
        f"/ratings/objections/{objection.id}",
        data={"outcome": "confirmed", "answer": "经核实，务工收入已按村评议记录计入，维持原结果。"},
    )
    assert response.status_code == 302
    db.session.refresh(objection)
    result = published["result"]
    db.session.refresh(result)
    assert objection.status == ObjectionStatus.CONFIRMED
    assert objection.answer.startswith("经核实")
    assert objection.answered_by_id == users["township"].id and objection.answered_at
    assert (
        result.status == ResultStatus.PROPOSED
    )  # 公示 still running: takes effect with the village
    page = client.get(f"/ratings/objections/{objection.id}").get_data(as_text=True)
    assert "经核实，务工收入已按村评议记录计入" in page and "经核实维持原结果" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "objection.answer"))


def test_corrected_answer_rerates_and_keeps_the_score_before(users, published):
    objection = _raise(users, published["result"])
    result = published["result"]

    def rerate(result, user, **why):  # what runs.rerate_result leaves behind after a correction
        result.score, result.grade = Decimal("73.50"), "AA"

    rating = published["tree"][f.VILLAGE_A]
    after_window = rating.publicity_ends_on + timedelta(days=3)
    publication.apply_effective_results(after_window)  # the rest of the village took effect
    objections.answer_objection(
        objection,
        outcome="corrected",
        answer="务工收入 2.4 万元已补录，重新评定为 AA。",
        user=users["township"],
        today=after_window,
        rerate=rerate,
    )
    db.session.commit()
    assert (objection.score_before, objection.grade_before) == (Decimal("58.00"), None)
    assert (result.score, result.grade) == (Decimal("73.50"), "AA")
    # Answered after the window: the corrected result takes effect at once.
    assert result.status == ResultStatus.EFFECTIVE
    assert published["wang"].credit_grade == "AA" and published["wang"].credit_grade_year == 2025
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "objection.answer"))
    assert event.changes["grade"] == [None, "AA"] and event.changes["score"] == ["58", "73.5"]


def test_answering_after_the_period_applies_the_rest_of_the_village_too(users, cipher, published):
    run = published["run"]
    yang = f.make_household(cipher, users["cadre"], head_name="杨建国")
    pf.make_result(run, yang, 86.5, "AAA")
    db.session.commit()
    objection = _raise(users, published["result"])
    rating = published["tree"][f.VILLAGE_A]
    after_window = rating.publicity_ends_on + timedelta(days=1)
    assert rating.effective_at is None  # the scheduled command has not run yet
    objections.answer_objection(
        objection,
        outcome="confirmed",
        answer="经核实，维持原结果。",
        user=users["township"],
        today=after_window,
    )
    db.session.commit()
    db.session.expire_all()
    assert rating.effective_at is not None
    assert published["result"].status == ResultStatus.EFFECTIVE
    assert yang.credit_grade == "AAA" and yang.credit_grade_year == run.year
    assert publication.apply_village_if_due(rating, after_window) == 0  # applied once


def test_an_objection_is_answered_once_and_in_writing(users, published):
    objection = _raise(users, published["result"])
    with pytest.raises(ObjectionRefused, match="书面答复"):
        objections.answer_objection(
            objection, outcome="confirmed", answer=" ", user=users["office"], today=clock.today()
        )
    objections.answer_objection(
        objection,
        outcome="unverifiable",
        answer="无法取得务工证明",
        user=users["office"],
        today=clock.today(),
    )
    with pytest.raises(ObjectionRefused, match="已答复"):
        objections.answer_objection(
            objection,
            outcome="confirmed",
            answer="再次答复",
            user=users["office"],
            today=clock.today(),
        )


def test_cadre_records_but_does_not_answer(as_cadre, users, published):
    objection = _raise(users, published["result"])
    page = as_cadre.get(f"/ratings/objections/{objection.id}")
    assert page.status_code == 200 and "提交答复" not in page.get_data(as_text=True)
    response = as_cadre.post(
        f"/ratings/objections/{objection.id}", data={"outcome": "confirmed", "answer": "维持"}
    )
    assert response.status_code == 403


def test_objections_of_another_village_are_a_404(client, users, published):
    objection = _raise(users, published["result"])
    login(client, "cadre_b")
    assert client.get(f"/ratings/objections/{objection.id}").status_code == 404
    assert client.get(f"/ratings/objections/new/{published['result'].id}").status_code == 404
    assert "王小明" not in client.get("/ratings/objections/").get_data(as_text=True)


def test_reviewers_are_offices_over_the_village_nearest_first(users):
    f.make_user("city_office", Role.OFFICE, f.CITY)
    reviewers = objections.reviewers_for(f.VILLAGE_A)
    assert [u.username for u in reviewers] == ["office_town", "office_county", "city_office"]
    assert [u.username for u in objections.reviewers_for(f.VILLAGE_C)][:1] == ["office_county"]


def test_corrected_on_the_page_rerates_from_the_corrected_file(client, users, cipher):
    """End to end with a real run: the reviewer corrects the file, answers "corrected", and
    the result is scored again from the corrected data, the old score kept."""
    county = rf.small_county(cipher, users["cadre"])
    run = rf.finished_run(users["office"])
    zhao = county.households["zhao"]
    result = db.session.scalar(select(RatingResult).where(RatingResult.household_id == zhao.id))
    rating = publication.region_rating(run.id, f.VILLAGE_A)
    pf.publish(rating, users["cadre"], clock.today() - timedelta(days=1))
    objection = _raise(users, result)
    before = (result.score, result.grade)

    # The 村评议 was recorded wrongly: 一般 should have been 优秀.
    zhao.evaluations[0].overall = "优秀"
    db.session.commit()
    login(client, "office_town")
    response = client.post(
        f"/ratings/objections/{objection.id}",
        data={"outcome": "corrected", "answer": "村评议结果登记有误，已更正为优秀并重新评定。"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert objection.status == ObjectionStatus.CORRECTED
    assert (objection.score_before, objection.grade_before) == before
    assert result.score > before[0]
    assert result.status == ResultStatus.PROPOSED  # 公示 still running
