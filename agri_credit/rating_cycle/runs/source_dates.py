"""The date of each department's data a run used, for the run page, its exports and notices.

A run is "数据截至" its as-of date, but each department's file has its own: a bank ledger states
its rows as of its 数据日期 (often the last month end), other files are as new as their import.
The run says both, per source, and the engine brings the loan ledger forward to the run's date
(engine.loan_overdue); a ledger older than the run's date is named in the run's notes.
"""

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from models import (
    SOURCE_LABELS,
    BatchStatus,
    ImportBatch,
    Region,
    Source,
    clock,
    code_range,
    db,
)


def _batches_reaching(region: Region) -> list[tuple[str, Any]]:
    """(source, when the latest batch finished) per source, over imported batches whose
    scope covers the region or lies inside it."""
    rows = db.session.execute(
        select(
            ImportBatch.source,
            Region.code,
            Region.level,
            func.max(func.coalesce(ImportBatch.finished_at, ImportBatch.created_at)),
        )
        .join(Region, Region.code == ImportBatch.scope_code)
        .where(ImportBatch.status == BatchStatus.IMPORTED)
        .group_by(ImportBatch.source, Region.code, Region.level)
    ).all()
    low, high = code_range(region.code, region.level)
    latest: dict[str, Any] = {}
    for source, code, level, finished in rows:
        scope_low, scope_high = code_range(code, level)
        reaches = scope_low <= region.code <= scope_high or low <= code <= high
        if reaches and (source not in latest or finished > latest[source]):
            latest[source] = finished
    return list(latest.items())


def _day(value: Any) -> date:
    """A stored timestamp (a string on SQLite) as the county's local day."""
    return clock.local_date(pd.Timestamp(value).to_pydatetime())


def source_dates(region: Region, loans: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Per source with data for the region, in the order of models.Source: its label, the
    day its latest file was imported, and for the bank ledgers the 数据日期 they state
    (earliest and latest over the loans read, None when no row states one). ISO strings,
    ready for the run's JSON summary."""
    imported = dict(_batches_reaching(region))
    out = []
    for source in Source:
        if source.value not in imported:
            continue
        row: dict[str, Any] = {
            "source": source.value,
            "label": SOURCE_LABELS[source],
            "imported_on": _day(imported[source.value]).isoformat(),
            "data_from": None,
            "data_to": None,
        }
        if source == Source.BANK_LOAN and loans is not None and "reported_on" in loans:
            stated = pd.to_datetime(loans["reported_on"]).dropna()
            if len(stated):
                row["data_from"] = stated.min().date().isoformat()
                row["data_to"] = stated.max().date().isoformat()
        out.append(row)
    return out


def stale_notes(dates: list[dict[str, Any]], as_of: date) -> list[str]:
    """A note for each source whose stated data date is older than the run's date."""
    notes = []
    for row in dates:
        if row["data_from"] and row["data_from"] < as_of.isoformat():
            notes.append(
                f"{row['label']}数据截至{row['data_from']}，早于本次评定的数据日期"
                f"{as_of.isoformat()}：未结清贷款的逾期天数已顺延至{as_of.isoformat()}"
                "，其间到期未还的贷款按到期日起算逾期"
            )
    return notes


def source_date_lines(summary: dict[str, Any] | None) -> list[str]:
    """One line per source of a run's summary, for exports: "银行贷款：数据日期 …，导入于 …"."""
    lines = []
    for row in (summary or {}).get("source_dates", []):
        stated = row.get("data_from")
        if stated and row.get("data_to") and row["data_to"] != stated:
            stated = f"{stated} 至 {row['data_to']}"
        text = f"{row['label']}：数据日期 {stated}，" if stated else f"{row['label']}："
        lines.append(f"{text}导入于 {row['imported_on']}")
    return lines


def late_import_notes(dates: list[dict[str, Any]], as_of: date, sources: set[str]) -> list[str]:
    """A note for each source a departmental indicator reads whose latest file was imported
    after the run's date: what it brought does not count in this run."""
    return [
        f"{row['label']}：最近一批于{row['imported_on']}导入，晚于本次评定的数据日期"
        f"{as_of.isoformat()}，其记录未计入部门数据指标"
        for row in dates
        if row["source"] in sources and row["imported_on"] > as_of.isoformat()
    ]
