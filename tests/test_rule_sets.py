"""A county credit office keeps its 评定办法 as versions: the default ships with the app, a
new version starts as a draft copy, a draft is edited with checks in Chinese, and a
published version never changes again. Township offices read; nobody else gets in."""

import re
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from agri_credit.rating_cycle.rulesets.forms import draft_form
from agri_credit.rating_cycle.rulesets.services import (
    RuleSetRefused,
    copy_as_new_version,
    ensure_default_rule_set,
    publish,
    rules_of,
    save_draft,
)
from agri_credit.ratings.default_rules import default_rule_set
from agri_credit.ratings.rules import RatingRules
from models import AuditEvent, Region, RegionLevel, Role, RuleSet, RuleSetStatus, db
from tests import factories as f
from tests.conftest import login

OTHER_COUNTY = "610526000000"


def form_payload(rule_set: RuleSet, **changes: Any) -> dict[str, Any]:
    """What the edit page posts for the draft as it stands, with some fields changed."""
    _, _, values = draft_form(rules_of(rule_set), rule_set.notes, rule_set.cited_title)
    values.update(changes)
    payload: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, bool):
            if value:
                payload[name] = "y"
        elif isinstance(value, list | tuple):
            payload[name] = list(value)
        else:
            payload[name] = "" if value is None else str(value)
    return payload


def field_for(rule_set: RuleSet, label_part: str) -> str:
    """The form field labelled `label_part`, or the one label containing it."""
    form_class, _, _ = draft_form(rules_of(rule_set), rule_set.notes)
    labels = {
        name: str(getattr(form_class, name).args[0])
        for name in dir(form_class)
        if not name.startswith("_") and hasattr(getattr(form_class, name), "args")
    }
    names = [n for n, label in labels.items() if label == label_part] or [
        n for n, label in labels.items() if label_part in label
    ]
    assert len(names) == 1, names
    return names[0]


@pytest.fixture
def colleague(users):
    """A second person of the county office, who publishes what the first one drafted."""
    user = f.make_user("office_county_2", Role.OFFICE, f.COUNTY, display_name="县信用办复核")
    db.session.commit()
    return user


def a_draft(users) -> RuleSet:
    default = ensure_default_rule_set(f.COUNTY)
    draft = copy_as_new_version(default, users["office"])
    db.session.commit()
    return draft


def test_the_county_office_adopts_the_default_rule_set_with_a_button(as_office):
    page = as_office.get("/ratings/rule-sets").get_data(as_text=True)
    assert "启用默认评定办法" in page and "暂无评定办法" in page
    assert db.session.scalar(select(func.count()).select_from(RuleSet)) == 0  # a GET made none

    response = as_office.post("/ratings/rule-sets/default", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已启用默认评定办法（第 1 版）" in page
    assert (
        "信用户、信用村、信用乡镇评定办法（系统默认）" in page
        and "第 1 版" in page
        and "已发布" in page
    )
    assert "启用默认评定办法</button>" not in page
    as_office.post("/ratings/rule-sets/default")  # a second click adds nothing
    assert db.session.scalar(select(func.count()).select_from(RuleSet)) == 1
    shipped = db.session.scalar(select(RuleSet))
    assert shipped.status == RuleSetStatus.PUBLISHED and shipped.scope_code == f.COUNTY
    assert rules_of(shipped) == replace(default_rule_set(), name=shipped.name)


def test_only_the_county_office_adopts_the_default(client, users):
    login(client, "office_town")
    page = client.get("/ratings/rule-sets").get_data(as_text=True)
    assert "启用默认评定办法</button>" not in page
    response = client.post("/ratings/rule-sets/default")
    assert response.status_code == 403 and "您无权访问此页面" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RuleSet)) == 0


def test_seeding_returns_the_newest_published_version(users, colleague):
    first = ensure_default_rule_set(f.COUNTY)
    assert ensure_default_rule_set(f.COUNTY).id == first.id
    draft = copy_as_new_version(first, users["office"])
    assert ensure_default_rule_set(f.COUNTY).id == first.id  # a draft is not for runs
    publish(draft, colleague)
    assert ensure_default_rule_set(f.COUNTY).id == draft.id
    assert db.session.scalar(select(func.count()).select_from(RuleSet)) == 2


def test_version_page_reads_indicators_bands_gates_and_thresholds(as_office):
    rule_set = ensure_default_rule_set(f.COUNTY)
    db.session.commit()
    page = as_office.get(f"/ratings/rule-sets/{rule_set.id}").get_data(as_text=True)
    for text in (
        "家庭人口",
        "低于 2：2分",
        "4 及以上：8分",
        "1.5倍 及以上：13分",  # relative to the village average
        "优秀：30 分",
        "80 分及以上",
        "有逾期90天以上未还的贷款",
        "信用户占比 ≥ 70%",
        "不良贷款率 ＜ 5%",
        "信用村占比 ≥ 50%",
        "失信被执行人、行政处罚",
        "家庭农场评分指标",
        "或按养殖规模",
    ):
        assert text in page, text


def test_copy_makes_a_draft_of_the_next_version(as_office, users):
    default = ensure_default_rule_set(f.COUNTY)
    db.session.commit()
    response = as_office.post(f"/ratings/rule-sets/{default.id}/copy")
    draft = db.session.scalar(select(RuleSet).where(RuleSet.version == 2))
    assert response.status_code == 302 and response.location.endswith(
        f"/ratings/rule-sets/{draft.id}/edit"
    )
    assert draft.status == RuleSetStatus.DRAFT
    assert draft.based_on_id == default.id and draft.body == default.body
    # Copying the first version again numbers after the newest, not after its source.
    as_office.post(f"/ratings/rule-sets/{default.id}/copy")
    versions = db.session.scalars(select(RuleSet.version).order_by(RuleSet.version)).all()
    assert versions == [1, 2, 3]


def test_two_copies_numbered_alike_keep_one_and_explain_the_other(users, monkeypatch):
    default = ensure_default_rule_set(f.COUNTY)
    db.session.commit()
    first = copy_as_new_version(default, users["office"])
    db.session.commit()
    # The second clicker read the newest version before the first copy was written.
    monkeypatch.setattr("agri_credit.rating_cycle.rulesets.services.next_version", lambda source: 2)
    with pytest.raises(RuleSetRefused, match="第 2 版刚刚由他人创建"):
        copy_as_new_version(default, users["office"])
    db.session.commit()  # the session is still usable; nothing else was lost
    versions = db.session.scalars(select(RuleSet.version).order_by(RuleSet.version)).all()
    assert versions == [1, 2] and first.version == 2


def test_editing_a_draft_changes_points_bands_grades_thresholds_and_gates(as_office, users):
    draft = a_draft(users)
    payload = form_payload(
        draft,
        notes="2026年起信用户分数线提高",
        **{
            field_for(draft, "A 分数线"): 65,
            field_for(draft, "信用村：信用户占比（%）"): 60,
            field_for(draft, "农户·家庭人口 第1档得分"): 3,
            field_for(draft, "农户·家庭人口 第1档上限"): 1.5,
            field_for(draft, "信用乡镇：建档率（%）"): 80,
            "record_categories": ["失信被执行人"],
            "lookback_years": 3,
        },
    )
    payload[field_for(draft, "信用乡镇：建档率")] = "y"  # switch on a new township threshold
    del payload[field_for(draft, "被列为失信被执行人")]  # switch a gate off
    response = as_office.post(f"/ratings/rule-sets/{draft.id}/edit", data=payload)
    assert response.status_code == 302, response.get_data(as_text=True)

    db.session.refresh(draft)
    rules = rules_of(draft)
    assert [b.min_score for b in rules.grade_bands] == [80, 70, 65]
    household_size = rules.household_indicators[0]
    assert household_size.bands[0].points == 3 and household_size.bands[0].upper == 1.5
    assert household_size.bands[1].lower == 1.5  # bands stay contiguous
    assert rules.village_thresholds[0].value == 60
    assert ("file_coverage", ">=", 80) in [
        (t.metric, t.op, t.value) for t in rules.township_thresholds
    ]
    assert [g.key for g in rules.gates] == ["overdue_90", "negative_record"]
    assert rules.records.disqualifying_categories == ("失信被执行人",)
    assert rules.records.lookback_years == 3
    assert draft.notes == "2026年起信用户分数线提高"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "ruleset.edit"))


def test_a_gate_switched_off_can_be_switched_on_in_the_next_version(as_office, users, colleague):
    draft = a_draft(users)
    rules = rules_of(draft)
    save_draft(draft, RatingRules.from_dict(rules.to_dict() | {"gates": []}), users["office"])
    publish(draft, colleague)
    nxt = copy_as_new_version(draft, users["office"])
    db.session.commit()
    payload = form_payload(nxt)
    payload[field_for(nxt, "被列为失信被执行人")] = "y"
    assert as_office.post(f"/ratings/rule-sets/{nxt.id}/edit", data=payload).status_code == 302
    db.session.refresh(nxt)
    assert [g.key for g in rules_of(nxt).gates] == ["dishonest"]


def test_an_indicator_left_out_must_have_its_points_moved_and_can_come_back(
    as_office, users, colleague
):
    draft = a_draft(users)
    payload = form_payload(draft)
    del payload[field_for(draft, "农户·合作社入股 计入评分")]  # untick 合作社入股 (4 points)
    page = as_office.post(f"/ratings/rule-sets/{draft.id}/edit", data=payload)
    assert "农户指标分值合计 96 分，应为 100 分" in page.get_data(as_text=True)

    payload[field_for(draft, "农户·家庭纯收入 分值")] = "18"
    payload[field_for(draft, "农户·家庭纯收入 第6档得分")] = "18"
    response = as_office.post(f"/ratings/rule-sets/{draft.id}/edit", data=payload)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(draft)
    kept = rules_of(draft).household_indicators
    assert "coop_shares" not in [i.key for i in kept]
    assert {i.key: i.points for i in kept}["net_income"] == 18

    # The next version offers it again, unticked, with the default's bands.
    publish(draft, colleague)
    nxt = copy_as_new_version(draft, users["office"])
    db.session.commit()
    payload = form_payload(nxt)
    assert field_for(nxt, "农户·合作社入股 计入评分") not in payload
    payload[field_for(nxt, "农户·合作社入股 计入评分")] = "y"
    payload[field_for(nxt, "农户·家庭纯收入 分值")] = "14"
    payload[field_for(nxt, "农户·家庭纯收入 第6档得分")] = "14"
    assert as_office.post(f"/ratings/rule-sets/{nxt.id}/edit", data=payload).status_code == 302
    db.session.refresh(nxt)
    assert [i.key for i in rules_of(nxt).household_indicators][-1] == "coop_shares"
    assert rules_of(nxt).household_indicators[-1] == next(
        i for i in default_rule_set().household_indicators if i.key == "coop_shares"
    )


def test_invalid_edit_is_refused_with_reasons_in_chinese(as_office, users):
    draft = a_draft(users)
    before = dict(draft.body)
    payload = form_payload(
        draft,
        **{
            field_for(draft, "农户·家庭人口 分值"): 10,
            field_for(draft, "AA 分数线"): 85,
            field_for(draft, "信用村：不良贷款率（%）"): 120,
        },
    )
    response = as_office.post(f"/ratings/rule-sets/{draft.id}/edit", data=payload)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "未保存" in page
    assert "农户指标分值合计 102 分，应为 100 分" in page
    assert "指标「家庭人口」最高档得分 8 分，应等于指标分值 10 分" in page
    assert "等级分数线应从高到低排列" in page
    assert "信用村条件「不良贷款率」为 120%，应在 0–100% 之间" in page
    db.session.refresh(draft)
    assert draft.body == before


def test_values_that_are_not_numbers_or_missing_are_named(as_office, users):
    draft = a_draft(users)
    payload = form_payload(draft, **{field_for(draft, "农户·家庭人口 分值"): "八"})
    page = as_office.post(f"/ratings/rule-sets/{draft.id}/edit", data=payload).get_data(
        as_text=True
    )
    assert "请填写数字" in page
    payload = form_payload(draft)
    payload[field_for(draft, "信用乡镇：建档率")] = "y"  # on, with no percent
    page = as_office.post(f"/ratings/rule-sets/{draft.id}/edit", data=payload).get_data(
        as_text=True
    )
    assert "信用乡镇条件「建档率」已启用，请填写百分比" in page


def test_publishing_makes_a_draft_usable_and_immutable(client, users, colleague):
    draft = a_draft(users)
    as_office = login(client, "office_county_2")
    response = as_office.post(f"/ratings/rule-sets/{draft.id}/publish", follow_redirects=True)
    assert "已发布，可用于信用评定" in response.get_data(as_text=True)
    db.session.refresh(draft)
    assert draft.published and draft.published_by_id == colleague.id

    # The edit page turns the user away with the reason...
    response = as_office.get(f"/ratings/rule-sets/{draft.id}/edit", follow_redirects=True)
    assert "已发布，不能修改" in response.get_data(as_text=True)
    # ...and so does a hand-made POST of a perfectly valid form.
    body = dict(draft.body)
    payload = form_payload(draft, **{field_for(draft, "A 分数线"): 65})
    response = as_office.post(
        f"/ratings/rule-sets/{draft.id}/edit", data=payload, follow_redirects=True
    )
    assert "已发布，不能修改" in response.get_data(as_text=True)
    assert as_office.post(f"/ratings/rule-sets/{draft.id}/publish").status_code == 302
    assert as_office.post(f"/ratings/rule-sets/{draft.id}/delete").status_code == 302
    db.session.expire_all()
    kept = db.session.get(RuleSet, draft.id)
    assert kept.body == body and kept.status == RuleSetStatus.PUBLISHED


def test_published_content_cannot_change_through_any_code_path(users):
    published = ensure_default_rule_set(f.COUNTY)
    db.session.commit()
    with pytest.raises(RuleSetRefused, match="已发布"):
        save_draft(published, rules_of(published), users["office"])
    published.body = {**published.body, "name": "改过"}
    with pytest.raises(RuleSetRefused, match="不能修改"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(RuleSet, published.id))
    with pytest.raises(RuleSetRefused, match="不能删除"):
        db.session.flush()
    db.session.rollback()
    db.session.expire_all()
    kept = db.session.get(RuleSet, published.id)
    assert rules_of(kept) == default_rule_set()


def test_publishing_an_invalid_draft_is_refused(as_office, users):
    draft = a_draft(users)
    draft.body = {**draft.body, "grade_bands": []}
    db.session.commit()
    response = as_office.post(f"/ratings/rule-sets/{draft.id}/publish", follow_redirects=True)
    assert "没有信用等级" in response.get_data(as_text=True)
    db.session.refresh(draft)
    assert draft.status == RuleSetStatus.DRAFT


def test_diff_shows_what_changed_against_the_source(as_office, users):
    draft = a_draft(users)
    rules = rules_of(draft)
    data = rules.to_dict()
    data["grade_bands"][2]["min_score"] = 65
    data["village_thresholds"] = data["village_thresholds"][:4]  # drop 建档率
    save_draft(draft, RatingRules.from_dict(data), users["office"])
    db.session.commit()
    page = as_office.get(f"/ratings/rule-sets/{draft.id}/diff").get_data(as_text=True)
    assert "第 2 版相对第 1 版的改动" in page
    assert "A（一般）" in page and "60 分及以上" in page and "65 分及以上" in page
    assert "建档率" in page and "≥ 90%" in page
    assert "家庭人口" not in page  # unchanged settings are not listed


def test_a_draft_can_be_deleted(as_office, users):
    draft = a_draft(users)
    assert as_office.post(f"/ratings/rule-sets/{draft.id}/delete").status_code == 302
    assert db.session.get(RuleSet, draft.id) is None


def test_township_office_reads_the_county_rule_sets_but_cannot_change_them(client, users):
    draft = a_draft(users)
    login(client, "office_town")
    page = client.get("/ratings/rule-sets").get_data(as_text=True)
    assert "评定办法（系统默认）" in page and "复制为新版本" not in page
    assert client.get(f"/ratings/rule-sets/{draft.id}").status_code == 200
    assert client.post(f"/ratings/rule-sets/{draft.id}/copy").status_code == 403
    assert client.get(f"/ratings/rule-sets/{draft.id}/edit").status_code == 403
    assert client.post(f"/ratings/rule-sets/{draft.id}/edit", data={}).status_code == 403
    assert client.post(f"/ratings/rule-sets/{draft.id}/publish").status_code == 403
    assert db.session.get(RuleSet, draft.id).status == RuleSetStatus.DRAFT


@pytest.mark.parametrize("username", ["cadre_a", "officer", "applicant"])
def test_others_have_no_access(client, users, username):
    rule_set = ensure_default_rule_set(f.COUNTY)
    db.session.commit()
    login(client, username)
    assert client.get("/ratings/rule-sets").status_code == 403
    assert client.get(f"/ratings/rule-sets/{rule_set.id}").status_code == 403


def test_another_countys_rule_sets_are_a_404(as_office, users):
    db.session.add(
        Region(code=OTHER_COUNTY, name="蒲城县", level=RegionLevel.COUNTY, parent_code=f.CITY)
    )
    other = ensure_default_rule_set(OTHER_COUNTY)
    db.session.commit()
    assert "蒲城县" not in as_office.get("/ratings/rule-sets").get_data(as_text=True)
    assert as_office.get(f"/ratings/rule-sets/{other.id}").status_code == 404
    assert as_office.post(f"/ratings/rule-sets/{other.id}/copy").status_code == 404


def test_a_refused_edit_marks_the_fields_it_is_about(as_office, users):
    draft = a_draft(users)
    points = field_for(draft, "农户·家庭人口 分值")
    grade = field_for(draft, "AA 分数线")
    npl = field_for(draft, "信用村：不良贷款率（%）")
    untouched = field_for(draft, "信用村：信用户占比（%）")
    payload = form_payload(draft, **{points: 10, grade: 85, npl: 120})
    page = as_office.post(f"/ratings/rule-sets/{draft.id}/edit", data=payload).get_data(
        as_text=True
    )
    for name in (points, grade, npl):
        tag = re.search(rf'<input[^>]*id="{name}"[^>]*>', page).group(0)
        assert "is-invalid" in tag, name
    assert "is-invalid" not in re.search(rf'<input[^>]*id="{untouched}"[^>]*>', page).group(0)
    assert 'invalid-feedback d-block">信用村条件「不良贷款率」为 120%' in page


def test_deleting_a_draft_asks_for_confirmation_first(as_office, users):
    draft = a_draft(users)
    page = as_office.get(f"/ratings/rule-sets/{draft.id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*action="[^"]*/delete"[^>]*>', page).group(0)
    assert "data-confirm=" in form and "不能恢复" in form
