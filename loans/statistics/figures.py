"""Every statistics figure, added up from the database's grouped rows
(`queries.read_grouped`): the page's tables from a few hundred rows at most, whatever the
number of needs.

Definitions (shown on the page as they are written here):

- 发布需求 posted: needs posted in the period (by the day they were posted, county calendar),
  whatever became of them. With a bank chosen (and always for a bank's own officers): the
  needs that reached that bank — matched to one of its listed products now, or claimed or
  decided by it.
- 已匹配 matched: matching found at least one listed product whose every hard rule the need
  met (at any time), or a bank claimed or decided it.
- 已抢单 claimed: a bank claimed it (抢单) or decided on it.
- 已获批 approved: a bank approved it; 授信金额 is the sum of the approved amounts.
- 首贷户 first loans: subjects whose approval in the period was their first loan — no earlier
  approval on the platform by any bank, and no loan in the banks' ledgers (部门数据 · 银行贷款)
  starting before the need was posted. Counted once per subject.
- 平均办理天数: days from posting to the first approval or rejection, averaged over the needs
  that have one.
- 拒绝原因: rejections (a need rejected by two banks counts twice), by the reason chosen.
- 整村授信: households' pre-approved lines of the grants approved in the period (also those
  withdrawn later), their amount, and how many the households have turned into a need.

Every figure of a period follows its needs: a need posted in March counts in March, also
when it was approved in April. The rows by township, subject type and month add up to the
totals; by bank and by product type a need reaching two banks counts for each.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .queries import NO_PRODUCT, Grouped

FUNNEL = ("posted", "matched", "claimed", "approved")
COUNT_COLUMNS = (*FUNNEL, "amount", "first_loans", "rejected")
LINK_COUNTS = ("matched", "claimed", "approved", "amount", "first_loans", "rejected")
VILLAGE_COLUMNS = ("granted", "amount", "taken_up", "taken_amount")
__all__ = ["NO_PRODUCT", "Figures", "Filters", "combine", "records"]


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    bank_id: int | None = None
    product_type: str | None = None
    subject_type: str | None = None
    township: str | None = None  # 12-digit township code


@dataclass
class Figures:
    totals: dict[str, Any]
    by_month: pd.DataFrame
    by_bank: pd.DataFrame
    by_product_type: pd.DataFrame
    by_subject_type: pd.DataFrame
    by_township: pd.DataFrame
    reasons: pd.DataFrame  # reason_code, rejections
    village_lines: pd.DataFrame  # key (bank id), granted, amount, taken_up, taken_amount
    notes: list[str] = field(default_factory=list)


def _numbers(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """The database's sums as floats (PostgreSQL answers Decimal, SQLite int or float)."""
    out = frame.copy()
    for c in (*columns, "decided", "days_sum"):
        if c in out:
            out[c] = pd.to_numeric(out[c].astype(object), errors="coerce").fillna(0.0)
    return out


def _aggregate(frame: pd.DataFrame, column: str, counts: tuple[str, ...]) -> pd.DataFrame:
    grouped = frame.groupby(column, sort=True)
    out = grouped[[*counts, "decided", "days_sum"]].sum()
    out["avg_days"] = (out["days_sum"] / out["decided"].where(out["decided"] > 0)).round(1)
    out["amount"] = out["amount"].round(2)
    return out.drop(columns="days_sum").reset_index().rename(columns={column: "key"})


def _ints(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    for c in columns:
        frame[c] = frame[c].astype("int64")
    return frame


def _by_need_column(needs: pd.DataFrame, column: str, keys: list[str] | None = None):
    out = _aggregate(needs, column, COUNT_COLUMNS)
    if keys is not None:  # every month of the period, also the empty ones
        out = out.set_index("key").reindex(keys).reset_index().rename(columns={"index": "key"})
        for c in (*COUNT_COLUMNS, "decided"):
            out[c] = out[c].fillna(0)
    return _ints(out, (*FUNNEL, "first_loans", "rejected", "decided"))


def _by_link_column(links: pd.DataFrame, column: str) -> pd.DataFrame:
    out = _ints(
        _aggregate(links, column, LINK_COUNTS), (*LINK_COUNTS[:3], *LINK_COUNTS[4:], "decided")
    )
    return out.sort_values(["approved", "matched"], ascending=False, kind="stable")


def _totals(needs: pd.DataFrame) -> dict[str, Any]:
    totals: dict[str, Any] = {c: int(needs[c].sum()) for c in COUNT_COLUMNS if c != "amount"}
    totals["amount"] = round(float(needs["amount"].sum()), 2)
    decided = int(needs["decided"].sum())
    totals["decided"] = decided
    totals["avg_days"] = round(float(needs["days_sum"].sum()) / decided, 1) if decided else None
    totals["approval_rate"] = (
        round(totals["approved"] / totals["matched"] * 100, 1) if totals["matched"] else None
    )
    return totals


def _village_lines(lines: pd.DataFrame) -> tuple[dict[str, Any], pd.DataFrame]:
    lines = _numbers(lines, VILLAGE_COLUMNS)
    totals = {
        "lines_granted": int(lines["granted"].sum()),
        "lines_amount": round(float(lines["amount"].sum()), 2),
        "lines_taken_up": int(lines["taken_up"].sum()),
        "lines_taken_amount": round(float(lines["taken_amount"].sum()), 2),
    }
    by_bank = lines.groupby("bank_id", sort=True)[list(VILLAGE_COLUMNS)].sum().reset_index()
    by_bank = by_bank.rename(columns={"bank_id": "key"})
    by_bank = _ints(by_bank, ("granted", "taken_up"))
    by_bank["amount"] = by_bank["amount"].round(2)
    by_bank["taken_amount"] = by_bank["taken_amount"].round(2)
    return totals, by_bank.sort_values("granted", ascending=False, kind="stable")


def combine(grouped: Grouped, filters: Filters) -> Figures:
    """Every figure of the page and the export from the database's grouped rows."""
    needs = _numbers(grouped.needs, COUNT_COLUMNS)
    links = _numbers(grouped.links, LINK_COUNTS)
    decisions = grouped.decisions.astype({"decisions": "int64", "reviews": "int64"})
    totals = _totals(needs)
    rejected = decisions[decisions["outcome"] == "rejected"]
    reasons = (
        rejected.assign(reason_code=rejected["reason_code"].fillna("other"))
        .groupby("reason_code", sort=True)["decisions"]
        .sum()
        .rename("rejections")
        .sort_values(ascending=False, kind="stable")
        .reset_index()
    )
    totals["more_material"] = int(
        decisions.loc[decisions["outcome"] == "more_material", "decisions"].sum()
    )
    totals["reviews_requested"] = int(decisions["reviews"].sum())
    village_totals, village_by_bank = _village_lines(grouped.village_lines)
    totals.update(village_totals)
    return Figures(
        totals=totals,
        by_month=_by_need_column(needs, "month", _months(filters.date_from, filters.date_to)),
        by_bank=_by_link_column(links, "bank_id"),
        by_product_type=_by_link_column(links, "product_type"),
        by_subject_type=_by_need_column(needs, "subject_type"),
        by_township=_by_need_column(needs, "township"),
        reasons=reasons,
        village_lines=village_by_bank,
    )


def _months(start: date, end: date) -> list[str]:
    months = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq="M")
    return [str(m) for m in months]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for a template or a sheet: NaN as None, numpy scalars as Python numbers."""
    out = frame.astype(object).where(frame.notna(), None)
    return [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in out.to_dict("records")
    ]
