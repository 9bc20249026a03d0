"""公共信用记录 features: 行政处罚 by severity, 失信被执行人, 荣誉.

Records leave the features the way they leave ratings: a negative record whose event ended
more than five years before the date is expired (five-year rule), and one with an approved
信用修复 decided by the date no longer counts. Public records list events that happened, so a
subject without any has zero penalties once the county has public-record data at all; only
when no department has sent any as of the date are the counts missing.
"""

import numpy as np
import pandas as pd

from .asof import per_request, visible

RETENTION_YEARS = 5


def public_record_features(
    rows: pd.DataFrame, requests: pd.DataFrame, source_known: bool | None = None
) -> pd.DataFrame:
    """`rows`: skey, visible_from, visible_until, kind, decided_on, ended_on, severity,
    repaired_on (local day of an approved repair, NaT without). `source_known`: whether the
    county had public-record data by the date (None: judged from `rows`)."""
    n = len(requests)
    seen = visible(rows, requests, "decided_on")
    as_of = seen["as_of"]
    cutoff = as_of - pd.DateOffset(years=RETENTION_YEARS)
    dishonest = seen["kind"] == "dishonest"
    end = seen["ended_on"].where(dishonest, seen["ended_on"].fillna(seen["decided_on"]))
    in_use = end.isna() | (end >= cutoff)
    not_repaired = seen["repaired_on"].isna() | (seen["repaired_on"] > as_of)
    counted = seen[(in_use & not_repaired).to_numpy()]
    if source_known is None:  # judged from the rows; the caller knows better for one subject
        source_known = bool(len(rows)) and bool(
            (rows["visible_from"] <= requests["as_of"].max()).any()
        )
    base = 0.0 if source_known else np.nan

    def count(mask: pd.Series) -> np.ndarray:
        values = per_request(counted[mask.to_numpy()].groupby("req").size(), n)
        return np.where(np.isnan(values), base, values)

    severity = counted["severity"].fillna("general")
    penalty = counted["kind"] == "penalty"
    listed = (counted["kind"] == "dishonest") & (
        counted["ended_on"].isna() | (counted["ended_on"] > counted["as_of"])
    )
    honour = (counted["kind"] == "honour") & (
        counted["decided_on"] >= counted["as_of"] - pd.DateOffset(years=RETENTION_YEARS)
    )
    return pd.DataFrame(
        {
            "penalty_minor_5y": count(penalty & (severity == "minor")),
            "penalty_general_5y": count(penalty & (severity == "general")),
            "penalty_serious_5y": count(penalty & (severity == "serious")),
            "dishonest_listed": np.where(count(listed) > 0, 1.0, base),
            "honour_count_5y": count(honour),
        }
    )
