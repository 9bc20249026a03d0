"""A synthetic loan book with a known truth, for tests and the benchmark: feature rows shaped
like `features.build_features` output (what the platform observes at each loan's start), the
default probability the generator computes from those observable quantities (non-linear,
with interactions, so a tree model has something to find) and the outcome drawn from it.

The probability is returned beside the frame and never stored in user-facing tables.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalog import FEATURES, categorical_columns

TYPES = np.array(["农户", "新型农业经营主体", "中小微企业"])
GRADES = np.array(["A", "B", "M", "C", "D"])
EVALUATIONS = np.array(["优秀", "较好", "一般", "差"])
RATING_GRADES = np.array(["AAA", "AA", "A", "未达信用户"])


@dataclass
class SyntheticBook:
    features: pd.DataFrame
    default: np.ndarray
    true_probability: np.ndarray
    start_on: pd.Series


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def synthetic_book(
    n: int, seed: int = 1, start: str = "2022-01-01", years: int = 3
) -> SyntheticBook:
    rng = np.random.default_rng(seed)
    kind = rng.choice(3, size=n, p=[0.72, 0.16, 0.12])
    household, entity, sme = kind == 0, kind == 1, kind == 2
    f: dict[str, np.ndarray] = {}
    nan = np.full(n, np.nan)

    def maybe(values: np.ndarray, present: np.ndarray) -> np.ndarray:
        return np.where(present, values, np.nan)

    # Which sources know the subject (thin files).
    has_tax = np.where(household, rng.random(n) < 0.15, rng.random(n) < 0.9)
    has_si = np.where(household, rng.random(n) < 0.05, rng.random(n) < 0.75)
    has_pf = np.where(household, rng.random(n) < 0.02, rng.random(n) < 0.4)
    has_util = rng.random(n) < 0.85
    has_loans = rng.random(n) < 0.6

    scale = np.where(household, 1.0, np.where(entity, 8.0, 20.0))
    tax12 = rng.lognormal(9.0, 1.0, n) * scale
    f["tax_paid_12m"] = maybe(tax12, has_tax)
    tax_trend = rng.normal(0.05, 0.35, n)
    f["tax_trend"] = maybe(tax_trend, has_tax & (rng.random(n) < 0.85))
    f["tax_paid_24m"] = maybe(tax12 * (1 + np.exp(-np.nan_to_num(tax_trend))), has_tax)
    grade_idx = np.clip(rng.poisson(0.9, n), 0, 4)
    f["tax_grade"] = np.where(has_tax, GRADES[grade_idx], None)
    filing = np.clip(1 - rng.exponential(0.08, n) - 0.1 * grade_idx, 0, 1)
    f["tax_filing_ratio"] = maybe(filing, has_tax)

    staff = np.round(rng.lognormal(np.where(sme, 2.3, 1.2), 0.7, n))
    f["si_insured_count"] = maybe(staff, has_si)
    si_growth = rng.normal(0.02, 0.25, n)
    f["si_growth"] = maybe(si_growth, has_si)
    arrears_months = np.minimum(rng.poisson(0.3 + 0.4 * grade_idx, n), 12)
    f["si_months_paid_12m"] = maybe(12 - arrears_months, has_si)
    f["si_arrears_months_12m"] = maybe(arrears_months, has_si)
    f["si_arrears"] = maybe(np.where(arrears_months > 0, staff * 900 * rng.random(n), 0), has_si)
    f["pf_depositor_count"] = maybe(np.round(staff * rng.random(n)), has_pf)
    f["pf_months_paid_12m"] = maybe(12 - np.minimum(rng.poisson(0.3, n), 12), has_pf)

    late_rate = rng.gamma(0.6, 0.5, n)
    for utility, level in (("electricity", 3000.0), ("water", 120.0), ("gas", 400.0)):
        present = has_util & (rng.random(n) < (0.95 if utility == "electricity" else 0.6))
        f[f"{utility}_consumption_12m"] = maybe(
            rng.lognormal(np.log(level), 0.8, n) * scale, present
        )
        f[f"{utility}_trend"] = maybe(rng.normal(0, 0.3, n), present)
        f[f"{utility}_seasonality"] = maybe(rng.gamma(2.0, 0.15, n), present)
        late = np.minimum(rng.poisson(late_rate * (1.5 if utility == "electricity" else 0.8)), 12)
        f[f"{utility}_late_count_12m"] = maybe(late, present)
        f[f"{utility}_max_days_late_12m"] = maybe(
            np.where(late > 0, rng.integers(1, 60, n) * (1 + late / 3), 0), present
        )
    has_public = np.ones(n, dtype=bool)
    f["penalty_minor_5y"] = maybe(rng.poisson(0.15, n).astype(float), has_public)
    f["penalty_general_5y"] = maybe(rng.poisson(0.06, n).astype(float), has_public)
    f["penalty_serious_5y"] = maybe(rng.poisson(0.015, n).astype(float), has_public)
    f["dishonest_listed"] = maybe((rng.random(n) < 0.01).astype(float), has_public)
    f["honour_count_5y"] = maybe(rng.poisson(0.2, n).astype(float), has_public)

    f["subject_type"] = TYPES[kind]
    years_operating = np.where(household, nan, rng.gamma(2.0, 3.0, n))
    f["years_operating"] = years_operating
    f["land_mu"] = np.where(sme, nan, rng.lognormal(np.where(household, 2.0, 5.0), 0.7, n))
    f["herd_size"] = np.where(rng.random(n) < 0.3, rng.lognormal(3, 1, n), np.nan)
    assets = rng.lognormal(np.where(household, 12.0, 14.5), 0.8, n)
    debt_ratio = np.clip(rng.beta(2, 4, n) * 1.4, 0, 1.6)
    f["total_assets"] = assets
    f["total_debts"] = assets * debt_ratio
    f["debt_ratio"] = debt_ratio
    income = rng.lognormal(np.where(household, 10.8, 13.5), 0.6, n)
    f["annual_income"] = np.where(rng.random(n) < 0.9, income, np.nan)
    labour = np.where(household, rng.integers(1, 5, n), np.nan)
    f["labour_count"] = labour
    f["household_size"] = np.where(household, labour + rng.integers(0, 3, n), np.nan)
    evaluation_idx = rng.choice(4, size=n, p=[0.3, 0.45, 0.2, 0.05])
    f["evaluation_overall"] = np.where(
        household & (rng.random(n) < 0.9), EVALUATIONS[evaluation_idx], None
    )
    rating_idx = np.clip(evaluation_idx + rng.integers(-1, 2, n), 0, 3)
    f["rating_grade"] = np.where(~sme & (rng.random(n) < 0.7), RATING_GRADES[rating_idx], None)

    past_count = np.where(has_loans, 1 + rng.poisson(1.2, n), 0).astype(float)
    worst = np.where(has_loans, np.clip(rng.poisson(0.25 + 0.2 * late_rate, n), 0, 4), 0).astype(
        float
    )
    max_overdue = np.where(
        worst > 0,
        rng.integers(1, 60, n) * (1 + worst),
        np.where(rng.random(n) < 0.1, rng.integers(1, 30, n), 0),
    ).astype(float)
    f["past_loan_count"] = maybe(past_count, has_loans)
    f["past_loan_amount"] = maybe(past_count * rng.lognormal(10.5, 0.8, n) * scale, has_loans)
    f["past_worst_class"] = maybe(worst, has_loans)
    f["past_max_days_overdue"] = maybe(max_overdue, has_loans)
    f["months_since_overdue"] = np.where(
        has_loans & (max_overdue > 0), rng.integers(0, 48, n), np.nan
    )

    for source, present in (
        ("tax", has_tax),
        ("social_insurance", has_si),
        ("provident_fund", has_pf),
        ("utilities", has_util),
        ("loans", has_loans),
    ):
        f[f"thin_{source}"] = (~present).astype(float)
    f["thin_file_sources"] = sum(
        f[f"thin_{s}"] for s in ("tax", "social_insurance", "provident_fund", "utilities", "loans")
    )

    # The truth: observable quantities only, non-linear, with interactions.
    late = np.nan_to_num(f["electricity_late_count_12m"])
    z = -3.3 + np.where(sme, 0.3, np.where(entity, -0.1, 0.0))
    z += 1.6 * (debt_ratio > 0.75) * (1 + 0.8 * (np.nan_to_num(f["electricity_trend"]) < -0.25))
    z += 0.35 * np.minimum(late, 5) * np.where(household, 1.0, 0.6)
    z += np.where(has_loans, 0.55 * worst + 0.9 * (max_overdue >= 60), 0.35)
    z += np.where(
        has_loans & (max_overdue > 0),
        0.8 * np.exp(-np.nan_to_num(f["months_since_overdue"]) / 12),
        0,
    )
    z += np.where(
        has_tax,
        np.array([-0.5, -0.2, 0.0, 0.6, 1.2])[grade_idx] - 0.25 * np.tanh(tax_trend * 2),
        0.25 * ~household,
    )
    z += np.where(household, np.array([-0.6, -0.2, 0.3, 1.3])[evaluation_idx], 0)
    z += np.where(~household, 1.1 * np.exp(-np.nan_to_num(years_operating) / 1.5), 0)
    z += np.where(has_si, 0.2 * arrears_months * (si_growth < 0), 0)
    z += 0.7 * np.nan_to_num(f["penalty_general_5y"]) + 1.4 * np.nan_to_num(f["penalty_serious_5y"])
    z += 2.2 * np.nan_to_num(f["dishonest_listed"])
    z -= (
        0.35
        * np.log1p(np.nan_to_num(f["annual_income"]) / np.where(household, 60_000, 1_500_000))
        * (debt_ratio < 0.5)
    )
    probability = _sigmoid(z)
    default = (rng.random(n) < probability).astype(np.int8)

    columns = [feature.column for feature in FEATURES]
    frame = pd.DataFrame({c: f[c] for c in columns})
    for column in categorical_columns():
        frame[column] = frame[column].astype("category")
    days = rng.integers(0, 365 * years, n)
    start_on = pd.Series(pd.Timestamp(start) + pd.to_timedelta(days, unit="D"))
    order = np.argsort(days, kind="stable")
    return SyntheticBook(
        features=frame.iloc[order].reset_index(drop=True),
        default=default[order],
        true_probability=probability[order],
        start_on=start_on.iloc[order].reset_index(drop=True),
    )
