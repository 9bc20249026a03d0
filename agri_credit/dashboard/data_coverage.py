"""How far departmental data reaches a region's credit files (the 涉农信用信息数据库 coverage a
county reports upward): 建档率, the share of files each department's data covers, how fresh
each source is, and how many imported records found their file.

`load_coverage_frames` (coverage_frames.py) runs a handful of GROUP BY queries for a user's
scope and returns small frames; `summarise_data_coverage` turns them into the figures, per
child region plus a total, without touching the database; `coverage_workbook` writes the same
figures as an XLSX.
"""

from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from models import (
    SOURCE_LABELS,
    Source,
    User,
)
from village_forms.xlsx_writer import append_row

from .coverage_cache import cached
from .coverage_frames import WHOLE_YEAR, CoverageFrames, load_coverage_frames

STALE_AFTER_MONTHS = 3
SOURCES: tuple[Source, ...] = tuple(Source)
KINDS = ("household", "entity", "enterprise")

# ---------------------------------------------------------------------------------------------
# Figures


@dataclass(frozen=True)
class Share:
    count: int
    total: int

    @property
    def ratio(self) -> float | None:
        return self.count / self.total if self.total else None


@dataclass(frozen=True)
class RegionCoverage:
    code: str
    name: str
    # Figures that belong to the scope itself and to none of its children: SMEs registered at
    # county level, unmatched subjects of a county-wide import.
    own_level: bool
    is_total: bool
    registered: int | None  # 户籍户数 of the villages that reported it; None: none did
    households: int
    households_reported: int  # households in villages that reported 户籍户数
    villages: int
    unreported_villages: int
    entities: int
    enterprises: int
    unmatched_subjects: int
    sources: dict[str, dict[str, Share]]  # source -> kind -> Share

    @property
    def file_rate(self) -> float | None:
        """建档率 over the villages that reported 户籍户数; the others stay out of both sides."""
        return self.households_reported / self.registered if self.registered else None


@dataclass(frozen=True)
class SourceCoverage:
    source: str
    label: str
    shares: dict[str, Share]  # kind -> files covered by at least one current record
    latest_period: tuple[int, int] | None  # (year, month); month WHOLE_YEAR: a yearly record
    latest_date: date | None  # loans, public records
    last_import: datetime | None
    months_behind: int | None
    stale: bool
    records: int  # current records of imported batches in scope
    matched: int
    unmatched_subjects: int

    @property
    def match_rate(self) -> float | None:
        return self.matched / self.records if self.records else None

    @property
    def has_data(self) -> bool:
        held = self.latest_period is not None or self.latest_date is not None
        return held or self.records > 0 or any(s.count for s in self.shares.values())


@dataclass(frozen=True)
class DataCoverage:
    scope_code: str
    scope_name: str
    today: date
    stale_after_months: int
    rows: list[RegionCoverage]
    total: RegionCoverage
    sources: list[SourceCoverage]
    unmatched_subjects: int = 0

    @property
    def has_departmental_data(self) -> bool:
        return any(s.has_data or s.last_import is not None for s in self.sources)

    @property
    def table_rows(self) -> list[RegionCoverage]:
        """The breakdown plus the total row, when there is more than one row to add up."""
        return self.rows + [self.total] if len(self.rows) > 1 else list(self.rows)


def _child_codes(codes: pd.Series, frames: CoverageFrames) -> pd.Series:
    """The child region each code falls in; codes coarser than a child (an SME registered
    at the county, a county-wide import) fall to the scope itself."""
    codes = codes.astype("str")
    child = codes.str.slice(0, frames.child_prefix).str.pad(12, side="right", fillchar="0")
    return child.where(child.isin(set(frames.children["code"])), frames.scope_code)


def _months_behind(today: date, year: int, month: int) -> int:
    return (today.year * 12 + today.month) - (year * 12 + month)


@dataclass(frozen=True)
class Freshness:
    latest_period: tuple[int, int] | None
    latest_date: date | None
    months_behind: int | None
    stale: bool


def judge_freshness(
    period: Any, latest_date: Any, last_import: Any, today: date, stale_after_months: int
) -> Freshness:
    """How far a source's newest data lags `today`, judged by the data's own period or date
    (a file of 2023 bills imported yesterday is still two years old). `period` is year*100 +
    month (WHOLE_YEAR for a yearly figure); `latest_date` and `last_import` are timestamps or
    None/NaT. Shared by the data-coverage page and the office's dashboard."""
    latest_period = None
    months_behind = None
    allowed = stale_after_months
    if period is not None and not pd.isna(period):
        latest_period = (int(period) // 100, int(period) % 100)
        year, month = latest_period
        months_behind = _months_behind(today, year, min(month, 12))
        if month == WHOLE_YEAR:
            # A year's figure cannot exist before the year ends: it is late only once
            # the following year's is overdue too.
            allowed += 12
    if latest_date is not None and not pd.isna(latest_date):
        latest_date = pd.Timestamp(latest_date).date()
        # Loans and public records arrive as events: a quiet year with no new penalty
        # is not stale data, so a recent import counts as fresh too.
        has_import = last_import is not None and not pd.isna(last_import)
        reference = (
            max(latest_date, pd.Timestamp(last_import).date()) if has_import else latest_date
        )
        months_behind = _months_behind(today, reference.year, reference.month)
    else:
        latest_date = None
    return Freshness(
        latest_period,
        latest_date,
        months_behind,
        months_behind is not None and months_behind > allowed,
    )


def _int(value: Any) -> int:
    return 0 if pd.isna(value) else int(value)


def summarise_data_coverage(
    frames: CoverageFrames, *, today: date, stale_after_months: int = STALE_AFTER_MONTHS
) -> DataCoverage:
    villages = frames.villages.copy()
    files = frames.files.copy()
    covered = frames.covered.copy()
    batches = frames.batches.copy()

    files["child"] = _child_codes(files["region_code"], frames)
    file_counts = (
        files.groupby(["child", "kind"])["files"]
        .sum()
        .unstack(fill_value=0)
        .reindex(columns=list(KINDS), fill_value=0)
    )

    household_files = files.loc[files["kind"] == "household"].set_index("region_code")["files"]
    villages["registered"] = pd.to_numeric(villages["registered_households"]).astype("Int64")
    villages["reported"] = villages["registered"].notna()
    villages["households"] = villages["code"].map(household_files).fillna(0).astype(int)
    villages["households_reported"] = villages["households"].where(villages["reported"], 0)
    villages["child"] = _child_codes(villages["code"], frames)
    per_village = villages.groupby("child").agg(
        registered=("registered", "sum"),
        any_reported=("reported", "any"),
        households_reported=("households_reported", "sum"),
        villages=("code", "size"),
        reported_villages=("reported", "sum"),
    )

    covered["child"] = _child_codes(covered["region_code"], frames)
    covered_counts = covered.groupby(["child", "source", "kind"])["subjects"].sum()

    # Unmatched keys have no region of their own: they belong where the batch was imported.
    batches["child"] = _child_codes(batches["scope_code"], frames)
    unmatched = frames.unmatched.merge(
        batches[["id", "source", "child"]], left_on="batch_id", right_on="id"
    )
    unmatched_by_child = unmatched.groupby("child")["subject_key_id"].nunique()

    def region(code: str, name: str, *, own_level: bool = False) -> RegionCoverage:
        counts = file_counts.loc[code] if code in file_counts.index else None
        kinds = {kind: _int(counts[kind]) if counts is not None else 0 for kind in KINDS}
        village = per_village.loc[code] if code in per_village.index else None
        reported = village is not None and bool(village["any_reported"])
        return RegionCoverage(
            code=code,
            name=name,
            own_level=own_level,
            is_total=False,
            registered=_int(village["registered"]) if reported else None,
            households=kinds["household"],
            households_reported=_int(village["households_reported"]) if reported else 0,
            villages=_int(village["villages"]) if village is not None else 0,
            unreported_villages=(
                _int(village["villages"] - village["reported_villages"])
                if village is not None
                else 0
            ),
            entities=kinds["entity"],
            enterprises=kinds["enterprise"],
            unmatched_subjects=_int(unmatched_by_child.get(code, 0)),
            sources={
                source.value: {
                    kind: Share(
                        _int(covered_counts.get((code, source.value, kind), 0)), kinds[kind]
                    )
                    for kind in KINDS
                }
                for source in SOURCES
            },
        )

    rows = [region(code, name) for code, name in frames.children.itertuples(index=False)]
    own = region(frames.scope_code, frames.scope_name, own_level=True)
    if frames.scope_code not in set(frames.children["code"]) and (
        own.entities or own.enterprises or own.households or own.unmatched_subjects
    ):
        rows.append(own)

    totals = {kind: int(file_counts[kind].sum()) for kind in KINDS}
    source_kind = covered.groupby(["source", "kind"])["subjects"].sum()
    reported_total = bool(villages["reported"].any())
    total = RegionCoverage(
        code=frames.scope_code,
        name=frames.scope_name,
        own_level=False,
        is_total=True,
        registered=int(villages["registered"].sum()) if reported_total else None,
        households=totals["household"],
        households_reported=int(villages["households_reported"].sum()),
        villages=len(villages),
        unreported_villages=int((~villages["reported"]).sum()),
        entities=totals["entity"],
        enterprises=totals["enterprise"],
        unmatched_subjects=int(unmatched["subject_key_id"].nunique()),
        sources={
            source.value: {
                kind: Share(_int(source_kind.get((source.value, kind), 0)), totals[kind])
                for kind in KINDS
            }
            for source in SOURCES
        },
    )

    sources = _source_figures(frames, batches, unmatched, total, today, stale_after_months)
    return DataCoverage(
        scope_code=frames.scope_code,
        scope_name=frames.scope_name,
        today=today,
        stale_after_months=stale_after_months,
        rows=rows,
        total=total,
        sources=sources,
        unmatched_subjects=total.unmatched_subjects,
    )


def _source_figures(
    frames: CoverageFrames,
    batches: pd.DataFrame,
    unmatched: pd.DataFrame,
    total: RegionCoverage,
    today: date,
    stale_after_months: int,
) -> list[SourceCoverage]:
    records = frames.batch_records.merge(
        batches[["id", "source", "in_subtree"]], left_on="batch_id", right_on="id"
    )
    records["period"] = pd.to_numeric(records["period"])
    records["latest_date"] = pd.to_datetime(records["latest_date"])
    records["records"] = pd.to_numeric(records["records"])
    latest = records.groupby("source").agg(
        period=("period", "max"), latest_date=("latest_date", "max")
    )
    counts = records.loc[records["in_subtree"].astype(bool)].groupby("source")["records"].sum()
    unmatched_records = unmatched.groupby("source")["records"].sum()
    unmatched_by_source = unmatched.groupby("source")["subject_key_id"].nunique()
    last_imports = pd.to_datetime(batches["finished_at"]).groupby(batches["source"]).max()

    figures = []
    for source in SOURCES:
        key = source.value
        period = latest["period"].get(key) if key in latest.index else None
        latest_date = latest["latest_date"].get(key) if key in latest.index else None
        last_import = last_imports.get(key)
        last_import = None if last_import is None or pd.isna(last_import) else last_import
        fresh = judge_freshness(period, latest_date, last_import, today, stale_after_months)
        figures.append(
            SourceCoverage(
                source=key,
                label=SOURCE_LABELS[source],
                shares={kind: total.sources[key][kind] for kind in KINDS},
                latest_period=fresh.latest_period,
                latest_date=fresh.latest_date,
                last_import=last_import.to_pydatetime() if last_import is not None else None,
                months_behind=fresh.months_behind,
                stale=fresh.stale,
                records=_int(counts.get(key, 0)),
                matched=_int(counts.get(key, 0)) - _int(unmatched_records.get(key, 0)),
                unmatched_subjects=_int(unmatched_by_source.get(key, 0)),
            )
        )
    return figures


def build_data_coverage(user: User, *, today: date) -> DataCoverage:
    """The figures for the user's scope, reused while the data stays as it was (see
    coverage_cache: they are never older than the data)."""
    return cached(
        ("coverage", user.scope_code, today),
        lambda: summarise_data_coverage(load_coverage_frames(user), today=today),
    )


# ---------------------------------------------------------------------------------------------
# Presentation helpers shared by the page and the export


def fresh_text(fresh: "Freshness | SourceCoverage", whole_year: str = "{year}") -> str:
    """The latest period or date held, language-neutral: 2025-03, 2024 (a whole year),
    2026-11-02; "" when nothing is held."""
    return period_text(fresh, whole_year)


def period_text(coverage: "Freshness | SourceCoverage", whole_year: str = "{year}年全年") -> str:
    """The latest period held: 2025-03, a whole year, or a date; "" when nothing is held."""
    if coverage.latest_date is not None:
        return coverage.latest_date.isoformat()
    if coverage.latest_period is None:
        return ""
    year, month = coverage.latest_period
    return whole_year.format(year=year) if month == WHOLE_YEAR else f"{year}-{month:02d}"


def _percent(ratio: float | None) -> float | None:
    return None if ratio is None else round(100 * ratio, 1)


def chart_options(coverage: DataCoverage, labels: dict[str, str]) -> dict[str, dict]:
    """ECharts options: per-source coverage of households and entities, and 建档率 per child
    region. `labels` carries the translated words (kinds, sources, file_rate). SMEs stay in
    the table: a third bar per source would not read at phone height."""
    sources = list(reversed(coverage.sources))  # ECharts draws category axes bottom-up
    series = [
        {
            "name": labels[kind],
            "type": "bar",
            "data": [_percent(s.shares[kind].ratio) for s in sources],
            "label": {"show": True, "position": "right", "formatter": "{c}%"},
        }
        for kind in ("household", "entity")
    ]
    by_source = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 48, "top": 32, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
        "yAxis": {"type": "category", "data": [labels.get(s.source, s.label) for s in sources]},
        "series": series,
    }
    regions = [r for r in reversed(coverage.rows) if not r.own_level]
    file_rate = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 48, "top": 8, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "value", "axisLabel": {"formatter": "{value}%"}},
        "yAxis": {"type": "category", "data": [r.name for r in regions]},
        "series": [
            {
                "name": labels["file_rate"],
                "type": "bar",
                "data": [_percent(r.file_rate) for r in regions],
                "label": {"show": True, "position": "right", "formatter": "{c}%"},
            }
        ],
    }
    return {"by_source": by_source, "file_rate": file_rate}


KIND_HEADERS = {"household": "农户", "entity": "新型农业经营主体", "enterprise": "中小微企业"}
UNREPORTED = "未填报"


def coverage_workbook(coverage: DataCoverage) -> bytes:
    """The figures as an XLSX for reporting upward. Headers are a report format, so they are
    fixed Chinese; ratios are stored as fractions formatted as percentages."""
    book = Workbook()
    regions = book.active
    regions.title = "各区域"
    header = ["区域", "户籍户数", "未填报户籍户数的村", "已建档农户", "建档率"]
    header += ["新型农业经营主体", "中小微企业", "未匹配主体"]
    for source in SOURCES:
        label = SOURCE_LABELS[source]
        for kind in KINDS:
            header += [f"{label}·覆盖{KIND_HEADERS[kind]}", f"{label}·{KIND_HEADERS[kind]}覆盖率"]
    append_row(regions, header)
    percent_columns = {5} | {9 + 2 * i + 1 for i in range(len(SOURCES) * len(KINDS))}
    for row in coverage.table_rows:
        name = f"{row.name}本级" if row.own_level else ("合计" if row.is_total else row.name)
        values: list[Any] = [
            name,
            row.registered if row.registered is not None else UNREPORTED,
            row.unreported_villages,
            row.households,
            row.file_rate if row.file_rate is not None else UNREPORTED,
            row.entities,
            row.enterprises,
            row.unmatched_subjects,
        ]
        for source in SOURCES:
            for kind in KINDS:
                share = row.sources[source.value][kind]
                values += [share.count, share.ratio]
        append_row(regions, values)

    sources = book.create_sheet("各数据源")
    append_row(
        sources,
        ["数据源"]
        + [
            item
            for kind in KINDS
            for item in (f"覆盖{KIND_HEADERS[kind]}", f"{KIND_HEADERS[kind]}覆盖率")
        ]
        + ["最新数据期", "最近导入", f"超过{coverage.stale_after_months}个月未更新"]
        + ["导入记录数", "已匹配记录数", "匹配率", "未匹配主体"],
    )
    for s in coverage.sources:
        values = [s.label]
        for kind in KINDS:
            values += [s.shares[kind].count, s.shares[kind].ratio]
        values += [
            period_text(s) or "无数据",
            s.last_import.date() if s.last_import else None,
            "是" if s.stale else "否",
            s.records,
            s.matched,
            s.match_rate,
            s.unmatched_subjects,
        ]
        append_row(sources, values)
    source_percent = {3, 5, 7, 13}

    notes = book.create_sheet("说明")
    append_row(notes, ["区域", coverage.scope_name])
    append_row(notes, ["统计日期", coverage.today])
    append_row(notes, ["建档率", "已建档农户 ÷ 户籍户数；未填报户籍户数的村不计入分子和分母"])
    append_row(notes, ["覆盖率", "有该部门当前有效记录的档案数 ÷ 档案数"])
    append_row(notes, ["匹配率", "本区域导入的当前记录中，能对应到档案的记录所占比例"])
    append_row(notes, ["未匹配主体", "按导入批次所属区域统计"])

    for sheet, percent in ((regions, percent_columns), (sources, source_percent)):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in percent:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = "0.0%"
        for index in range(1, sheet.max_column + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 14
        sheet.freeze_panes = "B2"
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 60
    notes["B2"].number_format = "yyyy-mm-dd"
    for (cell,) in sources.iter_rows(min_row=2, min_col=9, max_col=9):
        cell.number_format = "yyyy-mm-dd"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
