"""What a feature may see as of a date: the shared filter of every source module.

A departmental row carries `visible_from` (the local day the batch that brought it was
imported) and `visible_until` (the local day a later batch superseded it; NaT while it is
current). As of a date D a row counts when it was imported by D, not yet superseded on D, and
its own date (period, decision, loan start) is not after D. So neither a record dated after D
nor one a batch imported after D changes features as of D.

Requests are frames with `skey` (the subject, see `subject_key`) and `as_of` (datetime64):
one row per (subject, date) to compute features for; results are aligned on request position.
"""

import numpy as np
import pandas as pd

HOUSEHOLD, ENTITY, ENTERPRISE = "household", "entity", "enterprise"
SUBJECT_TYPES = (HOUSEHOLD, ENTITY, ENTERPRISE)
SUBJECT_TYPE_LABELS = {HOUSEHOLD: "农户", ENTITY: "新型农业经营主体", ENTERPRISE: "中小微企业"}
_TYPE_CODE = {HOUSEHOLD: 1, ENTITY: 2, ENTERPRISE: 3}
_CODE_TYPE = {v: k for k, v in _TYPE_CODE.items()}
_SPAN = 10**12


def subject_key(subject_type: pd.Series | str, subject_id: pd.Series | int) -> pd.Series | int:
    """One int64 per subject, so sources merge on one integer column."""
    if isinstance(subject_type, str):
        return _TYPE_CODE[subject_type] * _SPAN + int(subject_id)  # type: ignore[arg-type]
    codes = subject_type.map(_TYPE_CODE).astype(np.int64)
    return codes * _SPAN + subject_id.astype(np.int64)


def subject_type_of(skey: pd.Series) -> pd.Series:
    return (skey // _SPAN).map(_CODE_TYPE)


def subject_id_of(skey: pd.Series) -> pd.Series:
    return skey % _SPAN


def requests_for(skeys: pd.Series | np.ndarray, as_of: pd.Series | pd.Timestamp) -> pd.DataFrame:
    """Requests frame: one row per subject with its as-of date."""
    frame = pd.DataFrame({"skey": np.asarray(skeys, dtype=np.int64)})
    frame["as_of"] = (
        pd.Series(pd.to_datetime(as_of), index=frame.index)
        if not isinstance(as_of, pd.Series)
        else pd.to_datetime(as_of.to_numpy())
    )
    frame["as_of"] = frame["as_of"].astype("datetime64[s]")
    return frame


def month_index(dates: pd.Series) -> pd.Series:
    return dates.dt.year * 12 + dates.dt.month - 1


def period_date(year: pd.Series, month: pd.Series) -> pd.Series:
    """The date a yearly or monthly row is dated by: the first day of its month, December
    for a whole-year row (month 0), whose figures are known only when the year is over."""
    month = np.where(month.to_numpy() > 0, month.to_numpy(), 12).astype(np.int64)
    months = (year.to_numpy().astype(np.int64) - 1970) * 12 + month - 1
    return pd.Series(months.astype("datetime64[M]").astype("datetime64[s]"), index=year.index)


def visible(
    rows: pd.DataFrame, requests: pd.DataFrame, dated_by: str, history: bool = False
) -> pd.DataFrame:
    """`rows` joined to `requests` on the subject, keeping those a request may see; adds
    `req` (request position), `as_of` and `lag` (whole months from the row's date to as_of).

    `history=True` keeps versions a later batch superseded by the date as well (a loan's past
    states are history, not corrections)."""
    req = pd.DataFrame(
        {
            "req": np.arange(len(requests), dtype=np.int64),
            "skey": requests["skey"].to_numpy(np.int64),
            "as_of": requests["as_of"].to_numpy(),
        }
    )
    if rows.empty:
        merged = req.iloc[0:0].merge(rows, on="skey", how="inner")
        merged["lag"] = pd.Series(dtype=np.int64)
        return merged
    merged = req.merge(rows, on="skey", how="inner")
    as_of = merged["as_of"]
    keep = (merged["visible_from"] <= as_of) & (merged[dated_by] <= as_of)
    if not history:
        keep &= merged["visible_until"].isna() | (merged["visible_until"] > as_of)
    merged = merged[keep.to_numpy()]
    merged = merged.assign(lag=month_index(merged["as_of"]) - month_index(merged[dated_by]))
    return merged


def per_request(values: pd.Series, n: int) -> np.ndarray:
    """A series indexed by request position spread to all `n` requests (NaN where absent)."""
    out = np.full(n, np.nan)
    if len(values):
        out[values.index.to_numpy(np.int64)] = values.to_numpy(np.float64)
    return out


def has_rows(seen: pd.DataFrame, n: int) -> np.ndarray:
    present = np.zeros(n, dtype=bool)
    present[seen["req"].unique()] = True
    return present


def latest(seen: pd.DataFrame, column: str, order: str) -> pd.Series:
    """Per request, `column` of the latest row by `order` (ignoring NaN values)."""
    rows = seen[seen[column].notna()]
    if rows.empty:
        return pd.Series(dtype=object)
    rows = rows.sort_values(["req", order], kind="stable")
    return rows.groupby("req")[column].last()


def log_ratio(now: np.ndarray, before: np.ndarray) -> np.ndarray:
    """log(1 + now) - log(1 + before): a trend that tolerates zeros; NaN when unknown."""
    with np.errstate(invalid="ignore"):
        return np.log1p(np.clip(now, 0, None)) - np.log1p(np.clip(before, 0, None))
