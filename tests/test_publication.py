"""公示 and what follows it: a cadre publishes her village's proposed results, the printed
notice shows names and grades only, results take effect once the period is over, the
township and county approve up the tree, and certificates print for effective results."""

import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from agri_credit.rating_cycle.approvals import services as approvals
from agri_credit.rating_cycle.approvals.services import ReviewRefused
from agri_credit.rating_cycle.publication import services as publication
from agri_credit.templating import isodate
from models import (
    AuditEvent,
    Objection,
    RatingRun,
    RegionResultStatus,
    ResultStatus,
    Role,
    RunStatus,
    clock,
    db,
)
from tests import factories as f
from tests import publication_factories as pf
from tests import rating_factories as rf
from tests.conftest import login


@pytest.fixture
def village(users, cipher):
    """A county run with two households and a co-op in village A, one household in B."""
    run = pf.make_run(users["office"])
    tree = pf.make_tree(run)
    yang = f.make_household(cipher, users["cadre"], head_name="杨建国")
    wang = f.make_household(cipher, users["cadre"], head_name="王小明")
    coop = f.make_entity(cipher, users["cadre"], name="杨家村柿子专业合作社")
    li = f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B, head_name="李卫东")
    results = {
        "yang": pf.make_result(run, yang, 86.5, "AAA"),
        "wang": pf.make_result(run, wang, 48, None),
        "coop": pf.make_result(run, coop, 72, "AA"),
        "li": pf.make_result(run, li, 75, "AA"),
    }
    db.session.commit()
    return {
        "run": run,
        "tree": tree,
        "results": results,
        "yang": yang,
        "wang": wang,
        "coop": coop,
        "li": li,
    }


def switch(client, username):
    """Log out whoever is logged in, then log in as `username`."""
    client.post("/logout")
    return login(client, username)


def _village_url(v, code=f.VILLAGE_A, suffix=""):
    return f"/ratings/publication/{v['run'].id}/{code}{suffix}"


# ---- publishing ---------------------------------------------------------------------------------


def test_cadre_reviews_results_with_breakdowns_then_publishes_for_seven_days(as_cadre, village):
    page = as_cadre.get(_village_url(village)).get_data(as_text=True)
    assert "杨建国" in page and "王小明" in page and "杨家村柿子专业合作社" in page
    assert "86.5" in page and "家庭人口" in page  # score and breakdown labels
    assert "李卫东" not in page
    assert f"/ratings/runs/{village['run'].id}/villages/{f.VILLAGE_A}" in page  # score details

    response = as_cadre.post(_village_url(village, suffix="/publish"))
    assert response.status_code == 302
    rating = village["tree"][f.VILLAGE_A]
    db.session.refresh(rating)
    assert rating.status == RegionResultStatus.PUBLISHED
    assert rating.published_at is not None
    assert rating.publicity_ends_on == clock.today() + timedelta(days=7)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rating.publish"))
    assert event.subject_id == rating.id


def test_publicity_days_are_a_setting(app, as_cadre, village):
    app.config["PUBLICITY_DAYS"] = 10
    try:
        as_cadre.post(_village_url(village, suffix="/publish"))
    finally:
        app.config["PUBLICITY_DAYS"] = 7
    rating = village["tree"][f.VILLAGE_A]
    db.session.refresh(rating)
    assert rating.publicity_ends_on == clock.today() + timedelta(days=10)


def test_a_village_is_published_once_and_never_from_a_superseded_run(users, village):
    rating = village["tree"][f.VILLAGE_A]
    publication.publish_village(village["run"], rating, users["cadre"], date(2026, 3, 1))
    with pytest.raises(publication.PublicationError, match="已于"):
        publication.publish_village(village["run"], rating, users["cadre"], date(2026, 3, 2))
    village["run"].status = RunStatus.SUPERSEDED
    other = village["tree"][f.VILLAGE_B]
    with pytest.raises(publication.PublicationError, match="取代"):
        publication.publish_village(village["run"], other, users["cadre_b"], date(2026, 3, 1))


def test_cadre_of_another_village_gets_404(client, users, village):
    login(client, "cadre_b")
    assert client.get(_village_url(village)).status_code == 404
    assert client.post(_village_url(village, suffix="/publish")).status_code == 404
    assert client.get(_village_url(village, suffix="/notice")).status_code == 404
    assert client.get(_village_url(village, code=f.VILLAGE_B)).status_code == 200


def test_bank_officer_sees_no_publication_pages(client, users, village):
    login(client, "officer")
    assert client.get(_village_url(village)).status_code == 403


def test_publication_list_shows_the_cadres_village_only(as_cadre, village):
    page = as_cadre.get("/ratings/publication/").get_data(as_text=True)
    assert "杨家村" in page and "西坡村" not in page


def test_township_office_lists_its_villages_by_status(client, users, village):
    pf.publish(village["tree"][f.VILLAGE_A], users["cadre"], clock.today())
    db.session.commit()
    login(client, "office_town")
    page = client.get("/ratings/publication/").get_data(as_text=True)
    assert "杨家村" in page and "西坡村" in page
    published_only = client.get("/ratings/publication/?status=published").get_data(as_text=True)
    assert "杨家村" in published_only and "西坡村" not in published_only


# ---- the public notice ------------------------------------------------------------------------------


def test_notice_lists_names_and_grades_with_masked_ids_and_nothing_else(as_cadre, village):
    pf.publish(village["tree"][f.VILLAGE_A], village["run"].started_by, date(2026, 3, 2))
    pf.publish(village["tree"][f.VILLAGE_B], village["run"].started_by, date(2026, 3, 2))
    db.session.commit()
    yang = village["yang"]
    page = as_cadre.get(_village_url(village, suffix="/notice")).get_data(as_text=True)
    assert "公 示" in page
    assert "杨建国" in page and "AAA" in page and "优秀" in page
    assert "杨家村柿子专业合作社" in page and "AA" in page
    assert yang.head_id_masked in page
    assert "86.5" not in page  # no scores unless the rule set says so
    assert "王小明" not in page  # not a credit household: not listed on the notice
    assert "李卫东" not in page  # another village
    assert "2026-03-02" in page and "2026-03-09" in page
    assert "杨书记" in page  # who to object to


def test_notice_never_shows_a_full_id_number(as_cadre, users, cipher, village):
    id_number = f.make_id_number()
    household = f.make_household(
        cipher, users["cadre"], head_name="赵德明", head_id_number=id_number
    )
    pf.make_result(village["run"], household, 66, "A")
    pf.publish(village["tree"][f.VILLAGE_A], users["cadre"], date(2026, 3, 2))
    db.session.commit()
    page = as_cadre.get(_village_url(village, suffix="/notice")).get_data(as_text=True)
    assert "赵德明" in page
    assert id_number not in page
    assert id_number[:4] + "*" * 10 + id_number[-4:] in page


def test_notice_shows_scores_when_the_rule_set_says_so(as_cadre, users, cipher):
    rule_set = pf.make_rule_set(users["office"], show_scores_on_notice=True)
    run = pf.make_run(users["office"], rule_set)
    tree = pf.make_tree(run, (f.VILLAGE_A,))
    pf.make_result(run, f.make_household(cipher, users["cadre"], head_name="杨建国"), 86.5)
    pf.publish(tree[f.VILLAGE_A], users["cadre"], date(2026, 3, 2))
    db.session.commit()
    page = as_cadre.get(f"/ratings/publication/{run.id}/{f.VILLAGE_A}/notice")
    assert "86.5" in page.get_data(as_text=True)


def test_notice_before_publication_sends_back_to_the_results(as_cadre, village):
    response = as_cadre.get(_village_url(village, suffix="/notice"))
    assert response.status_code == 302


# ---- taking effect -----------------------------------------------------------------------------------


def test_results_take_effect_the_day_after_the_period(users, village):
    rating = village["tree"][f.VILLAGE_A]
    publication.publish_village(village["run"], rating, users["cadre"], date(2026, 3, 1))
    results = village["results"]
    results["wang"].status = ResultStatus.OBJECTED  # an open objection holds it back
    db.session.commit()

    assert publication.apply_effective_results(date(2026, 3, 8)) == 0  # last day of 公示
    assert results["yang"].status == ResultStatus.PROPOSED

    assert publication.apply_effective_results(date(2026, 3, 9)) == 2
    db.session.commit()
    assert results["yang"].status == ResultStatus.EFFECTIVE
    assert results["coop"].status == ResultStatus.EFFECTIVE
    assert results["wang"].status == ResultStatus.OBJECTED
    assert results["li"].status == ResultStatus.PROPOSED  # village B was never published
    assert village["yang"].credit_grade == "AAA" and village["yang"].credit_grade_year == 2025
    assert village["coop"].credit_grade == "AA"
    assert village["wang"].credit_grade is None and village["wang"].credit_grade_year is None

    assert publication.apply_effective_results(date(2026, 3, 20)) == 0  # idempotent


@pytest.fixture
def new_york(monkeypatch):
    """The server's local zone set behind UTC, as a machine abroad would have it."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_notice_period_starts_on_the_countys_day_whatever_the_servers_zone(
    new_york, users, village
):
    rating = village["tree"][f.VILLAGE_A]
    publication.publish_village(village["run"], rating, users["cadre"], date(2026, 3, 2))
    # 17:30 UTC on 1 March: still 1 March in New York, already 01:30 on 2 March in Beijing.
    rating.published_at = datetime(2026, 3, 1, 17, 30)
    assert publication.published_on(rating) == date(2026, 3, 2)
    assert not publication.in_objection_window(rating, date(2026, 3, 1))
    assert publication.in_objection_window(rating, date(2026, 3, 2))
    assert isodate(rating.published_at) == "2026-03-02 01:30"


def test_an_old_run_taking_effect_late_keeps_a_newer_grade(users, village):
    village["yang"].credit_grade, village["yang"].credit_grade_year = "AA", 2026
    publication.publish_village(
        village["run"], village["tree"][f.VILLAGE_A], users["cadre"], date(2026, 3, 1)
    )
    db.session.commit()
    publication.apply_effective_results(date(2026, 3, 9))
    db.session.commit()
    assert (village["yang"].credit_grade, village["yang"].credit_grade_year) == ("AA", 2026)


def test_a_page_shows_results_effective_once_the_period_is_over_without_writing(
    as_cadre, users, village
):
    pf.publish(village["tree"][f.VILLAGE_A], users["cadre"], clock.today() - timedelta(days=10))
    db.session.commit()
    page = as_cadre.get(f"/ratings/publication/{village['run'].id}/{f.VILLAGE_A}")
    assert page.status_code == 200
    rows = page.get_data(as_text=True)
    assert rows.count("已生效") >= 3 and "拟评定" not in rows.split("<tbody>", 1)[1]
    db.session.expire_all()
    # Reading changed nothing: the scheduled command (or a write path) writes the files.
    assert village["results"]["yang"].status == ResultStatus.PROPOSED
    assert village["yang"].credit_grade is None
    assert village["tree"][f.VILLAGE_A].effective_at is None


def test_file_page_shows_the_grade_once_the_period_is_over(as_cadre, users, village):
    yang = village["yang"]
    page = as_cadre.get(f"/households/{yang.id}").get_data(as_text=True)
    ratings = page[page.index('id="ratings"') :]
    assert "拟评定" in ratings and "AAA" in ratings  # proposed, not yet on the file
    assert f"/ratings/results/{village['results']['yang'].id}" in ratings
    assert "AAA (" not in page  # no grade badge in the file's header

    pf.publish(village["tree"][f.VILLAGE_A], users["cadre"], clock.today() - timedelta(days=10))
    db.session.commit()
    page = as_cadre.get(f"/households/{yang.id}").get_data(as_text=True)
    assert f"AAA ({village['run'].year})" in page
    assert "已生效" in page[page.index('id="ratings"') :]
    entity_page = as_cadre.get(f"/entities/{village['coop'].id}").get_data(as_text=True)
    assert 'fs-6 align-self-center">AA</span>' in entity_page
    db.session.expire_all()
    assert yang.credit_grade is None and village["coop"].credit_grade is None  # not written


def test_entity_file_lists_its_ratings_and_a_new_file_says_it_has_none(
    as_cadre, users, cipher, village
):
    page = as_cadre.get(f"/entities/{village['coop'].id}").get_data(as_text=True)
    ratings = page[page.index('id="ratings"') : page.index('id="departmental"')]
    assert '<span class="badge text-bg-success">AA</span>' in ratings and ">72<" in ratings
    assert f"/ratings/results/{village['results']['coop'].id}" in ratings
    newcomer = f.make_household(cipher, users["cadre"], head_name="新户")
    db.session.commit()
    assert "尚未参加信用评定" in as_cadre.get(f"/households/{newcomer.id}").get_data(as_text=True)


def test_household_list_shows_and_filters_by_the_grade_effective_today(as_cadre, users, village):
    assert "杨建国" not in as_cadre.get("/households/?grade=AAA").get_data(as_text=True)
    pf.publish(village["tree"][f.VILLAGE_A], users["cadre"], clock.today() - timedelta(days=10))
    db.session.commit()
    page = as_cadre.get("/households/?grade=AAA").get_data(as_text=True)
    assert "杨建国" in page and '<span class="badge text-bg-success">AAA</span>' in page
    assert "王小明" in as_cadre.get("/households/?grade=none").get_data(as_text=True)
    by_grade = as_cadre.get("/households/?sort=grade").get_data(as_text=True)
    assert "杨建国" in by_grade and "王小明" in by_grade
    db.session.expire_all()
    assert village["results"]["yang"].status == ResultStatus.PROPOSED  # computed, not written

    publication.apply_effective_results(clock.today())
    db.session.commit()
    page = as_cadre.get("/households/?grade=AAA").get_data(as_text=True)
    assert "杨建国" in page and "王小明" not in page


def test_a_village_is_applied_once_even_by_two_workers_at_the_same_time(users, village, app):
    rating = village["tree"][f.VILLAGE_A]
    pf.publish(rating, users["cadre"], clock.today() - timedelta(days=10))
    db.session.commit()
    due = db.session.execute(publication._due_villages(clock.today())).all()
    assert [r.id for r, _year in due] == [rating.id]
    # Another worker applies the village between this one's read and its write.
    with app.app_context():
        assert publication.apply_effective_results(clock.today()) == 3
        db.session.commit()
    assert publication._claim(rating) is False
    assert publication.apply_effective_results(clock.today()) == 0
    db.session.commit()
    applied = select(AuditEvent).where(
        AuditEvent.action == publication.EFFECTIVE_ACTION, AuditEvent.subject_id == rating.id
    )
    assert len(db.session.scalars(applied).all()) == 1
    db.session.expire_all()
    assert rating.effective_at is not None and village["yang"].credit_grade == "AAA"


def test_the_townships_review_after_the_period_applies_the_village(users, village):
    rating = village["tree"][f.VILLAGE_A]
    pf.publish(rating, users["cadre"], clock.today() - timedelta(days=10))
    db.session.commit()
    approvals.approve_region(village["run"], rating, users["township"], clock.today())
    db.session.commit()
    db.session.expire_all()
    assert rating.effective_at is not None
    assert village["results"]["yang"].status == ResultStatus.EFFECTIVE
    assert village["yang"].credit_grade == "AAA"


def test_command_applies_effective_results(runner, users, village):
    pf.publish(village["tree"][f.VILLAGE_A], users["cadre"], clock.today() - timedelta(days=10))
    db.session.commit()
    result = runner.invoke(args=["ratings-apply-effective"])
    assert result.exit_code == 0, result.output
    assert "3 results took effect" in result.output
    db.session.expire_all()
    assert village["yang"].credit_grade == "AAA"
    again = runner.invoke(args=["ratings-apply-effective"])
    assert "0 results took effect" in again.output


# ---- review up the tree --------------------------------------------------------------------------------


def _publish_ended(village, *codes):
    for code in codes:
        pf.publish(
            village["tree"][code], village["run"].started_by, clock.today() - timedelta(days=10)
        )
    db.session.commit()


def test_township_sees_what_blocks_each_village(client, users, village):
    pf.publish(village["tree"][f.VILLAGE_A], users["cadre"], clock.today() - timedelta(days=2))
    db.session.commit()
    login(client, "office_town")
    page = client.get(f"/ratings/review/{village['run'].id}").get_data(as_text=True)
    ends = (clock.today() + timedelta(days=5)).isoformat()
    assert f"公示期至 {ends}，期满后方可审核" in page
    assert "村里尚未公示评定结果" in page  # village B

    response = client.post(
        f"/ratings/review/{village['run'].id}/regions/{f.VILLAGE_A}", data={"approve": "1"}
    )
    assert response.status_code == 302
    db.session.refresh(village["tree"][f.VILLAGE_A])
    assert village["tree"][f.VILLAGE_A].status == RegionResultStatus.PUBLISHED


def test_an_open_objection_blocks_approval(users, village):
    _publish_ended(village, f.VILLAGE_A)
    db.session.add(
        Objection(
            result_id=village["results"]["wang"].id,
            raised_by_name="王小明",
            reason="收入填错",
            due_on=clock.today() + timedelta(days=5),
        )
    )
    db.session.flush()
    with pytest.raises(ReviewRefused, match="1 件异议尚未答复"):
        approvals.approve_region(
            village["run"], village["tree"][f.VILLAGE_A], users["township"], clock.today()
        )


def test_approvals_go_village_then_township_then_county(client, users, village):
    run, tree = village["run"], village["tree"]
    _publish_ended(village, f.VILLAGE_A, f.VILLAGE_B)

    login(client, "office_county")
    client.post(f"/ratings/review/{run.id}/regions/{f.TOWNSHIP_A}", data={"approve": "1"})
    db.session.refresh(tree[f.TOWNSHIP_A])
    assert tree[f.TOWNSHIP_A].status == RegionResultStatus.PROPOSED  # villages not yet approved
    page = client.get(f"/ratings/review/{run.id}").get_data(as_text=True)
    assert "2 个村尚未通过乡镇审核：杨家村、西坡村" in page
    assert "1 个乡镇尚未审核通过：庄里镇" in page

    switch(client, "office_town")
    for code in (f.VILLAGE_A, f.VILLAGE_B):
        client.post(
            f"/ratings/review/{run.id}/regions/{code}", data={"approve": "1", "note": "同意"}
        )
    # A township office does not review townships.
    client.post(f"/ratings/review/{run.id}/regions/{f.TOWNSHIP_A}", data={"approve": "1"})
    db.session.refresh(tree[f.TOWNSHIP_A])
    assert tree[f.TOWNSHIP_A].status == RegionResultStatus.PROPOSED

    switch(client, "office_county")
    assert f"/ratings/review/{run.id}" in client.get("/ratings/review/").get_data(as_text=True)
    client.post(f"/ratings/review/{run.id}/regions/{f.TOWNSHIP_A}", data={"approve": "1"})
    # The run is approved by a second person of the office, not by who started it.
    page = client.get(f"/ratings/review/{run.id}").get_data(as_text=True)
    assert "本次评定由您发起，须由信用办另一位工作人员审定" in page
    client.post(f"/ratings/review/{run.id}/approve", data={"note": "同意发布"})
    assert db.session.get(RatingRun, run.id).status == RunStatus.PROPOSED
    f.make_user("office_county_2", Role.OFFICE, f.COUNTY)
    db.session.commit()
    switch(client, "office_county_2")
    client.post(f"/ratings/review/{run.id}/approve", data={"note": "同意发布"})
    db.session.expire_all()
    assert tree[f.VILLAGE_A].status == RegionResultStatus.APPROVED
    assert tree[f.VILLAGE_A].reviewed_by_id == users["township"].id
    assert tree[f.VILLAGE_A].review_note == "同意"
    assert tree[f.TOWNSHIP_A].status == RegionResultStatus.APPROVED
    assert run.status == RunStatus.APPROVED
    assert run.approved_by.username == "office_county_2" and run.approved_at is not None
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("rating.approve") == 3 and actions[-1] == "run.approve"


def test_return_needs_a_note_and_the_cadre_sees_it(client, users, village):
    run, rating = village["run"], village["tree"][f.VILLAGE_A]
    _publish_ended(village, f.VILLAGE_A)
    with pytest.raises(ReviewRefused, match="理由"):
        approvals.return_region(run, rating, users["township"], clock.today(), " ")
    login(client, "office_town")
    client.post(
        f"/ratings/review/{run.id}/regions/{f.VILLAGE_A}",
        data={"send_back": "1", "note": "王小明家收入漏填，请核实"},
    )
    db.session.refresh(rating)
    assert rating.status == RegionResultStatus.RETURNED
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rating.return"))
    switch(client, "cadre_a")
    page = client.get(_village_url(village)).get_data(as_text=True)
    assert "上级已退回" in page and "王小明家收入漏填，请核实" in page


def test_review_is_for_credit_offices_only(client, users, village):
    login(client, "cadre_a")
    assert client.get(f"/ratings/review/{village['run'].id}").status_code == 403


# ---- certificates ----------------------------------------------------------------------------------------


def test_certificate_prints_for_an_effective_credit_household(as_cadre, users, village):
    result = village["results"]["yang"]
    result.status = ResultStatus.EFFECTIVE
    db.session.commit()
    page = as_cadre.get(f"/ratings/certificates/{result.id}").get_data(as_text=True)
    assert "信用户证书" in page and "杨建国" in page and "杨家村" in page
    assert "AAA" in page and "2025" in page
    assert f"XYH2025-{village['run'].id:04d}-{result.id:07d}" in page
    assert "富平县农村信用体系建设办公室" in page
    assert "size: A4 landscape" in page


def test_no_certificate_before_effect_nor_below_a(as_cadre, village):
    results = village["results"]
    assert as_cadre.get(f"/ratings/certificates/{results['yang'].id}").status_code == 302
    results["wang"].status = ResultStatus.EFFECTIVE
    db.session.commit()
    assert as_cadre.get(f"/ratings/certificates/{results['wang'].id}").status_code == 404


def test_certificate_of_another_village_is_a_404(as_cadre, village):
    li = village["results"]["li"]
    li.status = ResultStatus.EFFECTIVE
    db.session.commit()
    assert as_cadre.get(f"/ratings/certificates/{li.id}").status_code == 404


def test_plaque_prints_for_an_approved_credit_village(as_cadre, village):
    rating = village["tree"][f.VILLAGE_A]
    url = f"/ratings/certificates/villages/{village['run'].id}/{f.VILLAGE_A}"
    page = as_cadre.get(url).get_data(as_text=True)  # not yet approved by the township
    assert "牌匾在乡镇信用办审核通过后才能打印" in page and "页面不存在" not in page
    rating.status = RegionResultStatus.APPROVED
    db.session.commit()
    text = as_cadre.get(url).get_data(as_text=True)
    assert "信用村" in text and "庄里镇杨家村" in text and "2025" in text
    rating.passed = False
    db.session.commit()
    assert "未达到信用村标准，没有牌匾" in as_cadre.get(url).get_data(as_text=True)


def test_a_real_run_publishes_takes_effect_and_goes_up_the_tree(client, users, cipher):
    """The same cycle over what `start_run` writes, not hand-built rows."""
    county = rf.small_county(cipher, users["cadre"])
    run = rf.finished_run(users["office"])
    login(client, "cadre_a")
    page = client.get(f"/ratings/publication/{run.id}/{f.VILLAGE_A}").get_data(as_text=True)
    assert "杨建国" in page and "村评议" in page  # breakdown with the rule set's labels
    client.post(f"/ratings/publication/{run.id}/{f.VILLAGE_A}/publish")
    notice = client.get(f"/ratings/publication/{run.id}/{f.VILLAGE_A}/notice")
    assert "杨建国" in notice.get_data(as_text=True)

    rating = publication.region_rating(run.id, f.VILLAGE_A)
    publication.apply_effective_results(rating.publicity_ends_on + timedelta(days=1))
    db.session.commit()
    yang = county.households["yang"]
    assert yang.credit_grade is not None and yang.credit_grade_year == rf.YEAR

    rating.publicity_ends_on = clock.today() - timedelta(days=1)
    db.session.commit()
    approvals.approve_region(run, rating, users["township"], clock.today())
    db.session.commit()
    assert rating.status == RegionResultStatus.APPROVED
