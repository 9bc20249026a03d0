"""`flask seed-demo` ends with a loan history to learn from, the first model trained on it
and active, and the county scored (issue 14 point 11); the true default probability behind
each demo loan stays in the instance folder, out of every table and page."""

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from agri_credit.demo import DEMO_PASSWORD
from loans.scoring.registry import active_model
from models import CreditScore, Household, ScoreModel, db


@pytest.mark.real_commits  # seed-demo imports through the departmental importer
def test_a_seeded_county_has_an_active_model_scores_and_a_truth_no_page_shows(
    app, runner, client, monkeypatch
):
    monkeypatch.setitem(app.config, "DEMO_SCORING", True)
    monkeypatch.setitem(app.config, "DEMO_HISTORY_HOUSEHOLDS", 200)
    monkeypatch.setitem(app.config, "SCORING_TEST_SHARE", 0.3)
    monkeypatch.setitem(app.config, "SCORING_VALID_SHARE", 0.2)
    # The first model without the WOE scorecard beside it (most of a training's time); the
    # retrain below fits and reports it.
    monkeypatch.setitem(app.config, "SCORING_BASELINE", False)
    result = runner.invoke(args=["seed-demo", "--households", "300", "--enterprises", "150"])
    assert result.exit_code == 0, result.output
    assert "model_version" in result.output

    # The first model is active for every subject type and every file has its score.
    model = db.session.scalar(select(ScoreModel))
    for kind in ("household", "entity", "enterprise"):
        assert active_model(kind).id == model.id
    scored = dict(
        db.session.execute(
            select(CreditScore.subject_type, func.count()).group_by(CreditScore.subject_type)
        ).all()
    )
    assert scored["household"] == db.session.scalar(select(func.count()).select_from(Household))
    assert scored["enterprise"] == 150 and scored["entity"] > 0

    # Three years of labelled loan starts, learned from and judged against the truth.
    assert model.metrics["rows"] >= 1000
    assert model.metrics["true_probability_auc"] > 0.6
    assert model.metrics["auc"] > 0.55
    truth = pd.read_csv(Path(app.instance_path) / "demo_truth.csv")
    assert list(truth.columns) == ["skey", "loan", "true_probability"]
    # Every generated loan is learned from; the demo's departmental bank ledgers may add loans
    # of their own, which have no truth: the truth's AUC is judged on the loans that have one.
    assert 0 < len(truth) <= model.metrics["rows"]
    assert 0 < model.metrics["true_probability_rows"] <= model.metrics["rows_test"]

    # The truth is in no table, and no page serves it: the report shows only its AUC.
    for table in db.metadata.tables.values():
        assert not [c.name for c in table.columns if "true" in c.name or "truth" in c.name]
    client.post("/login", data={"username": "county_office", "password": DEMO_PASSWORD})
    page = client.get(f"/scoring/models/{model.id}").get_data(as_text=True)
    assert 'id="true-auc"' in page
    shown = {f"{p:.4f}" for p in truth["true_probability"].head(50)}
    assert not [p for p in shown if p in page]
    for url in ("/instance/demo_truth.csv", "/static/../instance/demo_truth.csv"):
        assert client.get(url).status_code == 404

    # A retrain (`flask model train`, as the office's button runs it) reads the same ledger as
    # of today, where loans without a truth may join: the truth's AUC is still reported, on
    # the held-out loans that have one.
    monkeypatch.setitem(app.config, "SCORING_BASELINE", True)
    trained = runner.invoke(args=["model", "train"])
    assert trained.exit_code == 0, trained.output
    summary = json.loads(trained.output.strip().splitlines()[-1])
    for key in ("model_version", "auc", "ks", "baseline_auc", "true_probability_auc", "rows"):
        assert summary[key] is not None, key
    assert 0 < summary["true_probability_rows"] <= summary["rows_test"]
