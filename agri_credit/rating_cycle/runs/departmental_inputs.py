"""The departmental indicators' values (水电气, 纳税, 社保, 公积金) of a run's households, as of
its data date, computed in SQL: one GROUP BY per indicator returning one row per household
with records, so a county of 200,000 households reads about as many rows, not the 3 million
bills, grades and months behind them. Read only when the rule set has such an indicator.

The rules are those of `ratings.departmental_facts` (the pure pandas reference, which
tests/test_departmental_sql.py holds these statements to): a row counts as of the date D
when its batch landed by D, the batch that superseded it (if any) had not landed by D
(`departmental.landing_days`: the county's calendar day of the batch's finish), and its
period lies in the indicator's window, the last `lookback_months` months up to D's month
(a whole-year row, month 0, dated by its December).
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
)

from agri_credit.ratings.departmental_facts import (
    REPORTING_LAG_MONTHS,
    DepartmentalValues,
    on_time_rate,
)
from agri_credit.ratings.rules import RatingRules
from models import (
    BatchStatus,
    Household,
    ImportBatch,
    ProvidentFundRecord,
    Region,
    RegionLevel,
    SocialInsuranceRecord,
    Source,
    SubjectKey,
    TaxRecord,
    UtilityRecord,
    clock,
    db,
)

from .inputs import _households_in, _money, _read

# Which records each departmental field reads, and the sources that say "data exists".
_READS: dict[str, tuple[type, tuple[Source, ...]]] = {
    "utility_on_time_rate": (UtilityRecord, (Source.WATER, Source.ELECTRICITY, Source.GAS)),
    "tax_credit_grade": (TaxRecord, (Source.TAX,)),
    "social_insurance_months": (SocialInsuranceRecord, (Source.SOCIAL_INSURANCE,)),
    "provident_fund_months": (ProvidentFundRecord, (Source.PROVIDENT_FUND,)),
}
# What str.strip() takes off a one-letter grade (String(1)): a blank grade is no grade.
_BLANKS = " \t\n\r\x0b\x0c\xa0\u3000"


# ---- the cut-offs ----------------------------------------------------------------------------


def _landed_by(as_of: date) -> Select:
    """Ids of the imported batches that had landed by the end of the county's day `as_of`:
    finished (or created) before the next local midnight, as naive UTC like the column. The
    same batches as landing_days.batch_days with a day <= as_of, without a per-row join."""
    zone = clock.local_zone()
    midnight = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=zone)
    cutoff = midnight.astimezone(UTC).replace(tzinfo=None)
    landed_at = func.coalesce(ImportBatch.finished_at, ImportBatch.created_at)
    return select(ImportBatch.id).where(
        ImportBatch.status == BatchStatus.IMPORTED, landed_at < cutoff
    )


def _visible(model: Any, as_of: date) -> ColumnElement[bool]:
    """Landed by the date and not yet superseded on it (a superseding batch that is not, or
    no longer, imported supersedes nothing, as in landing_days.day_of)."""
    landed = _landed_by(as_of)
    return and_(
        model.batch_id.in_(landed),
        or_(model.superseded_by_id.is_(None), model.superseded_by_id.not_in(landed)),
    )


def _period(model: Any) -> ColumnElement[int]:
    """year * 12 + month - 1, a whole-year row (month 0) dated by its December. Constants as
    SQL text, not parameters: PostgreSQL matches a GROUP BY expression to the selected one
    only when they are the same text."""
    zero, one, twelve = (literal_column(str(n), Integer) for n in (0, 1, 12))
    month = func.coalesce(cast(model.month, Integer), zero)
    return cast(model.year, Integer) * twelve + case((month > zero, month), else_=twelve) - one


def _as_of_index(as_of: date) -> int:
    return as_of.year * 12 + as_of.month - 1


def _region_keys(region: Region) -> Select:
    """The subject keys linked to the region's households. Rows are picked by key from this
    list rather than joined to their household row by row: the statement then reads the
    region's rows only (a village's for a re-rating, not the county's) and the households
    once per key."""
    return (
        select(SubjectKey.id)
        .join(Household, Household.id == SubjectKey.household_id)
        .where(_households_in(region))
    )


def _counted(model: Any, region: Region, as_of: date, months: int) -> list[ColumnElement[bool]]:
    """The rows that count: the region's households', visible on the date, in the window. The
    year range is there for the index; the period decides."""
    now = _as_of_index(as_of)
    first_year = (now - months + 1) // 12
    period = _period(model)
    return [  # the region's keys first (_utility_counts leaves them out for a county)
        model.subject_key_id.in_(_region_keys(region)),
        model.year.between(first_year, as_of.year),
        period <= now,
        period > now - months,
        _visible(model, as_of),
    ]


def _rows(model: Any, region: Region, as_of: date, months: int, *columns: Any) -> Select:
    """The counted rows with their household as `subject_id`."""
    return (
        select(SubjectKey.household_id.label("subject_id"), *columns)
        .select_from(model)
        .join(SubjectKey, SubjectKey.id == model.subject_key_id)
        .where(*_counted(model, region, as_of, months))
    )


def _days_after(column: Any, day: date) -> ColumnElement[float]:
    """Days from `day` to a date column (negative before it): the dialects differ."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(column - literal(day), Float)
    return func.julianday(column) - func.julianday(day.isoformat())


# ---- the aggregates --------------------------------------------------------------------------


def _utility_counts(region: Region, as_of: date, months: int) -> Select:
    """Per household, the bills whose outcome is known on the date and those paid on time
    (departmental_facts.utility_on_time_rate): paid by the date; or overdue by then, i.e.
    unpaid and late, or paid later with more days late than days after the date."""
    late = func.coalesce(UtilityRecord.days_late, 0)
    paid_by = UtilityRecord.paid_on <= as_of
    known = or_(
        paid_by,
        and_(UtilityRecord.paid_on.is_(None), late > 0),
        late > _days_after(UtilityRecord.paid_on, as_of),
    )
    on_time = and_(paid_by, late <= 0)
    # Summed per key first, then per household over its keys: the county's 2.3 million
    # bills are not each looked up against their key and household. A county's run sums
    # every key's bills and keeps its households' after (PostgreSQL, misjudging the window's
    # rows, would otherwise check each bill's key in a nested loop); a smaller region picks
    # its keys' bills only.
    where = _counted(UtilityRecord, region, as_of, months)
    if region.level == RegionLevel.COUNTY:
        where = where[1:]
    per_key = (
        select(
            UtilityRecord.subject_key_id.label("key"),
            func.sum(case((known, 1), else_=0)).label("known"),
            func.sum(case((on_time, 1), else_=0)).label("on_time"),
        )
        .where(*where)
        .group_by(UtilityRecord.subject_key_id)
        .subquery()
    )
    return (
        select(
            SubjectKey.household_id.label("subject_id"),
            func.sum(per_key.c.known).label("known"),
            func.sum(per_key.c.on_time).label("on_time"),
        )
        .join(SubjectKey, SubjectKey.id == per_key.c.key)
        .join(Household, Household.id == SubjectKey.household_id)
        .where(_households_in(region))
        .group_by(SubjectKey.household_id)
    )


def _latest_grades(region: Region, as_of: date, months: int) -> Select:
    """Per household, the grade of its latest graded period (departmental_facts
    .latest_tax_grade); two graded rows of one period: the later row (higher id)."""
    grade = func.upper(_trimmed(TaxRecord.tax_grade))
    ranked = (
        _rows(
            TaxRecord,
            region,
            as_of,
            months,
            grade.label("grade"),
            func.row_number()
            .over(
                partition_by=SubjectKey.household_id,
                order_by=(_period(TaxRecord).desc(), TaxRecord.id.desc()),
            )
            .label("rank"),
        )
        .where(TaxRecord.tax_grade.is_not(None), _trimmed(TaxRecord.tax_grade) != "")
        .subquery()
    )
    return select(ranked.c.subject_id, ranked.c.grade).where(ranked.c.rank == 1)


def _trimmed(column: Any) -> ColumnElement[str]:
    if db.session.get_bind().dialect.name == "postgresql":
        return func.btrim(column, _BLANKS)
    return func.trim(column, _BLANKS)


def _streaks(model: Any, region: Region, as_of: date, months: int, arrears: bool) -> Select:
    """Per household, its latest month and the month where the paid run back from it breaks
    (departmental_facts.paid_months_in_a_row): the run is latest - break. A month is paid when
    every row of it is (months_paid not 0, and with `arrears` nothing owed); the break is the
    latest unpaid month, or the month before a paid one whose previous month has no row."""
    paid = func.coalesce(model.months_paid, 1) > 0
    if arrears:
        paid = and_(paid, func.coalesce(_money(model.arrears), 0.0) <= 0)
    period = _period(model)
    monthly = (
        _rows(
            model,
            region,
            as_of,
            months,
            period.label("period"),
            func.min(case((paid, 1), else_=0)).label("paid"),
        )
        .where(func.coalesce(model.month, 0) > 0)
        .group_by(SubjectKey.household_id, period)
        .subquery()
    )
    previous = func.lag(monthly.c.period).over(
        partition_by=monthly.c.subject_id, order_by=monthly.c.period
    )
    breaks = select(
        monthly.c.subject_id,
        monthly.c.period,
        case(
            (monthly.c.paid == 0, monthly.c.period),
            (previous == monthly.c.period - 1, None),
            else_=monthly.c.period - 1,
        ).label("break"),
    ).subquery()
    return select(
        breaks.c.subject_id,
        func.max(breaks.c.period).label("latest"),
        func.max(breaks.c["break"]).label("break"),
    ).group_by(breaks.c.subject_id)


def _any_landed(model: Any, region: Region, as_of: date, months: int) -> bool:
    """Whether a row of the region's households in the window's years had landed by the date
    (superseded or not): the source has delivered data here."""
    first_year = (_as_of_index(as_of) - months + 1) // 12
    found = exists(
        select(model.id).where(
            model.subject_key_id.in_(_region_keys(region)),
            model.year.between(first_year, as_of.year),
            model.batch_id.in_(_landed_by(as_of)),
        )
    )
    return bool(db.session.scalar(select(found)))


def _by_subject(statement: Select, *counts: str) -> pd.DataFrame:
    """Whole-number columns by subject id, as int64 even when no row came back."""
    frame = _read(statement)
    return frame.astype({"subject_id": np.int64, **dict.fromkeys(counts, np.int64)}).set_index(
        "subject_id"
    )


def indicator_values(field: str, region: Region, as_of: date, months: int) -> pd.Series | None:
    """One departmental field's value per household id (absent: 无记录) as of the date over
    the last `months` months; None when no row of the source here had landed by the date."""
    model, _ = _READS[field]
    if field == "utility_on_time_rate":
        frame = _by_subject(_utility_counts(region, as_of, months), "known", "on_time")
        values = on_time_rate(frame["known"], frame["on_time"])
    elif field == "tax_credit_grade":
        frame = _read(_latest_grades(region, as_of, months))
        frame = frame.set_index(frame["subject_id"].astype(np.int64).rename("subject_id"))
        values = frame["grade"].astype("str")
    else:
        statement = _streaks(model, region, as_of, months, model is SocialInsuranceRecord)
        frame = _by_subject(statement, "latest", "break")
        running = frame["latest"] >= _as_of_index(as_of) - REPORTING_LAG_MONTHS
        values = (frame["latest"] - frame["break"]).where(running, 0).astype(np.float64)
    if not len(frame) and not _any_landed(model, region, as_of, months):
        return None
    return values.sort_index()


def read_departmental(region: Region, as_of: date, rules: RatingRules) -> DepartmentalValues | None:
    """The values of the rule set's household departmental indicators; None when it has
    none. A source none of whose rows here had landed by the date is None (no data: the
    indicator is left out of the run)."""
    wanted = {
        (i.field, int(i.lookback_months)) for i in rules.household_indicators if i.departmental
    }
    if not wanted:
        return None
    return DepartmentalValues(
        {
            (field, months): indicator_values(field, region, as_of, months)
            for field, months in wanted
        }
    )


def sources_read(rules: RatingRules) -> set[str]:
    """The departments (models.Source values) the rule set's departmental indicators read."""
    return {
        source.value
        for ind in rules.household_indicators
        if ind.departmental
        for source in _READS[ind.field][1]
    }
