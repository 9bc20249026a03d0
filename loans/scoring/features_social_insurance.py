"""社保 features: headcount, its growth over a year, months paid and arrears."""

import numpy as np
import pandas as pd

from .asof import has_rows, latest, log_ratio, per_request, visible


def social_insurance_features(rows: pd.DataFrame, requests: pd.DataFrame) -> pd.DataFrame:
    """`rows`: skey, visible_from, visible_until, dated_on, month, insured_count,
    months_paid, arrears."""
    n = len(requests)
    seen = visible(rows, requests, "dated_on")
    present = has_rows(seen, n)
    lag, by = seen["lag"], seen["req"]
    arrears = seen["arrears"].astype(np.float64).fillna(0)
    count_now = per_request(latest(seen, "insured_count", "dated_on").astype(np.float64), n)
    year_ago = seen[(lag >= 12) & (lag < 24)]
    count_before = per_request(latest(year_ago, "insured_count", "dated_on").astype(np.float64), n)
    # A monthly row paid in full is one month; a yearly row says how many months.
    paid = np.where(
        seen["month"] > 0,
        (arrears <= 0).astype(np.float64),
        seen["months_paid"].fillna(12).astype(np.float64),
    )
    recent = lag < 12
    months_paid = pd.Series(paid, index=seen.index)[recent].groupby(by[recent]).sum()
    arrears_months = (arrears[recent] > 0).groupby(by[recent]).sum()
    out = pd.DataFrame(
        {
            "si_insured_count": count_now,
            "si_growth": log_ratio(count_now, count_before),
            "si_months_paid_12m": np.where(
                present, np.nan_to_num(per_request(months_paid, n)), np.nan
            ),
            "si_arrears_months_12m": np.where(
                present, np.nan_to_num(per_request(arrears_months, n)), np.nan
            ),
            "si_arrears": per_request(
                latest(seen.assign(arrears=arrears), "arrears", "dated_on").astype(np.float64), n
            ),
        }
    )
    out["thin_social_insurance"] = (~present).astype(np.float64)
    return out
