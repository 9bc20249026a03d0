"""Reasons for a score (issue 14 point 7): the four features that raised the risk most and
the two that lowered it most, in plain Chinese with the subject's own value and points."""

import numpy as np
import pytest

from loans.scoring.reasons import reasons_of, score_frame, sentence, top_reasons
from loans.scoring.synthetic import synthetic_book
from loans.scoring.training import TrainSettings, train_model


@pytest.fixture(scope="module")
def model():
    book = synthetic_book(8000, seed=21)
    return train_model(
        book.features, book.default, book.start_on, TrainSettings(baseline=False)
    ), book


def test_sentences_carry_the_subjects_own_value():
    assert sentence("electricity_late_count_12m", 3.0) == "近12个月电费逾期缴费3次"
    assert sentence("tax_grade", "A") == "纳税信用等级为A"
    assert sentence("tax_paid_12m", 123456.0) == "近12个月纳税123,456元"
    assert sentence("dishonest_listed", 1.0) == "被列为失信被执行人"
    assert sentence("tax_paid_12m", float("nan")) == "缺少近12个月纳税额数据（税务）"


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
        "近12个月电费逾期缴费6次",
        "近12个月电费最长逾期80天",
        "既往贷款最差五级分类为3",
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
    assert all(sum(r.points < 0 for r in rs) <= 4 for rs in reasons)
    assert all(sum(r.points > 0 for r in rs) <= 2 for rs in reasons)
    # The batch table says what the one-row explanation says.
    assert reasons[7] == top_reasons(trained, book.features.iloc[7:8])[0]
    # A lower probability is never fewer points.
    order = np.argsort(scored["probability"].to_numpy())
    assert np.all(np.diff(scored["points"].to_numpy()[order]) <= 0)
