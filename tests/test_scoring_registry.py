"""Default-risk score against the database (issue 14 points 4, 8 and 9): `flask model train`
on a synthetic county with a known truth, the model stored in the registry, promotion and
rollback with a written reason, and `flask model score` keeping history."""

import json
from datetime import date

import numpy as np
import pytest
from sqlalchemy import func, select

from loans.scoring.labels import LabelRules
from loans.scoring.registry import RegistryRefused, active_model, load_model, promote, rollback
from loans.scoring.service import score_one, train_county, training_data
from loans.scoring.synthetic_county import build_synthetic_county
from models import AuditEvent, CreditScore, Household, ScoreModel, db

AS_OF = date(2026, 6, 30)


# The county the model's figures are judged on; the tests that only store, promote and score
# a model use a smaller one (each county is written to the database for each test).
FULL = {"households": 1000, "entities": 250, "enterprises": 250}
SMALL = {"households": 500, "entities": 120, "enterprises": 120}


def _county(app, users, monkeypatch, sizes: dict[str, int]):
    # Judge on the most recent 30% of the starts: enough held-out loans to tell a model
    # from chance in a county this small. (monkeypatch: the app outlives the test, and under
    # xdist the next test on this worker is any test.)
    monkeypatch.setitem(app.config, "SCORING_TEST_SHARE", 0.3)
    monkeypatch.setitem(app.config, "SCORING_VALID_SHARE", 0.2)
    return build_synthetic_county(users["office"], AS_OF, **sizes, months=40, seed=3)


@pytest.fixture
def county(app, users, monkeypatch):
    return _county(app, users, monkeypatch, FULL)


@pytest.fixture
def small_county(app, users, monkeypatch):
    # The WOE scorecard (most of a training's time here) is the first test's to show.
    monkeypatch.setitem(app.config, "SCORING_BASELINE", False)
    return _county(app, users, monkeypatch, SMALL)


def _train(runner, tmp_path, county, *extra):
    truth = tmp_path / "truth.csv"
    county.truth.to_csv(truth, index=False)
    result = runner.invoke(
        args=["model", "train", "--as-of", AS_OF.isoformat(), "--truth", str(truth), *extra]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_train_stores_the_model_and_prints_its_figures(runner, tmp_path, county, app):
    report = _train(runner, tmp_path, county, "--user", "office_county", "--activate", "首个模型")
    assert {"model_version", "auc", "ks", "baseline_auc", "true_probability_auc", "rows"} <= set(
        report
    )
    assert report["rows"] > 300
    assert report["true_probability_auc"] > 0.7
    assert report["auc"] > 0.6
    stored = db.session.get(ScoreModel, report["model_version"])
    assert stored.model_text.startswith("tree")
    assert stored.trained_by.username == "office_county"
    assert stored.data_hash and stored.train_from < stored.train_to
    assert stored.metrics["auc"] == report["auc"]
    for kind in ("household", "entity", "enterprise"):
        assert active_model(kind).id == stored.id
    # The registry's copy predicts what the trained model predicted.
    again = _train(runner, tmp_path, county)
    assert again["auc"] == report["auc"]  # same data, same seed, same model


def test_score_keeps_history_with_model_version_and_date(runner, tmp_path, small_county, app):
    report = _train(runner, tmp_path, small_county, "--activate", "首个模型")
    first = runner.invoke(args=["model", "score", "--as-of", "2026-06-30"])
    assert first.exit_code == 0, first.output
    printed = json.loads(first.output)
    assert printed["scored"] == {
        "household": SMALL["households"],
        "entity": SMALL["entities"],
        "enterprise": SMALL["enterprises"],
    }
    # Population stability against the training data, with its warning level.
    stability = printed["stability"]["household"]
    assert "points" in stability and len(stability) == 11
    assert all(v["level"] in ("稳定", "关注", "偏移") for v in stability.values())
    runner.invoke(args=["model", "score", "--as-of", "2026-07-31"])
    assert db.session.scalar(select(func.count()).select_from(CreditScore)) == 2 * sum(
        SMALL.values()
    )
    score = db.session.scalars(select(CreditScore).order_by(CreditScore.id)).first()
    assert score.model_id == report["model_version"] and score.as_of == AS_OF
    assert 300 <= score.points <= 900 and score.reasons
    assert all(isinstance(r["sentence"], str) and r["points"] for r in score.reasons)
    # On demand, one subject: the same figure as the batch.
    one = score_one(score.subject_type, score.subject_id, AS_OF, app.config)
    assert one["points"] == score.points and one["model_version"] == score.model_id


def test_promote_and_rollback_need_a_reason_and_are_audited(small_county, app, users):
    first, _ = train_county(AS_OF, users["office"], app.config, activate_reason="首个模型")
    second, _ = train_county(AS_OF, users["office"], app.config)
    v2 = db.session.get(ScoreModel, second)
    with pytest.raises(RegistryRefused, match="请填写启用或回退模型的理由"):
        promote(v2, "household", users["office"], "  ")
    household = db.session.scalar(select(Household.id).order_by(Household.id).limit(1))
    assert score_one("household", household, AS_OF, app.config)["model_version"] == first
    promote(v2, "household", users["office"], "新模型在近期贷款上更准")
    db.session.commit()
    assert active_model("household").id == second
    assert active_model("entity").id == first
    # One subject's score follows the promotion at once, though each model is parsed once
    # per process and kept.
    assert score_one("household", household, AS_OF, app.config)["model_version"] == second
    back = rollback("household", users["office"], "新模型对农户评分偏低，先回退")
    db.session.commit()
    assert back.id == first and active_model("household").id == first
    assert score_one("household", household, AS_OF, app.config)["model_version"] == first
    reasons = [
        e.changes.get("reason")
        for e in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "score_model.promote")
            .order_by(AuditEvent.id)
        )
    ]
    assert reasons[-2:] == ["新模型在近期贷款上更准", "新模型对农户评分偏低，先回退"]


def test_the_stored_model_scores_like_the_trained_one(small_county, app, users):
    version, _ = train_county(AS_OF, users["office"], app.config)
    stored = db.session.get(ScoreModel, version)
    loaded = load_model(stored)
    data = training_data(AS_OF, LabelRules(), "Asia/Shanghai")
    p = loaded.probability(data.features)
    assert np.all((p > 0) & (p < 1)) and len(p) == len(data.labels)
    # The same calibrated probabilities give back the stored test-period figures.
    assert stored.metrics["rows"] == len(data.labels)
