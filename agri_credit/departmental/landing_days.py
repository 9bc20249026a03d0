"""The county day each imported batch landed: what "imported by a date" means for every
as-of reading of departmental rows (a rating run's departmental indicators, the score's
features). A row counts as of D when its batch landed by D and the batch that superseded it
(if any) had not landed by D."""

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from models import BatchStatus, ImportBatch, db

DEFAULT_ZONE = "Asia/Shanghai"


def local_days(moments: pd.Series, zone: str = DEFAULT_ZONE) -> pd.Series:
    """Naive-UTC timestamps as the county's calendar days (datetime64 at midnight)."""
    stamps = pd.to_datetime(moments)
    local = stamps.dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
    return local.dt.normalize().astype("datetime64[s]")


def batch_days(zone: str = DEFAULT_ZONE) -> pd.Series:
    """Local day each imported batch landed, by batch id. A few hundred batches: mapping
    rows to them is far cheaper than parsing a timestamp per row (SQLite returns strings)."""
    result = db.session.connection().execute(
        select(
            ImportBatch.id,
            func.coalesce(ImportBatch.finished_at, ImportBatch.created_at).label("at"),
        ).where(ImportBatch.status == BatchStatus.IMPORTED)
    )
    try:
        frame = pd.DataFrame(result.cursor.fetchall(), columns=["id", "at"])
    finally:
        result.close()
    return pd.Series(local_days(frame["at"], zone).to_numpy(), index=frame["id"].astype(np.int64))


def day_of(batch_ids: pd.Series, days: pd.Series) -> pd.Series:
    """The landing day of each row's batch; NaT without a batch or for one not imported."""
    ids = pd.to_numeric(batch_ids, errors="coerce").to_numpy(dtype=np.float64)
    out = np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[s]")
    known = ~np.isnan(ids)
    if known.any():
        out[known] = days.reindex(ids[known].astype(np.int64)).to_numpy(dtype="datetime64[s]")
    return pd.Series(out, index=batch_ids.index)
