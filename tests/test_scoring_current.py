"""Reading each subject's current score: the newest as-of date wins, whatever model made it,
and a subject never scored has none (callers show 暂无评分)."""

from datetime import date

import numpy as np

from loans.scoring.bands import band_of
from loans.scoring.current import current_score, current_scores
from loans.scoring.scorecard import points
from models import CreditScore, ScoreModel, db


def _model() -> ScoreModel:
    row = ScoreModel(subject_types=["household"], model_text="tree")
    db.session.add(row)
    db.session.flush()
    return row


def _score(model, subject_id, as_of, points, subject_type="household"):
    db.session.add(
        CreditScore(
            subject_type=subject_type,
            subject_id=subject_id,
            model_id=model.id,
            as_of=as_of,
            probability=0.01 * (900 - points) / 6,
            points=points,
            reasons=[{"sentence": "纳税信用等级为A", "points": -12}],
        )
    )


def test_the_newest_as_of_date_is_the_current_score(app):
    old, new = _model(), _model()
    _score(new, 1, date(2026, 6, 30), 610)
    _score(old, 1, date(2026, 9, 30), 655)  # rescored later by the older model: still newest
    _score(new, 2, date(2026, 6, 30), 720)
    _score(new, 1, date(2026, 9, 30), 700, subject_type="entity")  # another type, same id
    db.session.commit()

    frame = current_scores("household")
    assert sorted(frame.index) == [1, 2]
    assert frame.loc[1, "points"] == 655 and frame.loc[1, "model_version"] == old.id
    assert list(current_scores("household", [2])["points"]) == [720]

    one = current_score("household", 1)
    assert (one.points, one.as_of, one.model_version) == (655, date(2026, 9, 30), old.id)
    assert one.reasons[0]["sentence"] == "纳税信用等级为A"


def test_a_subject_never_scored_has_no_score(app):
    assert current_score("enterprise", 99) is None
    assert current_scores("enterprise", [99]).empty


def test_bands_read_as_the_default_probability_they_stand_for():
    # 600 points is odds 50:1 (2 %): a lower-middle risk, not "high risk", for a rural book.
    assert [band_of(p).label for p in (620, 619, 600, 588, 587, 567, 566, 545, 544)] == [
        "低风险",
        "较低风险",
        "较低风险",
        "较低风险",
        "中等风险",
        "中等风险",
        "较高风险",
        "较高风险",
        "高风险",
    ]
    for probability, band in ((0.009, "低风险"), (0.05, "中等风险"), (0.2, "高风险")):
        assert band_of(int(points(np.array([probability]))[0])).label == band
