"""Household figures from departmental records, as of a run's data date: what the
departmental indicators (inputs.DEPARTMENTAL_COLUMNS) score.

Pure pandas over the records of the run's subjects; whoever reads the records hands each row
over with `visible_from` (the county day its batch was imported) and `visible_until` (the day
a later batch superseded it; NaT while current). As of a date D a row counts when its batch
was imported by D, it was not yet superseded on D, and its period had begun by D; then only
the indicator's window, the last `lookback_months` months up to D's month. So neither a
record dated after D nor one a batch imported after D changes a rating as of D.

A subject without a counted row gets NaN (无记录): the engine scores it as the indicator's
`missing_points`, never as a bad record.

    subjects = attach_departmental_facts(subjects, records, rules, as_of)

A rating run does not read the rows: rating_cycle.runs.departmental_inputs computes the same
values in SQL, one row per subject (DepartmentalValues), and these functions are the
reference its tests hold it to.
"""

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from . import inputs
from .rules import Indicator, RatingRules

# A streak (社保, 公积金) is still running when its latest paid month is at most this many
# months before the data date's month: departments report a month or two late.
REPORTING_LAG_MONTHS = 2
VALUE_DECIMALS = 6  # rates are rounded so a bill count on a band edge lands the same way


@dataclass(frozen=True)
class DepartmentalRecords:
    """Rows of the run's subjects (`subject_id`), each with year, month (0: the whole year),
    visible_from and visible_until; None: the source has no data in the run's region.

    utilities: paid_on (NaT: not paid when the department reported), days_late (days paid
    after the due date, or overdue so far when unpaid); tax: tax_grade; social_insurance:
    months_paid, arrears; provident_fund: months_paid."""

    utilities: pd.DataFrame | None = None
    tax: pd.DataFrame | None = None
    social_insurance: pd.DataFrame | None = None
    provident_fund: pd.DataFrame | None = None


@dataclass(frozen=True)
class DepartmentalValues:
    """Each departmental indicator's value per subject id as of the date, computed where the
    records are (`values[(field, lookback_months)]`: absent subject: 无记录; None: the source
    has no data in the region)."""

    values: dict[tuple[str, int], pd.Series | None]

    def of(self, ind: Indicator) -> pd.Series | None:
        return self.values.get((ind.field, int(ind.lookback_months)))


def _month_index(year: pd.Series, month: pd.Series) -> np.ndarray:
    """year * 12 + month - 1; a whole-year row (month 0) is dated by its December, as its
    figures are known only once the year is over."""
    m = month.fillna(0).to_numpy(dtype=np.int64)
    return year.to_numpy(dtype=np.int64) * 12 + np.where(m > 0, m, 12) - 1


def _as_of_index(as_of: date) -> int:
    return as_of.year * 12 + as_of.month - 1


def seen(rows: pd.DataFrame | None, as_of: date, months: int) -> pd.DataFrame | None:
    """The rows known on `as_of` within the last `months` months up to its month, with their
    `period` (month index); None stays None (no data in the region)."""
    if rows is None:
        return None
    stamp = pd.Timestamp(as_of)
    visible_from = pd.to_datetime(rows["visible_from"])
    visible_until = pd.to_datetime(rows["visible_until"])
    period = _month_index(rows["year"], rows["month"])
    now = _as_of_index(as_of)
    keep = (
        (visible_from <= stamp).to_numpy()
        & (visible_until.isna() | (visible_until > stamp)).to_numpy()
        & (period <= now)
        & (period > now - months)
    )
    return rows[keep].assign(period=period[keep])


def utility_on_time_rate(bills: pd.DataFrame, as_of: date) -> pd.Series:
    """Per subject, the percent of bills paid on time among those whose outcome is known on
    the date: paid by then (on time when no day late), or overdue by then. A bill paid after
    the date was overdue on it only if its due date had passed (days late beyond the days
    from the date to the payment); one not yet due on the date is not counted."""
    stamp = pd.Timestamp(as_of)
    paid_on = pd.to_datetime(bills["paid_on"])
    days_late = pd.to_numeric(bills["days_late"]).fillna(0).to_numpy(dtype=np.float64)
    paid_by = (paid_on <= stamp).to_numpy()
    after = (paid_on - stamp).dt.days.to_numpy(dtype=np.float64, na_value=np.nan)
    late_then = np.where(np.isnan(after), days_late, days_late - np.maximum(after, 0.0))
    known = paid_by | (late_then > 0)
    on_time = paid_by & (days_late <= 0)
    subject = bills["subject_id"].to_numpy()
    counts = pd.DataFrame({"known": known, "on_time": on_time}).groupby(subject).sum()
    return on_time_rate(counts["known"], counts["on_time"])


def on_time_rate(known: pd.Series, on_time: pd.Series) -> pd.Series:
    """The percent on time of each subject's known bills (counts by subject id), for the
    subjects with any: the one division both the pandas and the SQL reading use."""
    has = (known > 0).to_numpy()
    return (on_time[has] / known[has] * 100.0).round(VALUE_DECIMALS)


def latest_tax_grade(rows: pd.DataFrame) -> pd.Series:
    """Per subject, the grade of its latest graded period."""
    grade = rows["tax_grade"].astype("str").str.strip().str.upper()
    graded = rows.assign(tax_grade=grade)[grade.notna().to_numpy() & (grade != "").to_numpy()]
    graded = graded.sort_values(["subject_id", "period"], kind="stable")
    return graded.groupby("subject_id")["tax_grade"].last()


def paid_months_in_a_row(rows: pd.DataFrame, as_of: date, arrears: bool = True) -> pd.Series:
    """Per subject, the months paid in a row back from its latest month (monthly rows; a
    month counts when months_paid is not 0 and, with `arrears`, nothing is owed). A subject
    whose latest month is older than REPORTING_LAG_MONTHS before the date has stopped: 0."""
    monthly = rows[rows["month"].fillna(0).to_numpy() > 0]
    paid_count = pd.to_numeric(monthly["months_paid"]).fillna(1).to_numpy(dtype=np.float64)
    paid = paid_count > 0
    if arrears:
        owed = pd.to_numeric(monthly["arrears"]).fillna(0).to_numpy(dtype=np.float64)
        paid &= owed <= 0
    # One row per subject and month (two accounts the same month: paid only if both are).
    months = (
        pd.DataFrame(
            {
                "subject_id": monthly["subject_id"].to_numpy(),
                "period": monthly["period"],
                "paid": paid,
            }
        )
        .groupby(["subject_id", "period"], sort=True)["paid"]
        .min()
        .reset_index()
        .iloc[::-1]
    )
    subject = months["subject_id"]
    latest = months.groupby("subject_id")["period"].transform("max")
    back = months.groupby("subject_id").cumcount()
    in_a_row = ((months["period"] == latest - back) & months["paid"]).astype(np.int64)
    streak = in_a_row.groupby(subject).cummin().groupby(subject).sum()
    running = months.groupby("subject_id")["period"].max() >= _as_of_index(as_of) - (
        REPORTING_LAG_MONTHS
    )
    return streak.where(running, 0).astype(np.float64)


def indicator_values(ind: Indicator, records: DepartmentalRecords, as_of: date) -> pd.Series | None:
    """The indicator's value per subject id (absent: 无记录); None when its source has no data
    in the region at all."""
    months = int(ind.lookback_months)
    if ind.field == "utility_on_time_rate":
        rows = seen(records.utilities, as_of, months)
        return None if rows is None else utility_on_time_rate(rows, as_of)
    if ind.field == "tax_credit_grade":
        rows = seen(records.tax, as_of, months)
        return None if rows is None else latest_tax_grade(rows)
    if ind.field == "social_insurance_months":
        rows = seen(records.social_insurance, as_of, months)
        return None if rows is None else paid_months_in_a_row(rows, as_of)
    if ind.field == "provident_fund_months":
        rows = seen(records.provident_fund, as_of, months)
        return None if rows is None else paid_months_in_a_row(rows, as_of, arrears=False)
    raise ValueError(f"unknown departmental field {ind.field}")


def departmental_indicators(rules: RatingRules) -> list[Indicator]:
    return [i for i in rules.household_indicators if i.departmental]


def attach_departmental_facts(
    subjects: pd.DataFrame,
    records: DepartmentalRecords | DepartmentalValues | None,
    rules: RatingRules,
    as_of: date,
    id_column: str = "household_id",
) -> pd.DataFrame:
    """`subjects` with one column per departmental indicator of the rule set (its field):
    the value as of the date over the indicator's window, NaN for no records; all NaN when
    the source has no data in the region (the engine then leaves the indicator out).
    `records`: the rows, or the values already computed (DepartmentalValues)."""
    indicators = departmental_indicators(rules)
    if not indicators:
        return subjects
    records = records or DepartmentalRecords()
    ids = subjects[id_column]
    columns = {}
    for ind in indicators:
        if isinstance(records, DepartmentalValues):
            values = records.of(ind)
        else:
            values = indicator_values(ind, records, as_of)
        kind = inputs.DEPARTMENTAL_COLUMNS[ind.field].kind
        if values is None:
            values = pd.Series([], dtype="str" if kind == inputs.TEXT else np.float64)
        mapped = ids.map(values)
        columns[ind.field] = (
            mapped.astype("str") if kind == inputs.TEXT else mapped.astype(np.float64)
        ).to_numpy()
    return subjects.assign(**columns)
