"""A credit office's 评定办法 is data: the default follows DOMAIN.md, every part can be changed,
a broken one is refused with a reason she can act on, and a stored version reads back the same."""

import dataclasses
import json

import pytest

from agri_credit.ratings.default_rules import default_rule_set
from agri_credit.ratings.rules import (
    BANDS,
    Band,
    GradeBand,
    RatingRules,
    RuleSetFormatError,
    Threshold,
)
from models import EntityType


def with_household_indicator(rules: RatingRules, key: str, **changes) -> RatingRules:
    indicators = tuple(
        dataclasses.replace(i, **changes) if i.key == key else i for i in rules.household_indicators
    )
    return dataclasses.replace(rules, household_indicators=indicators)


def test_default_rule_set_is_the_domain_sheet():
    rules = default_rule_set()
    assert rules.name == "信用户、信用村、信用乡镇评定办法（系统默认）"
    assert rules.validate() == []
    assert {i.key: i.points for i in rules.household_indicators} == {
        "household_size": 8,
        "labour_count": 8,
        "total_assets": 13,
        "net_assets": 13,
        "coop_shares": 4,
        "net_income": 14,
        "evaluation": 30,
        "repayment": 10,
    }
    evaluation = next(i for i in rules.household_indicators if i.key == "evaluation")
    assert dict(evaluation.categories) == {"优秀": 30, "较好": 25, "一般": 15, "差": 0}
    relative = {i.key for i in rules.household_indicators if i.method == "relative"}
    assert relative == {"total_assets", "net_assets", "net_income"}
    assert [(b.grade, b.min_score) for b in rules.grade_bands] == [
        ("AAA", 80),
        ("AA", 70),
        ("A", 60),
    ]
    assert {g.key for g in rules.gates} == {"overdue_90", "dishonest", "negative_record"}
    assert rules.records.lookback_years == 5


def test_default_area_thresholds_are_the_domain_ones():
    rules = default_rule_set()
    as_tuples = [(t.metric, t.op, t.value) for t in rules.village_thresholds]
    assert as_tuples == [
        ("credit_household_share", ">=", 70),
        ("borrowers_not_overdue_share", ">=", 85),
        ("npl_ratio", "<", 5),
        ("new_npl_ratio", "<", 1),
        ("file_coverage", ">=", 90),
    ]
    assert [(t.metric, t.op, t.value) for t in rules.township_thresholds] == [
        ("credit_village_share", ">=", 50),
        ("borrowers_not_overdue_share", ">=", 90),
        ("npl_ratio", "<", 5),
    ]
    assert [(t.metric, t.value) for t in rules.county_thresholds] == [("credit_village_share", 60)]


def test_every_entity_type_has_a_100_point_sheet():
    rules = default_rule_set()
    for kind in EntityType:
        sheet = rules.entity_indicators(kind.value)
        assert sheet, kind
        assert sum(i.points for i in sheet) == pytest.approx(100), kind
        assert any(i.key == "repayment" for i in sheet), kind


def test_rule_set_survives_a_json_round_trip():
    rules = default_rule_set()
    stored = json.dumps(rules.to_dict(), ensure_ascii=False)
    assert RatingRules.from_dict(json.loads(stored)) == rules
    assert "村评议品行" in stored  # readable Chinese, not \\u escapes


def test_an_edited_copy_round_trips_with_its_changes():
    rules = dataclasses.replace(
        with_household_indicator(
            default_rule_set(), "coop_shares", bands=(Band(None, 1, 0), Band(1, None, 4))
        ),
        name="富平县2026年评定办法",
        village_thresholds=(Threshold("credit_household_share", ">=", 50),),
    )
    again = RatingRules.from_dict(json.loads(json.dumps(rules.to_dict())))
    assert again == rules
    assert again != default_rule_set()
    assert again.village_thresholds[0].value == 50


def test_points_must_add_up_to_100():
    rules = with_household_indicator(
        default_rule_set(), "coop_shares", points=2, bands=(Band(None, None, 2),)
    )
    assert "农户指标分值合计 98 分，应为 100 分" in rules.validate()


def test_overlapping_bands_are_refused():
    bands = (Band(None, 2, 2), Band(2, 4, 4), Band(3, None, 8))
    rules = with_household_indicator(default_rule_set(), "household_size", bands=bands)
    assert rules.validate() == ["指标「家庭人口」第2档与第3档重叠"]


def test_bands_out_of_order_are_refused():
    bands = (Band(4, None, 8), Band(None, 4, 2))
    rules = with_household_indicator(default_rule_set(), "household_size", bands=bands)
    assert rules.validate() == ["指标「家庭人口」分档未按从低到高排列（第1档与第2档）"]


def test_a_band_must_be_wider_than_nothing():
    bands = (Band(None, 2, 2), Band(3, 3, 4), Band(3, None, 8))
    rules = with_household_indicator(default_rule_set(), "household_size", bands=bands)
    assert "指标「家庭人口」第2档下限 3 应小于上限 3" in rules.validate()


def test_the_best_band_must_reach_the_indicator_points():
    bands = (Band(None, 2, 2), Band(2, None, 6))
    rules = with_household_indicator(default_rule_set(), "household_size", bands=bands)
    assert rules.validate() == ["指标「家庭人口」最高档得分 6 分，应等于指标分值 8 分"]


def test_a_band_cannot_score_more_than_its_indicator():
    bands = (Band(None, 2, 2), Band(2, None, 9))
    problems = with_household_indicator(
        default_rule_set(), "household_size", bands=bands
    ).validate()
    assert "指标「家庭人口」第2档得分 9 分，应在 0–8 分之间" in problems


def test_category_points_must_reach_the_indicator_points():
    categories = (("优秀", 25), ("较好", 20), ("一般", 15), ("差", 0))
    rules = with_household_indicator(default_rule_set(), "evaluation", categories=categories)
    assert rules.validate() == ["指标「村评议品行」最高得分 25 分，应等于指标分值 30 分"]


def test_an_indicator_must_read_a_column_the_engine_has():
    rules = with_household_indicator(default_rule_set(), "coop_shares", field="coop_share")
    assert rules.validate() == ["指标「合作社入股」读取的字段 coop_share 不在农户数据中"]


def test_a_text_column_is_scored_by_category_not_bands():
    rules = with_household_indicator(default_rule_set(), "evaluation", method=BANDS)
    assert "指标「村评议品行」字段 evaluation_overall 是分类字段，应按分类计分" in rules.validate()


def test_grade_bands_must_descend():
    rules = dataclasses.replace(
        default_rule_set(),
        grade_bands=(
            GradeBand("AAA", "优秀", 65),
            GradeBand("AA", "良好", 70),
            GradeBand("A", "一般", 60),
        ),
    )
    assert rules.validate() == ["等级分数线应从高到低排列：「AA」70 分应低于「AAA」65 分"]


def test_grade_bands_stay_within_100_points():
    rules = dataclasses.replace(
        default_rule_set(), grade_bands=(GradeBand("AAA", "优秀", 120), GradeBand("A", "一般", 60))
    )
    assert rules.validate() == ["等级「AAA」分数线 120 分，应在 0–100 分之间"]


def test_thresholds_are_percentages():
    rules = dataclasses.replace(
        default_rule_set(), village_thresholds=(Threshold("credit_household_share", ">=", 120),)
    )
    assert rules.validate() == ["信用村条件「信用户占比」为 120%，应在 0–100% 之间"]


def test_a_threshold_must_suit_its_level():
    rules = dataclasses.replace(
        default_rule_set(), county_thresholds=(Threshold("npl_ratio", "<", 5),)
    )
    assert rules.validate() == ["信用县条件「不良贷款率」不适用于信用县评定"]


def test_every_entity_type_needs_a_sheet():
    rules = default_rule_set()
    rules = dataclasses.replace(
        rules,
        entity_sheets=tuple(
            s for s in rules.entity_sheets if s.entity_type != EntityType.COOPERATIVE.value
        ),
    )
    assert rules.validate() == ["缺少农民专业合作社的评分指标"]


def test_an_entity_sheet_must_add_up_to_100():
    rules = default_rule_set()
    farm = rules.entity_sheets[0]
    trimmed = dataclasses.replace(farm, indicators=farm.indicators[1:])  # drop 经营年限 (10)
    rules = dataclasses.replace(rules, entity_sheets=(trimmed, *rules.entity_sheets[1:]))
    assert rules.validate() == ["家庭农场指标分值合计 90 分，应为 100 分"]


def test_an_unknown_gate_comparison_is_refused():
    rules = default_rule_set()
    gate = dataclasses.replace(rules.gates[0], op="≥")
    rules = dataclasses.replace(rules, gates=(gate, *rules.gates[1:]))
    assert rules.validate() == ["否决条件「有逾期90天以上未还的贷款」的比较方式「≥」无法识别"]


def test_a_stored_rule_set_with_a_missing_part_is_refused_in_chinese():
    data = default_rule_set().to_dict()
    del data["grade_bands"]
    with pytest.raises(RuleSetFormatError, match="评定办法缺少「grade_bands」"):
        RatingRules.from_dict(data)


def test_a_stored_rule_set_with_a_word_for_a_number_is_refused():
    data = default_rule_set().to_dict()
    data["household_indicators"][0]["points"] = "八"
    with pytest.raises(RuleSetFormatError, match="应为数字"):
        RatingRules.from_dict(data)
