"""A subject's departmental records, as the file pages show them and the rating engine reads
them: current versions only (`superseded_by_id IS NULL`), negative rows past the five-year
rule left out (`retention.in_use`), reached through the subject keys linked to the file.

Queries return plain data: `records_frame` a DataFrame for many subjects at once, and
`subject_records` one file's sections (rows newest first, an ECharts option per chart). The
chart builders are pure functions of a source's frame, so they are tested without a browser.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import pandas as pd
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute

from agri_credit.credit_records.repaired import not_repaired
from agri_credit.credit_records.retention import in_use
from agri_credit.credit_records.same_event import copies_repaired_record
from models import (
    LOAN_STATUS_LABELS,
    NEGATIVE_PUBLIC_KINDS,
    NON_PERFORMING,
    PUBLIC_RECORD_KIND_LABELS,
    RECORD_MODELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    UTILITIES,
    CreditRecord,
    LoanRecord,
    ProvidentFundRecord,
    PublicRecord,
    SocialInsuranceRecord,
    Source,
    SubjectKey,
    TaxRecord,
    UtilityRecord,
    db,
)

from .sources import UTILITY_UNITS

SubjectKind = Literal["household", "entity", "enterprise"]

SUBJECT_LINKS = {
    "household": SubjectKey.household_id,
    "entity": SubjectKey.entity_id,
    "enterprise": SubjectKey.enterprise_id,
}

# Newest first, with a unique tail so equal dates keep a stable order.
NEWEST_FIRST = {
    TaxRecord: (TaxRecord.year.desc(), TaxRecord.month.desc(), TaxRecord.id.desc()),
    SocialInsuranceRecord: (
        SocialInsuranceRecord.year.desc(),
        SocialInsuranceRecord.month.desc(),
        SocialInsuranceRecord.id.desc(),
    ),
    ProvidentFundRecord: (
        ProvidentFundRecord.year.desc(),
        ProvidentFundRecord.month.desc(),
        ProvidentFundRecord.id.desc(),
    ),
    UtilityRecord: (
        UtilityRecord.year.desc(),
        UtilityRecord.month.desc(),
        UtilityRecord.account_no,
        UtilityRecord.id.desc(),
    ),
    LoanRecord: (LoanRecord.start_on.desc(), LoanRecord.id.desc()),
    PublicRecord: (PublicRecord.decided_on.desc(), PublicRecord.id.desc()),
}
# Bookkeeping columns the pages and the engine have no use for.
_INTERNAL = {"fingerprint", "row_number", "superseded_by_id", "subject_key_id"}
PAGE_ROWS = 12  # rows a table shows before "显示全部"
ZOOM_AFTER = 24  # periods a chart shows at once before it scrolls (phones)

GREEN, RED, BLUE = "#198754", "#dc3545", "#0d6efd"

# Numeric(…) columns: Decimals from the database, floats in frames and charts.
_DECIMAL_COLUMNS = {
    TaxRecord: ("tax_paid",),
    SocialInsuranceRecord: ("arrears",),
    ProvidentFundRecord: ("amount_paid",),
    UtilityRecord: ("consumption", "billed"),
    LoanRecord: ("amount", "balance"),
}
# The source of each table's rows; utility rows say theirs in their `utility` column.
_SOURCE_OF = {m: s for s, m in RECORD_MODELS.items() if s not in UTILITIES}


# ---- queries ---------------------------------------------------------------------------


def current_records(
    source: Source | str,
    kind: SubjectKind,
    subject_ids: Sequence[int] | Select,
    today: date,
) -> Select:
    """Current, in-use rows of one source for some subjects, each with its `subject_id`.
    `subject_ids` may be a subquery, so a rating run can select a whole village at once."""
    source = Source(source)
    link = SUBJECT_LINKS[kind]
    query = _current(RECORD_MODELS[source], link, link.in_(subject_ids), today)
    if source in UTILITIES:
        query = query.where(UtilityRecord.utility == source.value)
    return query


def _current(
    model: type, link: InstrumentedAttribute[int | None], subjects: ColumnElement[bool], today: date
) -> Select:
    columns = [c for c in model.__table__.columns if c.key not in _INTERNAL]
    return (
        select(*columns, link.label("subject_id"))
        .join(SubjectKey, SubjectKey.id == model.subject_key_id)
        .where(
            subjects,
            model.superseded_by_id.is_(None),
            in_use(model, today),
            not_repaired(model, today),
        )
        .order_by(*NEWEST_FIRST[model])
    )


def records_frame(
    source: Source | str,
    kind: SubjectKind,
    subject_ids: Sequence[int] | Select,
    today: date,
) -> pd.DataFrame:
    """The rows of `current_records` as a DataFrame, money and quantities as floats."""
    rows = db.session.execute(current_records(source, kind, subject_ids, today)).mappings()
    return _frame(Source(source), [dict(r) for r in rows])


def _frame(source: Source, rows: list[dict[str, Any]]) -> pd.DataFrame:
    model = RECORD_MODELS[source]
    names = [c.key for c in model.__table__.columns if c.key not in _INTERNAL] + ["subject_id"]
    frame = pd.DataFrame(rows, columns=names)
    for name in _DECIMAL_COLUMNS.get(model, ()):
        frame[name] = frame[name].astype(float)
    return frame


def credit_records_in_use(kind: SubjectKind, subject_id: int, today: date) -> list[CreditRecord]:
    """A household's or entity's own 荣誉与不良记录, expired negatives and copies of
    repaired public records left out."""
    column = CreditRecord.household_id if kind == "household" else CreditRecord.entity_id
    return list(
        db.session.scalars(
            select(CreditRecord)
            .where(
                column == subject_id,
                in_use(CreditRecord, today),
                ~copies_repaired_record(today),
            )
            .order_by(CreditRecord.occurred_on.desc(), CreditRecord.id)
        )
    )


# ---- one file's page ---------------------------------------------------------------------


@dataclass(frozen=True)
class SourceSection:
    """One department's card on a file page."""

    source: Source
    rows: list[dict[str, Any]]  # newest first, with display fields added
    chart: dict[str, Any] | None = None  # an ECharts option
    facts: dict[str, Any] = field(default_factory=dict)  # headline figures (latest tax grade)

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self.source]

    @property
    def has_data(self) -> bool:
        return bool(self.rows)

    @property
    def first_rows(self) -> list[dict[str, Any]]:
        return self.rows[:PAGE_ROWS]

    @property
    def more_rows(self) -> list[dict[str, Any]]:
        return self.rows[PAGE_ROWS:]


@dataclass(frozen=True)
class DepartmentalRecords:
    kind: SubjectKind
    subject_id: int
    sections: list[SourceSection]

    @property
    def with_data(self) -> list[SourceSection]:
        return [s for s in self.sections if s.has_data]

    @property
    def without_data(self) -> list[SourceSection]:
        return [s for s in self.sections if not s.has_data]

    @property
    def has_charts(self) -> bool:
        return any(s.chart for s in self.with_data)

    def section(self, source: Source | str) -> SourceSection:
        return next(s for s in self.sections if s.source == Source(source))


PAGE_ORDER = (
    Source.TAX,
    Source.SOCIAL_INSURANCE,
    Source.PROVIDENT_FUND,
    Source.ELECTRICITY,
    Source.WATER,
    Source.GAS,
    Source.BANK_LOAN,
    Source.PUBLIC_RECORD,
)


def subject_records(kind: SubjectKind, subject_id: int, today: date) -> DepartmentalRecords:
    """Every source's section for one file; a source without rows is an empty section, so
    the page can say "暂无…数据" rather than look as if all were well. One query per table:
    water, electricity and gas share theirs. Records an approved credit repair covers are
    left out, as the rating leaves them out."""
    rows_by_source: dict[Source, list[dict[str, Any]]] = {s: [] for s in PAGE_ORDER}
    link = SUBJECT_LINKS[kind]
    for model in dict.fromkeys(RECORD_MODELS[s] for s in PAGE_ORDER):
        query = _current(model, link, link == subject_id, today)
        for row in db.session.execute(query).mappings():
            source = Source(row["utility"]) if model is UtilityRecord else _SOURCE_OF[model]
            if source in rows_by_source:
                rows_by_source[source].append(dict(row))
    return DepartmentalRecords(
        kind, subject_id, [_section(s, rows_by_source[s]) for s in PAGE_ORDER]
    )


def _section(source: Source, rows: list[dict[str, Any]]) -> SourceSection:
    if not rows:
        return SourceSection(source, [])
    for row in rows:
        _add_display_fields(source, row)
    frame = _frame(source, rows)
    if source == Source.TAX:
        return SourceSection(source, rows, tax_chart(frame), latest_tax_grade(frame))
    if source == Source.SOCIAL_INSURANCE:
        chart = headcount_chart(frame, "insured_count", _("参保人数"))
        return SourceSection(source, rows, chart)
    if source == Source.PROVIDENT_FUND:
        chart = headcount_chart(frame, "depositor_count", _("缴存人数"))
        return SourceSection(source, rows, chart)
    if source in UTILITIES:
        unit = _("用量（%(unit)s）", unit=_(UTILITY_UNITS[source]))
        late = sum(1 for r in rows if (r["days_late"] or 0) > 0)
        # "All paid on time" only when the department said so for every month.
        on_time = not late and all(r["days_late"] is not None for r in rows)
        facts = {"late_months": late, "all_on_time": on_time}
        return SourceSection(source, rows, utility_chart(frame, unit), facts)
    if source == Source.BANK_LOAN:
        npl = sum(1 for r in rows if r["non_performing"])
        return SourceSection(source, rows, None, {"non_performing": npl})
    negatives = sum(1 for r in rows if r["negative"])
    return SourceSection(source, rows, None, {"negative": negatives})


def _add_display_fields(source: Source, row: dict[str, Any]) -> None:
    if "year" in row:
        row["period"] = period_label(row["year"], row["month"])
    if source == Source.BANK_LOAN:
        row["status_label"] = LOAN_STATUS_LABELS.get(row["status"], row["status"])
        row["non_performing"] = row["status"] in NON_PERFORMING
    elif source == Source.PUBLIC_RECORD:
        row["kind_label"] = PUBLIC_RECORD_KIND_LABELS.get(row["kind"], row["kind"])
        row["severity_label"] = SEVERITY_LABELS.get(row["severity"] or "", "")
        row["negative"] = row["kind"] in NEGATIVE_PUBLIC_KINDS


def period_label(year: int, month: int) -> str:
    """The period as shown: 2025 for a whole year (month 0), 2025-03 for a month."""
    return f"{year}" if not month else f"{year}-{month:02d}"


# ---- chart series (pure) ------------------------------------------------------------------


def tax_by_year(frame: pd.DataFrame) -> pd.Series:
    """Tax paid per year. A year reported as a whole (month 0) is taken as reported; other
    years are the sum of their months, so a department sending both never counts twice."""
    annual = frame[frame["month"] == 0].groupby("year")["tax_paid"].sum()
    monthly = frame[frame["month"] != 0].groupby("year")["tax_paid"].sum()
    return annual.combine_first(monthly).sort_index().round(2)


def latest_tax_grade(frame: pd.DataFrame) -> dict[str, Any]:
    graded = frame[frame["tax_grade"].notna() & (frame["tax_grade"] != "")]
    if graded.empty:
        return {}
    latest = graded.sort_values(["year", "month"]).iloc[-1]
    return {"tax_grade": latest["tax_grade"], "tax_grade_year": int(latest["year"])}


def utility_by_month(frame: pd.DataFrame) -> pd.DataFrame:
    """Consumption per month over all of a subject's accounts, and the most days any of them
    was paid late."""
    months = (
        frame.assign(days_late=frame["days_late"].fillna(0))
        .groupby(["year", "month"], as_index=False)
        .agg(consumption=("consumption", "sum"), days_late=("days_late", "max"))
        .sort_values(["year", "month"])
    )
    months["period"] = [
        period_label(y, m) for y, m in zip(months["year"], months["month"], strict=True)
    ]
    months["days_late"] = months["days_late"].astype(int)
    return months.reset_index(drop=True)


def _base_option(periods: list[str]) -> dict[str, Any]:
    option: dict[str, Any] = {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 8, "right": 8, "top": 36, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": periods},
    }
    if len(periods) > ZOOM_AFTER:  # swipe through the rest instead of squeezing the bars
        option["dataZoom"] = [{"type": "inside", "startValue": periods[-ZOOM_AFTER]}]
    return option


def _value_axis(name: str, right: bool = False, **extra: Any) -> dict[str, Any]:
    """A value axis whose name reads inward from the axis line: ECharts centres the name on
    the line and `containLabel` does not make room for it, so a long unit name was cut off
    at the chart's edge."""
    return {
        "type": "value",
        "name": name,
        "nameTextStyle": {"align": "right" if right else "left"},
        **extra,
    }


def tax_chart(frame: pd.DataFrame) -> dict[str, Any]:
    """纳税额 per year, as bars."""
    years = tax_by_year(frame)
    periods = [str(y) for y in years.index]
    return _base_option(periods) | {
        "yAxis": _value_axis(_("元")),
        "series": [
            {
                "name": _("纳税额"),
                "type": "bar",
                "data": [float(v) for v in years],
                "itemStyle": {"color": GREEN},
            }
        ],
    }


def headcount_chart(frame: pd.DataFrame, column: str, label: str) -> dict[str, Any]:
    """参保人数 / 缴存人数 per period (month or year), as a line; one period as a labelled bar
    (a line through one point reads as an empty axis)."""
    ordered = frame.sort_values(["year", "month"])
    periods = [period_label(y, m) for y, m in zip(ordered["year"], ordered["month"], strict=True)]
    return _base_option(periods) | {
        "yAxis": _value_axis(_("人"), minInterval=1),
        "series": [
            {
                "name": label,
                "type": "line" if len(periods) > 1 else "bar",
                "barMaxWidth": 48,
                "label": {"show": len(periods) == 1, "position": "top"},
                "data": [int(v) for v in ordered[column]],
                "itemStyle": {"color": BLUE},
            }
        ],
    }


def utility_chart(frame: pd.DataFrame, unit_label: str) -> dict[str, Any]:
    """Consumption per month as bars, and 逾期天数 as red bars on a second axis: a late
    month stands out without reading the table."""
    months = utility_by_month(frame)
    periods = months["period"].tolist()
    option = _base_option(periods)
    # Room for the legend above the two axis names: on a phone they overlapped.
    option["grid"] = option["grid"] | {"top": 60}
    return option | {
        "legend": {"top": 0},
        "yAxis": [
            _value_axis(unit_label),
            _value_axis(_("逾期天数"), right=True, minInterval=1, splitLine={"show": False}),
        ],
        "series": [
            {
                "name": unit_label,
                "type": "bar",
                "data": [round(float(v), 2) for v in months["consumption"]],
                "itemStyle": {"color": GREEN},
            },
            {
                "name": _("逾期天数"),
                "type": "bar",
                "yAxisIndex": 1,
                "data": months["days_late"].tolist(),
                "itemStyle": {"color": RED},
            },
        ],
    }
