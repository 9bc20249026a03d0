"""Default-risk score, features and labels (issue 14 points 2 and 3): what the model may see
as of a date, read from the database, and how loans are labelled from the ledgers."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from loans.scoring.asof import HOUSEHOLD, requests_for, subject_key
from loans.scoring.catalog import FEATURES, assert_no_protected, feature_columns
from loans.scoring.features import build_features
from loans.scoring.features_utilities import utility_features
from loans.scoring.labels import label_loans
from loans.scoring.store import load_sources, loan_versions
from models import LoanStatus, PublicRecordKind, Source, db
from tests import departmental_factories as d
from tests import factories as f

AS_OF = date(2025, 6, 30)


def _batch(source, user, imported: datetime):
    batch = d.make_batch(source, user)
    batch.created_at = imported
    batch.finished_at = imported
    db.session.flush()
    return batch


def _features(household, as_of: date = AS_OF) -> pd.Series:
    sources = load_sources(as_of)
    requests = requests_for([subject_key(HOUSEHOLD, household.id)], pd.Timestamp(as_of))
    return build_features(sources, requests).iloc[0]


@pytest.fixture
def borrower(app, cipher, users):
    """A household with tax, electricity, public and loan records imported before AS_OF."""
    household = f.make_household(cipher, users["cadre"])
    household.created_at = datetime(2023, 1, 1)
    key = d.key_for_household(household)
    early = datetime(2025, 3, 1)
    tax = _batch(Source.TAX, users["office"], early)
    d.tax(key, tax, 2024, 12000, grade="B", filing_months=12)
    d.tax(key, tax, 2023, 8000, grade="M", filing_months=10)
    power = _batch(Source.ELECTRICITY, users["office"], early)
    for month in range(1, 13):
        d.utility(key, power, 2024, month, 300 + 10 * month, days_late=12 if month == 9 else 0)
    public = _batch(Source.PUBLIC_RECORD, users["office"], early)
    d.public_record(
        key, public, PublicRecordKind.PENALTY, "违规经营", date(2024, 8, 1), severity="minor"
    )
    bank = _batch(Source.BANK_LOAN, users["office"], early)
    d.loan(key, bank, "JK1", LoanStatus.SPECIAL_MENTION, days_overdue=40, start_on=date(2023, 3, 1))
    db.session.commit()
    return household, key


def test_features_read_each_source_as_of_the_date(borrower):
    household, _ = borrower
    row = _features(household)
    assert row["tax_paid_12m"] == 12000  # the 2024 yearly row, dated December 2024
    assert row["tax_paid_24m"] == 20000
    assert row["tax_grade"] == "B"
    # The twelve months up to June 2025: July to December 2024 have bills.
    assert row["electricity_consumption_12m"] == sum(300 + 10 * m for m in range(7, 13))
    assert row["electricity_late_count_12m"] == 1
    assert row["electricity_max_days_late_12m"] == 12
    assert row["penalty_minor_5y"] == 1
    assert row["past_loan_count"] == 1
    assert row["past_worst_class"] == 1
    assert row["past_max_days_overdue"] == 40
    assert row["subject_type"] == "农户"
    assert row["thin_tax"] == 0 and row["thin_utilities"] == 0


def test_records_dated_or_imported_after_the_date_change_nothing(borrower, users):
    household, key = borrower
    before = _features(household)
    # Imported after AS_OF: a correction of the 2024 tax, new bills, a penalty and a default.
    late = datetime(2025, 7, 2)
    tax = _batch(Source.TAX, users["office"], late)
    old_tax = db.session.query(d.TaxRecord).filter_by(year=2024).one()
    d.supersede(old_tax, tax, tax_paid=1, tax_grade="D")
    power = _batch(Source.ELECTRICITY, users["office"], late)
    d.utility(key, power, 2025, 3, 99999, days_late=80)
    bank = _batch(Source.BANK_LOAN, users["office"], late)
    d.loan(key, bank, "JK2", LoanStatus.LOSS, days_overdue=400, start_on=date(2024, 1, 1))
    # Imported in time but dated after AS_OF.
    early = datetime(2025, 6, 1)
    public = _batch(Source.PUBLIC_RECORD, users["office"], early)
    d.public_record(key, public, PublicRecordKind.DISHONEST, "失信", date(2025, 7, 15))
    power_early = _batch(Source.WATER, users["office"], early)
    d.utility(key, power_early, 2025, 7, 50, utility=Source.WATER, days_late=30)
    db.session.commit()

    after = _features(household)
    pd.testing.assert_series_equal(before, after)
    # The same records do count as of a later date.
    later = _features(household, date(2025, 12, 31))
    assert later["tax_grade"] == "D"
    assert later["past_max_days_overdue"] == 400
    assert later["dishonest_listed"] == 1


def test_a_source_without_rows_is_missing_and_flagged_thin(app, cipher, users):
    household = f.make_household(cipher, users["cadre"])
    household.created_at = datetime(2023, 1, 1)
    db.session.commit()
    row = _features(household)
    assert np.isnan(row["tax_paid_12m"]) and row["thin_tax"] == 1
    assert np.isnan(row["si_insured_count"]) and row["thin_social_insurance"] == 1
    assert np.isnan(row["electricity_consumption_12m"]) and row["thin_utilities"] == 1
    assert np.isnan(row["past_loan_count"]) and row["thin_loans"] == 1
    assert row["thin_file_sources"] == 5
    # The file's own figures are there: it existed by the date.
    assert row["land_mu"] == 8


def test_a_file_created_after_the_date_is_not_read(app, cipher, users):
    household = f.make_household(cipher, users["cadre"])
    household.created_at = datetime(2025, 8, 1)
    db.session.commit()
    assert np.isnan(_features(household)["land_mu"])


def test_a_repaired_or_expired_penalty_no_longer_counts(app, cipher, users):
    household = f.make_household(cipher, users["cadre"])
    key = d.key_for_household(household)
    batch = _batch(Source.PUBLIC_RECORD, users["office"], datetime(2025, 1, 1))
    d.public_record(
        key, batch, PublicRecordKind.PENALTY, "旧处罚", date(2019, 1, 1), severity="serious"
    )
    d.public_record(
        key, batch, PublicRecordKind.PENALTY, "近处罚", date(2024, 1, 1), severity="serious"
    )
    db.session.commit()
    assert _features(household)["penalty_serious_5y"] == 1


def test_gender_and_ethnicity_are_never_features():
    columns = feature_columns()
    assert_no_protected(columns)
    assert not any("gender" in c or "ethnic" in c for c in columns)
    with pytest.raises(ValueError):
        assert_no_protected([*columns, "head_gender"])
    assert all(f.name and f.source for f in FEATURES)


def test_labels_use_the_worst_state_any_version_reported_in_the_window(app, cipher, users):
    household = f.make_household(cipher, users["cadre"])
    key = d.key_for_household(household)
    first = _batch(Source.BANK_LOAN, users["office"], datetime(2023, 6, 1))
    bad = d.loan(
        key, first, "BAD", LoanStatus.SUBSTANDARD, days_overdue=95, start_on=date(2023, 1, 10)
    )
    bad.as_of = date(2023, 5, 31)
    d.loan(key, first, "GOOD", LoanStatus.NORMAL, start_on=date(2023, 2, 1))
    d.loan(key, first, "LATE", LoanStatus.NORMAL, days_overdue=200, start_on=date(2022, 1, 1))
    d.loan(key, first, "YOUNG", LoanStatus.NORMAL, start_on=date(2025, 3, 1))
    # A later file says the bad loan recovered: the label still remembers the window.
    second = _batch(Source.BANK_LOAN, users["office"], datetime(2024, 6, 1))
    d.supersede(
        bad, second, status=LoanStatus.NORMAL.value, days_overdue=0, as_of=date(2024, 5, 31)
    )
    db.session.commit()

    labels = label_loans(loan_versions(date(2025, 12, 31)), pd.Timestamp(2025, 12, 31))
    by_loan = labels.set_index(labels["loan"].str.split("/").str[1])["default"].to_dict()
    # LATE: 200 days overdue reported 2023-06-01 means 90 days were reached in 2023-03,
    # more than 12 months after its start in 2022-01: not a default within the window.
    assert by_loan == {"BAD": 1, "GOOD": 0, "LATE": 0}
    assert labels.set_index("start_on").loc[
        pd.Timestamp(2023, 1, 10), "features_as_of"
    ] == pd.Timestamp(2022, 12, 31)


def test_outcomes_recorded_by_banks_join_the_same_labels():
    ts = pd.Timestamp
    versions = pd.DataFrame(
        {
            "skey": [1, 1],
            "loan": ["行/A", "行/B"],
            "amount": [1000.0, 2000.0],
            "start_on": [ts(2024, 1, 5), ts(2024, 2, 5)],
            "status": ["normal", "normal"],
            "days_overdue": [0, 0],
            "reported_on": [ts(2024, 1, 31), ts(2024, 2, 29)],
            "visible_from": [ts(2024, 2, 5), ts(2024, 3, 5)],
            "visible_until": [pd.NaT, pd.NaT],
        }
    )
    # The bank recorded on the platform that loan B defaulted; loan C is known only there.
    outcomes = pd.DataFrame(
        {
            "skey": [1, 1],
            "loan": ["行/B", "行/C"],
            "start_on": [ts(2024, 2, 5), ts(2024, 3, 1)],
            "amount": [2000.0, 500.0],
            "default": [1, 0],
        }
    )
    labels = label_loans(versions, ts(2025, 6, 30), outcomes=outcomes)
    assert labels.set_index("loan")["default"].to_dict() == {"行/A": 0, "行/B": 1, "行/C": 0}
    # On 31 January 2025 loan B (started 5 February 2024) is younger than the window.
    assert label_loans(versions, ts(2025, 1, 31))["loan"].tolist() == ["行/A"]


def _bills(months: pd.PeriodIndex, consumption: list[float]) -> pd.DataFrame:
    dated = months.to_timestamp().astype("datetime64[s]")
    return pd.DataFrame(
        {
            "skey": 1,
            "visible_from": pd.Timestamp("2020-01-01"),
            "visible_until": pd.NaT,
            "dated_on": dated,
            "utility": "electricity",
            "consumption": consumption,
            "days_late": 0,
        }
    ).astype({"visible_from": "datetime64[s]", "visible_until": "datetime64[s]"})


def test_the_consumption_trend_compares_the_latest_three_months_on_file_with_a_year_before():
    # As of 30 June the June bills have not arrived: the latest three months on file are
    # March-May 2025, compared with March-May 2024 (half the use: a trend of ln(151/301)),
    # not April-June, which would compare two months with three.
    months = pd.period_range("2024-01", "2025-05", freq="M")
    use = [100.0 if m.year == 2024 else 50.0 for m in months]
    requests = requests_for([1], pd.Timestamp("2025-06-30"))
    trend = utility_features(_bills(months, use), requests)["electricity_trend"].iloc[0]
    assert trend == pytest.approx(np.log(151 / 301))
    # A subject whose newest bill is half a year old has no current trend.
    stale = utility_features(_bills(months[:-6], use[:-6]), requests)
    assert np.isnan(stale["electricity_trend"].iloc[0])
    assert stale["electricity_late_count_12m"].iloc[0] == 0
