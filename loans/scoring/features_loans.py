"""The subject's own past loans, from every version the banks reported by the date: count,
amount, worst 五级分类, most days overdue and months since the last overdue report."""

import numpy as np
import pandas as pd

from .asof import has_rows, month_index, per_request, visible

STATUS_ORDER = {"normal": 0, "special_mention": 1, "substandard": 2, "doubtful": 3, "loss": 4}


def past_loan_features(
    rows: pd.DataFrame, requests: pd.DataFrame, source_known: bool | None = None
) -> pd.DataFrame:
    """`rows`: skey, visible_from, visible_until, loan (bank + contract), start_on, amount,
    status, days_overdue, reported_on. A loan counts once it started by the date; its past
    states count even when a later version superseded them (history, not corrections)."""
    n = len(requests)
    seen = visible(rows, requests, "start_on", history=True)
    seen = seen[seen["reported_on"] <= seen["as_of"]]
    present = has_rows(seen, n)
    if source_known is None:  # judged from the rows; the caller knows better for one subject
        source_known = bool(len(rows)) and bool(
            (rows["visible_from"] <= requests["as_of"].max()).any()
        )
    base = 0.0 if source_known else np.nan
    by = seen["req"]
    rank = seen["status"].map(STATUS_ORDER).fillna(0).astype(np.float64)
    overdue = seen["days_overdue"].astype(np.float64).fillna(0)
    amounts = seen.drop_duplicates(["req", "loan"]).groupby("req")["amount"].sum()
    bad = seen[(overdue > 0).to_numpy() | (rank > 0).to_numpy()]
    last_bad = bad.groupby("req")["reported_on"].max()
    months_since = pd.Series(dtype=np.float64)
    if len(last_bad):
        as_of = requests["as_of"].iloc[last_bad.index.to_numpy()].reset_index(drop=True)
        months_since = pd.Series(
            (month_index(as_of) - month_index(last_bad.reset_index(drop=True))).to_numpy(),
            index=last_bad.index,
        )

    def with_base(values: np.ndarray) -> np.ndarray:
        return np.where(present, values, base)

    return pd.DataFrame(
        {
            "past_loan_count": with_base(per_request(seen.groupby("req")["loan"].nunique(), n)),
            "past_loan_amount": with_base(per_request(amounts.astype(np.float64), n)),
            "past_worst_class": with_base(per_request(rank.groupby(by).max(), n)),
            "past_max_days_overdue": with_base(per_request(overdue.groupby(by).max(), n)),
            "months_since_overdue": per_request(months_since, n),
            "thin_loans": (~present).astype(np.float64),
        }
    )
