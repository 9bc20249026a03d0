"""公积金 features: depositors and months paid."""

import numpy as np
import pandas as pd

from .asof import has_rows, latest, per_request, visible


def provident_fund_features(rows: pd.DataFrame, requests: pd.DataFrame) -> pd.DataFrame:
    """`rows`: skey, visible_from, visible_until, dated_on, month, depositor_count,
    months_paid."""
    n = len(requests)
    seen = visible(rows, requests, "dated_on")
    present = has_rows(seen, n)
    recent = seen["lag"] < 12
    paid = np.where(seen["month"] > 0, 1.0, seen["months_paid"].fillna(12).astype(np.float64))
    months = pd.Series(paid, index=seen.index)[recent].groupby(seen["req"][recent]).sum()
    return pd.DataFrame(
        {
            "pf_depositor_count": per_request(
                latest(seen, "depositor_count", "dated_on").astype(np.float64), n
            ),
            "pf_months_paid_12m": np.where(present, np.nan_to_num(per_request(months, n)), np.nan),
            "thin_provident_fund": (~present).astype(np.float64),
        }
    )
