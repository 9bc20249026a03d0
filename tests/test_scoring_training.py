"""Default-risk score, training (issue 14 points 4 and 6): out-of-time split, LightGBM with
monotone constraints and native categoricals, calibration on the held-out period,
scorecard points and the WOE-logistic baseline on the same split. Pure functions over
DataFrames: no database."""

import numpy as np
import pandas as pd
import pytest

from loans.scoring import metrics
from loans.scoring.scorecard import PointsScale, points
from loans.scoring.synthetic import synthetic_book
from loans.scoring.training import TrainSettings, out_of_time_split, train_model
from tests.scoring_settings import quick_settings

# One xdist worker runs this file (`make test`: --dist loadgroup), so its module-scoped
# fixtures are built once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_scoring_training")


@pytest.fixture(scope="module")
def book():
    return synthetic_book(12_000, seed=11)


@pytest.fixture(scope="module")
def model(book):
    return train_model(
        book.features,
        book.default,
        book.start_on,
        TrainSettings(),
        true_probability=book.true_probability,
        groups={"subject_type": book.features["subject_type"].astype(str).to_numpy()},
    )


def test_points_follow_the_configured_scale():
    scale = PointsScale()
    # Good:bad odds 50:1 is 600 points, twice the odds 20 points more.
    assert points(np.array([1 / 51]))[0] == 600
    assert points(np.array([1 / 101]))[0] == 620
    assert points(np.array([1 / 26]))[0] == 580
    assert points(np.array([0.999999, 1e-9])).tolist() == [300, 900]
    narrow = PointsScale(base_points=500, points_to_double=40, min_points=350, max_points=850)
    assert points(np.array([1 / 51]), narrow)[0] == 500
    assert points(np.array([1 / 101]), narrow)[0] == 540
    assert scale.factor == pytest.approx(20 / np.log(2))


def test_the_split_is_out_of_time(book):
    train, valid, test = out_of_time_split(book.start_on, 0.15, 0.15)
    assert book.start_on[train].max() < book.start_on[valid].min()
    assert book.start_on[valid].max() < book.start_on[test].min()
    assert 0.12 < test.mean() < 0.18 and 0.12 < valid.mean() < 0.18


def test_the_model_finds_the_truth_and_beats_the_baseline(model):
    report = model.metrics
    assert report["rows"] == 12_000
    assert report["auc"] >= 0.95 * report["true_probability_auc"]
    assert report["auc"] > report["baseline_auc"]
    assert report["gini"] == pytest.approx(2 * report["auc"] - 1, abs=1e-3)
    assert 0 < report["ks"] < 1 and 0 < report["brier"] < 0.2
    assert set(report["by_subject_type"]) == {"农户", "新型农业经营主体", "中小微企业"}
    assert len(report["calibration"]) == 10


def test_calibrated_probabilities_match_the_observed_rate(model, book):
    _, _, test = out_of_time_split(book.start_on, 0.15, 0.15)
    predicted = model.probability(book.features[test])
    observed = book.default[test]
    assert abs(predicted.mean() - observed.mean()) < 0.02
    table = metrics.calibration_table(observed, predicted)
    assert table["predicted"].is_monotonic_increasing


def test_more_late_bills_never_lower_the_risk(model, book):
    rows = book.features.iloc[:200]
    previous = None
    for late in range(0, 13):
        varied = rows.assign(electricity_late_count_12m=float(late))
        risk = model.raw_probability(varied)
        if previous is not None:
            assert (risk >= previous - 1e-12).all()
        previous = risk


def test_categories_are_split_natively(model):
    # The booster keeps the category levels it was trained on (pandas_categorical).
    assert model.booster.pandas_categorical is not None
    assert any("农户" in levels for levels in model.booster.pandas_categorical)
    scored = model.probability(
        pd.DataFrame({c: [np.nan] for c in model.features}).astype(
            {"subject_type": pd.CategoricalDtype(["农户", "中小微企业", "新型农业经营主体"])}
        )
    )
    assert 0 < scored[0] < 1


def test_isotonic_calibration_can_be_chosen(book):
    model = train_model(
        book.features,
        book.default,
        book.start_on,
        quick_settings(calibration="isotonic", baseline=False),
    )
    assert model.calibrator.method == "isotonic" and model.calibrator.xs
    _, _, test = out_of_time_split(book.start_on, 0.15, 0.15)
    predicted = model.probability(book.features[test])
    assert abs(predicted.mean() - book.default[test].mean()) < 0.02


def test_the_truth_is_judged_on_the_held_out_loans_that_have_one(book):
    # A ledger retrained as of today mixes loans the generator wrote (truth known) with
    # loans recorded later (none): the truth's AUC stays, over the loans that have one.
    partial = book.true_probability.copy()
    partial[::3] = np.nan
    model = train_model(
        book.features,
        book.default,
        book.start_on,
        quick_settings(baseline=False),
        true_probability=partial,
    )
    report = model.metrics
    _, _, test = out_of_time_split(book.start_on, 0.15, 0.15)
    known = test & ~np.isnan(partial)
    assert report["true_probability_rows"] == known.sum() < report["rows_test"]
    assert report["true_probability_auc"] == pytest.approx(
        metrics.auc(book.default[known], book.true_probability[known]), abs=1e-4
    )
    assert report["auc_on_true_probability_rows"] == pytest.approx(
        metrics.auc(book.default[known], model.probability(book.features[known])), abs=1e-4
    )
