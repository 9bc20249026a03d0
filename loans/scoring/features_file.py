"""The credit file itself (years operating, land, herd, assets and debts, income, 村评议,
family labour) and the latest effective rating grade.

Files are not versioned: their figures are today's. So a file counts only as of dates on or
after the day it was created; before that its figures are missing. Gender, ethnicity and age
are not read.
"""

import numpy as np
import pandas as pd

from .asof import SUBJECT_TYPE_LABELS, subject_type_of

FILE_COLUMNS = (
    "founded_on",
    "land_mu",
    "herd_size",
    "total_assets",
    "total_debts",
    "annual_income",
    "labour_count",
    "household_size",
)


def file_features(
    files: pd.DataFrame,
    evaluations: pd.DataFrame,
    ratings: pd.DataFrame,
    requests: pd.DataFrame,
) -> pd.DataFrame:
    """`files`: skey, created_on and FILE_COLUMNS (one row per subject); `evaluations`:
    skey, year, overall; `ratings`: skey, visible_from, grade (effective results)."""
    n = len(requests)
    req = requests[["skey", "as_of"]].reset_index(drop=True)
    joined = req.merge(files, on="skey", how="left")
    known = (joined["created_on"] <= joined["as_of"]).to_numpy()
    out = pd.DataFrame(index=range(n))
    out["subject_type"] = (
        subject_type_of(req["skey"]).map(SUBJECT_TYPE_LABELS).astype(object).to_numpy()
    )
    founded = joined["founded_on"]
    years = (joined["as_of"] - founded).dt.days.to_numpy(np.float64) / 365.25
    out["years_operating"] = np.where(known & (years >= 0), years, np.nan)
    for column in FILE_COLUMNS[1:]:
        out[column] = np.where(known, joined[column].astype(np.float64), np.nan)
    assets = out["total_assets"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["debt_ratio"] = np.where(assets > 0, out["total_debts"].to_numpy() / assets, np.nan)
    out["evaluation_overall"] = _latest_by_date(
        req, evaluations.assign(visible_from=_year_end(evaluations["year"])), "overall"
    )
    out["rating_grade"] = _latest_by_date(req, ratings, "grade")
    return out


def _year_end(years: pd.Series) -> pd.Series:
    return pd.to_datetime(years.astype(str) + "-12-31").astype("datetime64[s]")


def _latest_by_date(req: pd.DataFrame, rows: pd.DataFrame, column: str) -> np.ndarray:
    """Per request, `column` of the latest row visible by its date (object array, None)."""
    out = np.full(len(req), None, dtype=object)
    if rows.empty:
        return out
    merged = req.reset_index(names="req").merge(rows, on="skey")
    merged = merged[merged["visible_from"] <= merged["as_of"]]
    if merged.empty:
        return out
    picked = (
        merged.sort_values(["req", "visible_from"], kind="stable").groupby("req")[column].last()
    )
    out[picked.index.to_numpy()] = picked.to_numpy()
    return out
