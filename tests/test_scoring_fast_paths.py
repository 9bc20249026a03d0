"""The fast paths of the score (issue 14 figures): contributions computed once per split
pattern equal LightGBM's own pred_contrib; the batch scorer and one subject's score on demand
give the same points and reasons; neither lets in a record dated or imported after the date."""

from datetime import date, datetime

import lightgbm as lgb
import numpy as np
import pytest
from sqlalchemy import select

from loans.scoring import contributions as fast
from loans.scoring.reasons import reasons_of, score_frame
from loans.scoring.registry import promote, save_model
from loans.scoring.service import score_one, score_scope
from loans.scoring.synthetic import synthetic_book
from loans.scoring.synthetic_county import build_synthetic_county
from loans.scoring.training import train_model
from models import CreditScore, Household, LoanStatus, PublicRecordKind, Source, db
from tests import departmental_factories as d
from tests.scoring_settings import quick_settings

AS_OF = date(2026, 6, 30)


# One xdist worker runs this file (`make test`: --dist loadgroup), so its module-scoped
# fixtures are built once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_scoring_fast_paths")


@pytest.fixture(scope="module")
def trained():
    book = synthetic_book(6000, seed=11)
    return train_model(book.features, book.default, book.start_on, quick_settings(baseline=False))


def test_contributions_per_split_pattern_equal_lightgbm_pred_contrib(trained):
    frame = trained.prepare(synthetic_book(3000, seed=12).features)
    frame.loc[frame.index[:50], "tax_grade"] = None  # missing categories go LightGBM's way
    reference = trained.booster.predict(frame, pred_contrib=True)
    contrib, raw = fast.contributions(trained.booster, frame, few_rows=0)
    np.testing.assert_allclose(contrib, reference[:, :-1], rtol=0, atol=1e-9)
    np.testing.assert_allclose(raw, trained.booster.predict(frame, raw_score=True), atol=1e-9)
    # The batch's reasons (fast path) are the reasons LightGBM's own numbers give.
    rows = frame.index[:200]
    batch = reasons_of(score_frame(trained, frame))[:200]
    one_by_one = [reasons_of(score_frame(trained, frame.loc[[i]]))[0] for i in rows]
    assert batch == one_by_one


@pytest.mark.parametrize(
    "params",
    [
        {"num_leaves": 8, "max_depth": 3},  # the defaults' shape: tables kept with the booster
        {"num_leaves": 8, "max_depth": 3, "use_missing": False},  # missing read as 0
        {"num_leaves": 8, "max_depth": 3, "zero_as_missing": True},  # zero is missing
        {"num_leaves": 15, "max_depth": 4},  # over 10 splits: tables per batch
    ],
)
def test_contributions_equal_pred_contrib_for_every_kind_of_split(params, monkeypatch):
    book = synthetic_book(3000, seed=13)
    frame = book.features
    booster = lgb.train(
        {"objective": "binary", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 20, **params},
        lgb.Dataset(frame, book.default),
        num_boost_round=40,
    )
    # Small blocks: patterns first seen in a later block are asked of LightGBM then.
    monkeypatch.setattr(fast, "BLOCK", 256)
    for seed in (14, 15):  # the second batch reuses the tables the first one filled
        rows = synthetic_book(2000, seed=seed).features
        rows.loc[rows.index[:40], "tax_grade"] = None
        reference = booster.predict(rows, pred_contrib=True)
        contrib, raw = fast.contributions(booster, rows, few_rows=0)
        np.testing.assert_allclose(contrib, reference[:, :-1], rtol=0, atol=1e-9)
        np.testing.assert_allclose(raw, booster.predict(rows, raw_score=True), atol=1e-9)


@pytest.fixture
def scored_county(app, users, trained, monkeypatch):
    """A small synthetic county, the model active for every type, the batch scorer forced onto
    its fast path (any batch of 2 or more rows)."""
    monkeypatch.setattr(fast, "FEW_ROWS", 2)
    # 36 subjects of the three types: each is scored again on its own below (the slow path
    # per subject), so the county is no larger than the comparison needs.
    build_synthetic_county(
        users["office"], AS_OF, households=24, entities=6, enterprises=6, months=30, seed=4
    )
    row = save_model(trained, users["office"])
    for kind in row.subject_types:
        promote(row, kind, users["office"], "测试")
    db.session.commit()
    score_scope(None, AS_OF, app.config)
    return _stored()


def _stored() -> dict[tuple[str, int], tuple[int, list]]:
    rows = db.session.execute(
        select(
            CreditScore.subject_type,
            CreditScore.subject_id,
            CreditScore.points,
            CreditScore.reasons,
        ).order_by(CreditScore.id)
    ).all()
    return {(r.subject_type, r.subject_id): (r.points, r.reasons) for r in rows}


def test_the_batch_and_one_subject_give_the_same_score_and_reasons(app, scored_county):
    assert len(scored_county) == 36
    assert {kind for kind, _ in scored_county} == {"household", "entity", "enterprise"}
    for (kind, subject_id), (points, reasons) in scored_county.items():
        one = score_one(kind, subject_id, AS_OF, app.config)
        assert (one["points"], one["reasons"]) == (points, reasons), (kind, subject_id)
    assert any(reasons for _, reasons in scored_county.values())


def _batch(source, user, imported: datetime):
    batch = d.make_batch(source, user)
    batch.created_at = batch.finished_at = imported
    db.session.flush()
    return batch


def test_records_dated_or_imported_after_the_date_change_no_fast_path_score(
    app, users, scored_county
):
    households = db.session.scalars(select(Household).order_by(Household.id).limit(5)).all()
    before = {h.id: score_one("household", h.id, AS_OF, app.config) for h in households}
    late, early = datetime(2026, 7, 2), datetime(2026, 6, 1)
    bank = _batch(Source.BANK_LOAN, users["office"], late)
    power = _batch(Source.ELECTRICITY, users["office"], late)
    public = _batch(Source.PUBLIC_RECORD, users["office"], early)
    for n, household in enumerate(households):
        key = d.key_for_household(household)
        # Imported after the date: a defaulted loan and late bills.
        d.loan(key, bank, f"LATE{n}", LoanStatus.LOSS, days_overdue=400, start_on=date(2025, 1, 1))
        d.utility(key, power, 2026, 5, 99999, days_late=90, account_no=f"L{n}")
        # Imported in time, dated after it: a 失信 listing.
        d.public_record(key, public, PublicRecordKind.DISHONEST, "失信", date(2026, 7, 15))
    db.session.commit()
    for household in households:
        assert score_one("household", household.id, AS_OF, app.config) == before[household.id]
    db.session.execute(db.delete(CreditScore))
    score_scope(None, AS_OF, app.config)
    assert _stored() == scored_county
    # As of a later date the same records count.
    later = score_one("household", households[0].id, date(2026, 12, 31), app.config)
    assert later["points"] < before[households[0].id]["points"]
