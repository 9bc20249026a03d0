"""Reasons for a score (issue 14 point 7): the four features that raised the risk most and
the two that lowered it most, in plain Chinese with the subject's own value and points."""

import re

import numpy as np
import pytest

from loans.scoring.catalog import CATEGORY, FEATURES, FLAG, Feature
from loans.scoring.reasons import reasons_of, score_frame, sentence, top_reasons
from loans.scoring.synthetic import synthetic_book
from loans.scoring.training import train_model
from tests.scoring_settings import quick_settings

# One xdist worker runs this file (`make test`: --dist loadgroup), so its module-scoped
# fixtures are built once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_scoring_reasons")


@pytest.fixture(scope="module")
def model():
    book = synthetic_book(8000, seed=21)
    return train_model(
        book.features, book.default, book.start_on, quick_settings(baseline=False)
    ), book


def test_sentences_carry_the_subjects_own_value():
    assert sentence("electricity_late_count_12m", 3.0) == "近12个月电费逾期缴纳3次"
    assert sentence("tax_grade", "A") == "纳税信用等级为A"
    assert sentence("tax_paid_12m", 123456.0) == "近12个月纳税12.35万元"
    assert sentence("tax_paid_12m", 8500.0) == "近12个月纳税8,500元"
    assert sentence("dishonest_listed", 1.0) == "被列为失信被执行人"
    assert sentence("dishonest_listed", 0.0) == "未被列为失信被执行人"


def test_model_quantities_read_as_what_a_farmer_knows():
    # A trend is stored as log(1 + now) - log(1 + before): read as a percentage change.
    assert sentence("electricity_trend", np.log(0.59)) == "近3个月用电量比去年同期少41%"
    assert sentence("electricity_trend", np.log(1.25)) == "近3个月用电量比去年同期多25%"
    assert sentence("water_trend", np.log(1.02)) == "近3个月用水量与去年同期基本持平"
    assert sentence("tax_trend", np.log(2.5)) == "近12个月纳税额是上一年的2.5倍"
    assert sentence("debt_ratio", 0.82) == "资产负债率82%"
    assert sentence("past_worst_class", 2.0) == "既往贷款最差五级分类为次级"
    assert sentence("years_operating", 3.25) == "已经营3.2年"
    assert sentence("years_operating", 0.4) == "经营不足1年"
    assert sentence("total_assets", 3.6e8) == "资产总额3.6亿元"
    assert sentence("si_arrears_months_12m", 2.0) == "近12个月社保欠费2个月"
    assert sentence("months_since_overdue", 7.0) == "距最近一次贷款逾期已7个月"
    assert sentence("land_mu", 5.5) == "经营土地5.5亩"


def test_zero_and_missing_values_say_what_is_not_there():
    assert sentence("electricity_late_count_12m", 0.0) == "近12个月电费均按时缴纳"
    assert sentence("past_max_days_overdue", 0.0) == "既往贷款从未逾期"
    assert sentence("penalty_serious_5y", 0.0) == "近5年没有严重行政处罚"
    assert sentence("tax_paid_12m", float("nan")) == "没有纳税记录"
    assert sentence("si_months_paid_12m", None) == "没有社保缴费记录"
    assert sentence("gas_late_count_12m", float("nan")) == "没有燃气费缴纳记录"
    assert sentence("electricity_trend", float("nan")) == ("没有去年同期的用电量记录，无法比较变化")
    assert sentence("evaluation_overall", None) == "没有村评议结果"
    assert sentence("rating_grade", None) == "没有生效的信用等级"
    assert sentence("thin_social_insurance", 1.0) == "没有社保缴费记录"


# Typical values per feature kind; trends and ratios as the features store them.
TYPICAL = {"trend": [np.log(0.6), 0.0, np.log(1.3), np.log(4.0)], "ratio": [0.0, 0.35, 0.9]}
# English words, feature codes, nan/None/inf (credit grades such as AAA are capitals), model
# units and raw decimals or negative numbers.
LEAKS = re.compile(r"[a-z_]{2,}|对数比|变异系数|比率|\d\.\d{3,}|-\d")


def _typical_values(feature: Feature) -> list:
    if feature.kind == CATEGORY:
        return ["A", "优秀", "农户", None]
    if feature.kind == FLAG:
        return [0.0, 1.0, np.nan]
    if feature.unit == "对数比":
        return [*TYPICAL["trend"], np.nan]
    if feature.unit in ("比率", "变异系数"):
        return [*TYPICAL["ratio"], np.nan]
    return [0.0, 1.0, 3.0, 12.0, 48.0, 8_500.0, 123_456.0, 2.5e8, np.nan]


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.column)
def test_every_feature_has_a_readable_sentence_for_every_value(feature):
    texts = [sentence(feature.column, v) for v in _typical_values(feature)]
    for text in texts:
        assert text and not LEAKS.search(text), (feature.column, text)
        assert feature.column not in text
    # A value that raises the risk and one that lowers it read differently.
    assert len(set(texts)) >= 2, texts
    if feature.kind == "number" and feature.unit in ("元", "万元"):
        assert any("万元" in t or "亿元" in t for t in texts), texts


def test_a_risky_subject_is_told_what_raised_the_risk(model):
    trained, book = model
    frame = book.features.iloc[:1].copy()
    frame["electricity_late_count_12m"] = 6.0
    frame["electricity_max_days_late_12m"] = 80.0
    frame["dishonest_listed"] = 1.0
    frame["past_worst_class"] = 3.0
    frame["past_max_days_overdue"] = 150.0
    reasons = top_reasons(trained, frame)[0]
    raising = [r for r in reasons if r.points < 0]
    lowering = [r for r in reasons if r.points > 0]
    assert 1 <= len(raising) <= 4 and len(lowering) <= 2
    assert reasons[: len(raising)] == raising  # raising reasons come first, largest first
    assert [r.points for r in raising] == sorted(r.points for r in raising)
    sentences = [r.sentence for r in raising]
    planted = {
        "被列为失信被执行人",
        "近12个月电费逾期缴纳6次",
        "近12个月电费最长逾期80天",
        "既往贷款最差五级分类为可疑",
        "既往贷款最长逾期150天",
    }
    assert len(planted & set(sentences)) >= 2


def test_every_score_has_points_and_reasons(model):
    trained, book = model
    scored = score_frame(trained, book.features.iloc[:500])
    assert scored["points"].between(300, 900).all()
    reasons = reasons_of(scored)
    assert all(len(rs) > 0 for rs in reasons)
    assert all(
        isinstance(r.sentence, str) and isinstance(r.column, str) for rs in reasons for r in rs
    )
    assert not [r.sentence for rs in reasons for r in rs if LEAKS.search(r.sentence)]
    assert all(sum(r.points < 0 for r in rs) <= 4 for rs in reasons)
    assert all(sum(r.points > 0 for r in rs) <= 2 for rs in reasons)
    # The batch table says what the one-row explanation says.
    assert reasons[7] == top_reasons(trained, book.features.iloc[7:8])[0]
    # A lower probability is never fewer points.
    order = np.argsort(scored["probability"].to_numpy())
    assert np.all(np.diff(scored["points"].to_numpy()[order]) <= 0)
