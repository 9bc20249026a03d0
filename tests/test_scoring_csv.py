"""`flask model train-csv` (issue 14 point 10): a bank tries the method on its own loan book,
a CSV with numbers, text and gaps, without the database."""

import json

import numpy as np
import pandas as pd
import pytest

from agri_credit.config import TestConfig
from app import create_app
from loans.scoring import metrics


@pytest.fixture
def runner():
    # The command reads no database: the app alone is enough.
    return create_app(TestConfig).test_cli_runner()


def _loan_book(path, rows: int = 6000, seed: int = 5) -> np.ndarray:
    """A CSV whose default probability is a known non-linear function of its columns; returns
    that probability."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(10, 0.7, rows)
    days_late = rng.poisson(1.0, rows).astype(float)
    region = rng.choice(["东乡", "西乡", "南乡"], rows)
    purpose = rng.choice(["种植", "养殖", "经营"], rows)
    z = -2.5 + 1.8 * np.sin(np.log(income) * 2) + 0.6 * np.minimum(days_late, 4)
    z += np.where((region == "西乡") & (purpose == "养殖"), 1.5, 0.0)
    probability = 1 / (1 + np.exp(-z))
    outcome = np.where(rng.random(rows) < probability, "违约", "正常")
    frame = pd.DataFrame(
        {
            "合同号": [f"HT{i:06d}" for i in range(rows)],
            "年收入": np.where(rng.random(rows) < 0.1, np.nan, income.round(0)),
            "逾期次数": days_late,
            "乡镇": region,
            "用途": np.where(rng.random(rows) < 0.05, None, purpose),
            "结果": outcome,
        }
    )
    frame.to_csv(path, index=False)
    return probability, (outcome == "违约").astype(int)


def test_train_csv_cross_validates_and_prints_json(runner, tmp_path):
    path = tmp_path / "book.csv"
    truth, y = _loan_book(path)
    result = runner.invoke(
        args=["model", "train-csv", str(path), "--target", "结果", "--positive", "违约"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["rows"] == 6000
    assert len(report["cv_auc_folds"]) == 5
    assert report["cv_auc"] == pytest.approx(np.mean(report["cv_auc_folds"]), abs=1e-3)
    # Text columns are categories, the contract number is an identifier and left out.
    assert report["features"] == ["年收入", "逾期次数", "乡镇", "用途"]
    assert report["categorical"] == ["乡镇", "用途"]
    assert report["dropped_id_like"] == ["合同号"]
    best = metrics.auc(y, truth)
    assert report["cv_auc"] >= 0.93 * best
    assert 0 < report["cv_ks"] < 1
    # The tree model finds the sine and the interaction a WOE-logistic scorecard cannot.
    assert report["cv_auc"] > report["baseline_cv_auc"]


def test_train_csv_refuses_an_unknown_or_unreadable_target(runner, tmp_path):
    path = tmp_path / "book.csv"
    _loan_book(path, rows=300)
    missing = runner.invoke(args=["model", "train-csv", str(path), "--target", "违约标志"])
    assert missing.exit_code != 0
    assert "'违约标志' not in the CSV" in missing.output
    not_binary = runner.invoke(args=["model", "train-csv", str(path), "--target", "结果"])
    assert not_binary.exit_code != 0
    assert "--positive" in not_binary.output
