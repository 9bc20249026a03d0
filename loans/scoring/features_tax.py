"""税务 features: amounts over 12 and 24 months, their trend, 纳税信用等级 and filing
regularity."""

import numpy as np
import pandas as pd

from .asof import has_rows, latest, log_ratio, per_request, visible

COLUMNS = ("tax_paid_12m", "tax_paid_24m", "tax_trend", "tax_grade", "tax_filing_ratio")


def tax_features(rows: pd.DataFrame, requests: pd.DataFrame) -> pd.DataFrame:
    """`rows`: skey, visible_from, visible_until, dated_on (asof.period_date), month,
    tax_paid, tax_grade, filing_months."""
    n = len(requests)
    seen = visible(rows, requests, "dated_on")
    lag = seen["lag"]
    paid = seen["tax_paid"].astype(np.float64)
    by = seen["req"]
    present = has_rows(seen, n)

    def total(mask: pd.Series) -> np.ndarray:
        sums = paid[mask].groupby(by[mask]).sum()
        out = per_request(sums, n)
        return np.where(present & np.isnan(out), 0.0, out)

    last12 = total(lag < 12)
    prev12 = total((lag >= 12) & (lag < 24))
    had_prev = per_request(by[(lag >= 12) & (lag < 24)].value_counts(), n) > 0
    # A monthly row is one filing; a yearly row says how many months were filed.
    filings = np.where(
        seen["month"] > 0,
        np.minimum(seen["filing_months"].fillna(1).astype(np.float64), 1.0),
        seen["filing_months"].fillna(12).astype(np.float64),
    )
    filings = pd.Series(filings, index=seen.index)[lag < 12].groupby(by[lag < 12]).sum()
    ratio = np.clip(per_request(filings, n) / 12.0, 0, 1)
    out = pd.DataFrame(
        {
            "tax_paid_12m": np.where(present, last12, np.nan),
            "tax_paid_24m": np.where(present, total(lag < 24), np.nan),
            "tax_trend": np.where(had_prev, log_ratio(last12, prev12), np.nan),
            "tax_filing_ratio": np.where(present, np.nan_to_num(ratio), np.nan),
        }
    )
    grade = latest(seen, "tax_grade", "dated_on")
    out["tax_grade"] = pd.Series(grade.reindex(range(n)).to_numpy(), dtype=object)
    out["thin_tax"] = (~present).astype(np.float64)
    return out
