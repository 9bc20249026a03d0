"""Every statistics figure, computed with pandas from the plain rows of `sources.Sources`.

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

Every figure of a period follows its needs: a need posted in March counts in March, also
when it was approved in April. The rows by township, subject type and month add up to the
totals; by bank and by product type a need reaching two banks counts for each.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from .sources import Sources

FUNNEL = ("posted", "matched", "claimed", "approved")
COUNT_COLUMNS = (*FUNNEL, "amount", "first_loans", "rejected")
NO_PRODUCT = "none"  # a claim or decision that named no product (type unknown)


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
    notes: list[str] = field(default_factory=list)


def township_of(region_code: pd.Series) -> pd.Series:
    """The 12-digit township code of a village or township code (each distinct code cut
    once: string methods run per row)."""
    return region_code.map({c: c[:9] + "000" for c in region_code.unique()})


def _local(moments: pd.Series, zone: str) -> pd.Series:
    """Naive UTC timestamps as naive timestamps of the county's zone."""
    stamps = pd.to_datetime(moments)
    return stamps.dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)


def prepare_needs(sources: Sources, zone: str) -> pd.DataFrame:
    needs = sources.needs.copy()
    local = _local(needs["created_at"], zone)
    needs["posted_on"] = local.dt.normalize()
    # strftime runs per row; formatting each distinct month once does not.
    month = local.dt.year * 100 + local.dt.month
    needs["month"] = month.map({m: f"{m // 100}-{m % 100:02d}" for m in month.unique()})
    needs["township"] = township_of(needs["region_code"].astype(str))
    return needs


def first_loan_flags(sources: Sources, needs: pd.DataFrame) -> pd.Series:
    """Per decision (index of `sources.decisions`): True for an approval that is its
    subject's first loan. Computed over every bank's decisions before any filter, so that
    choosing a bank does not turn a second loan into a first one."""
    d = sources.decisions.merge(
        needs[["need_id", "subject_type", "subject_id", "posted_on"]], on="need_id", how="left"
    )
    flags = pd.Series(False, index=sources.decisions.index)
    approved = d[d["outcome"] == "approved"].copy()
    if approved.empty:
        return flags
    approved["decided_at"] = pd.to_datetime(approved["decided_at"])
    approved = approved.sort_values(["decided_at", "decision_id"])
    earliest = ~approved.duplicated(["subject_type", "subject_id"], keep="first")
    ledger = sources.ledger_first.assign(first_start=lambda f: pd.to_datetime(f["first_start"]))
    approved = approved.merge(ledger, on=["subject_type", "subject_id"], how="left").set_axis(
        approved.index
    )
    no_ledger_loan = approved["first_start"].isna() | (
        approved["first_start"] >= approved["posted_on"]
    )
    flags[approved.index] = (earliest & no_ledger_loan).to_numpy()
    return flags


def links_of(sources: Sources) -> pd.DataFrame:
    """One row per (need, bank) the need reached: matched to the bank's products now,
    claimed or decided by it; with the product (decision's, else claim's, else match's)."""
    parts = [
        sources.decisions[["need_id", "bank_id", "product_id"]].assign(source=0),
        sources.claims[["need_id", "bank_id", "product_id"]].assign(source=1),
        sources.matches[["need_id", "bank_id", "product_id"]].assign(source=2),
    ]
    rows = pd.concat(parts, ignore_index=True).astype({"need_id": "int64", "bank_id": "int64"})
    # The most telling product first: a decision's, then a claim's, then the match's.
    named = rows.dropna(subset=["product_id"]).sort_values("source")
    product = named.drop_duplicates(["need_id", "bank_id"]).set_index(["need_id", "bank_id"])
    links = rows.drop_duplicates(["need_id", "bank_id"])[["need_id", "bank_id"]]
    links = links.join(product["product_id"], on=["need_id", "bank_id"])
    lookup = pd.Series(
        list(sources.product_types.values()),
        index=pd.Index(list(sources.product_types), dtype="float64"),
        dtype=object,
    )
    types = pd.to_numeric(links["product_id"], errors="coerce").astype("float64").map(lookup)
    types = types.where(types.notna(), NO_PRODUCT)
    acted = pd.concat([sources.claims, sources.decisions])[["need_id", "bank_id"]]
    acted = acted.astype({"need_id": "int64", "bank_id": "int64"}).drop_duplicates()
    links = links.merge(acted.assign(claimed=True), on=["need_id", "bank_id"], how="left")
    return links.assign(
        product_type=types.to_numpy(dtype=object),
        claimed=links["claimed"].eq(True),
    ).reset_index(drop=True)


def _decision_frame(sources: Sources, needs: pd.DataFrame, links: pd.DataFrame) -> pd.DataFrame:
    d = sources.decisions.assign(first_loan=first_loan_flags(sources, needs))
    d["amount"] = pd.to_numeric(d["amount"], errors="coerce").astype(float)
    d["decided_at"] = pd.to_datetime(d["decided_at"])
    return d.merge(links[["need_id", "bank_id", "product_type"]], on=["need_id", "bank_id"])


def compute(sources: Sources, filters: Filters, zone: str) -> Figures:
    """Every figure of the page and the export for these filters."""
    needs = prepare_needs(sources, zone)
    links = links_of(sources)
    decisions = _decision_frame(sources, needs, links)

    start, end = pd.Timestamp(filters.date_from), pd.Timestamp(filters.date_to)
    keep = needs["posted_on"].between(start, end)
    if filters.subject_type:
        keep &= needs["subject_type"] == filters.subject_type
    if filters.township:
        keep &= needs["township"] == filters.township
    needs = needs[keep]
    if filters.bank_id is not None:
        links = links[links["bank_id"] == filters.bank_id]
    if filters.product_type:
        links = links[links["product_type"] == filters.product_type]
    links = links[links["need_id"].isin(needs["need_id"])]
    if filters.bank_id is not None or filters.product_type:
        needs = needs[needs["need_id"].isin(links["need_id"])]
    if len(decisions):
        pairs = links.set_index(["need_id", "bank_id"]).index
        decisions = decisions[decisions.set_index(["need_id", "bank_id"]).index.isin(pairs)]

    per_link = _per_link(links, decisions, needs)
    per_need = _per_need(needs, per_link)
    totals = _totals(per_need)
    reasons = (
        decisions[decisions["outcome"] == "rejected"]
        .assign(reason_code=lambda f: f["reason_code"].fillna("other"))
        .groupby("reason_code")
        .size()
        .rename("rejections")
        .sort_values(ascending=False)
        .reset_index()
    )
    totals["more_material"] = int((decisions["outcome"] == "more_material").sum())
    totals["reviews_requested"] = int(decisions["review_requested_at"].notna().sum())
    return Figures(
        totals=totals,
        by_month=_by_need_column(per_need, "month", _months(filters.date_from, filters.date_to)),
        by_bank=_by_link_column(per_link, "bank_id"),
        by_product_type=_by_link_column(per_link, "product_type"),
        by_subject_type=_by_need_column(per_need, "subject_type"),
        by_township=_by_need_column(per_need, "township"),
        reasons=reasons,
    )


def _per_link(links: pd.DataFrame, decisions: pd.DataFrame, needs: pd.DataFrame) -> pd.DataFrame:
    """Per (need, bank): claimed, approved, amount, first loan, rejections, and the days from
    posting to the bank's first approval or rejection."""
    key = ["need_id", "bank_id"]
    out = links.copy()
    final = decisions[decisions["outcome"].isin(["approved", "rejected"])]
    grouped = decisions.groupby(key)
    approved = decisions[decisions["outcome"] == "approved"].groupby(key)
    out = out.join(approved.size().rename("approved"), on=key)
    out = out.join(approved["amount"].sum().rename("amount"), on=key)
    out = out.join(grouped["first_loan"].sum().rename("first_loans"), on=key)
    out = out.join(
        decisions[decisions["outcome"] == "rejected"].groupby(key).size().rename("rejected"),
        on=key,
    )
    out = out.join(final.groupby(key)["decided_at"].min().rename("decided_at"), on=key)
    out["decided_at"] = pd.to_datetime(out["decided_at"])
    for column in ("approved", "first_loans", "rejected"):
        out[column] = out[column].fillna(0).astype("int64")
    out["approved"] = out["approved"].clip(upper=1)
    out["amount"] = out["amount"].fillna(0.0).astype(float)
    created = needs.set_index("need_id")["created_at"]
    posted = pd.to_datetime(out["need_id"].map(created))
    out["days"] = (out["decided_at"] - posted).dt.total_seconds() / 86_400
    out["matched"] = 1
    out["claimed"] = out["claimed"].astype("int64")
    return out


def _per_need(needs: pd.DataFrame, per_link: pd.DataFrame) -> pd.DataFrame:
    by_need = per_link.groupby("need_id").agg(
        linked=("bank_id", "size"),
        claimed=("claimed", "max"),
        approved=("approved", "max"),
        amount=("amount", "sum"),
        first_loans=("first_loans", "sum"),
        rejected=("rejected", "sum"),
        decided_at=("decided_at", "min"),
    )
    out = needs.join(by_need, on="need_id")
    out["posted"] = 1
    out["matched"] = (out["first_matched_at"].notna() | out["linked"].notna()).astype("int64")
    for column in ("claimed", "approved", "first_loans", "rejected"):
        out[column] = out[column].fillna(0).astype("int64")
    out["amount"] = out["amount"].fillna(0.0).astype(float)
    created = pd.to_datetime(out["created_at"])
    out["days"] = (pd.to_datetime(out["decided_at"]) - created).dt.total_seconds() / 86_400
    return out


def _mean_days(days: pd.Series) -> float | None:
    value = days.mean()
    return None if pd.isna(value) else round(float(value), 1)


def _totals(per_need: pd.DataFrame) -> dict[str, Any]:
    totals: dict[str, Any] = {c: int(per_need[c].sum()) for c in COUNT_COLUMNS if c != "amount"}
    totals["amount"] = round(float(per_need["amount"].sum()), 2)
    totals["decided"] = int(per_need["days"].notna().sum())
    totals["avg_days"] = _mean_days(per_need["days"])
    totals["approval_rate"] = (
        round(totals["approved"] / totals["matched"] * 100, 1) if totals["matched"] else None
    )
    return totals


def _aggregate(frame: pd.DataFrame, column: str, counts: tuple[str, ...]) -> pd.DataFrame:
    grouped = frame.groupby(column, sort=True)
    out = grouped[list(counts)].sum()
    out["decided"] = grouped["days"].count()
    out["avg_days"] = grouped["days"].mean().round(1)
    out["amount"] = out["amount"].round(2)
    return out.reset_index().rename(columns={column: "key"})


def _by_need_column(
    per_need: pd.DataFrame, column: str, keys: list[str] | None = None
) -> pd.DataFrame:
    out = _aggregate(per_need, column, COUNT_COLUMNS)
    if keys is not None:  # every month of the period, also the empty ones
        out = out.set_index("key").reindex(keys).reset_index().rename(columns={"index": "key"})
        for c in (*COUNT_COLUMNS, "decided"):
            out[c] = out[c].fillna(0)
    for c in (*FUNNEL, "first_loans", "rejected", "decided"):
        out[c] = out[c].astype("int64")
    return out


def _by_link_column(per_link: pd.DataFrame, column: str) -> pd.DataFrame:
    counts = ("matched", "claimed", "approved", "amount", "first_loans", "rejected")
    out = _aggregate(per_link, column, counts)
    for c in ("matched", "claimed", "approved", "first_loans", "rejected", "decided"):
        out[c] = out[c].astype("int64")
    return out.sort_values(["approved", "matched"], ascending=False, kind="stable")


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
