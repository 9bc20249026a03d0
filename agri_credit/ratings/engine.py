"""The rating engine: rule sets applied to DataFrames, pure pandas/numpy.

Nothing here touches the database, Flask or the clock: a run builds the input frames
(inputs.py), calls these functions with a rule set and an as-of date, and stores what comes
back. The same inputs give the same outputs, whatever the row order, so a run can be repeated.

Every step is a whole-column operation: band lookups are `searchsorted`, village averages are
`bincount`s over the village codes, and the per-row texts (which gates failed, which indicators
had no data) are built once per distinct combination and handed out as categorical codes. That
is what keeps a million households in a few seconds.

    households = attach_loan_facts(households, loans, rules, as_of)
    households = attach_record_facts(households, records, rules, as_of)
    scored = score_households(households, rules, as_of)
    villages = rate_villages(scored, summarise_loans(loans, "village_code", rules, as_of),
                             village_facts, rules)
    townships = rate_townships(villages, summarise_loans(loans, "township_code", rules, as_of),
                               rules)
    counties = rate_counties(villages, townships, rules)
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from . import inputs
from .figures import compared_number, rounded_percent
from .rules import (
    CATEGORY,
    COUNTY,
    FLAG,
    METRIC_LABELS,
    MISSING_AS_LOWEST,
    MISSING_AS_ZERO,
    NEW_NPL_CALENDAR_YEAR,
    OVER_REGISTERED,
    RELATIVE,
    TOWNSHIP,
    VILLAGE,
    Band,
    Gate,
    Indicator,
    InvalidRuleSet,
    RatingRules,
    Readings,
    Threshold,
    fmt,
)

POINTS_PREFIX = "points_"
# The value a departmental indicator scored (NaN: 无记录), shown beside its points.
VALUE_PREFIX = "value_"
# A column `<field>_as_zero` next to an input field holds its value with the missing parts
# counted as 0 (net income without spending, assets of a file that lists none): what the
# MISSING_AS_ZERO reading scores where the field itself is NaN.
AS_ZERO_SUFFIX = "_as_zero"
# Relative positions are rounded before banding so a household sitting exactly on a band
# edge (1.5 x the village average) lands in the same band whatever order the rows came in.
RATIO_DECIMALS = 6
SCORE_DECIMALS = 2


class MissingColumns(ValueError):
    def __init__(self, frame: str, columns: list[str]) -> None:
        super().__init__(f"{frame}缺少列：{'、'.join(columns)}")
        self.columns = columns


# --- small vectorised pieces --------------------------------------------------------------


def _floats(series: pd.Series) -> np.ndarray:
    """A column as float64 with NaN for no data (bools become 0/1)."""
    if pd.api.types.is_numeric_dtype(series.dtype) and not isinstance(
        series.dtype, pd.CategoricalDtype
    ):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _codes(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and their distinct values (-1 for missing), sorted so that the codes do
    not depend on row order."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        categories = series.cat.categories
        if categories.is_monotonic_increasing:
            return codes, categories
    codes, uniques = pd.factorize(series, sort=True)
    return codes, pd.Index(uniques)


def _band_points(values: np.ndarray, bands: Sequence[Band]) -> np.ndarray:
    """Points of the band each value falls in ([lower, upper)); 0 outside every band."""
    lowers = np.array([-np.inf if b.lower is None else b.lower for b in bands])
    uppers = np.array([np.inf if b.upper is None else b.upper for b in bands])
    points = np.array([b.points for b in bands], dtype=np.float64)
    index = np.searchsorted(lowers, values, side="right") - 1
    clipped = np.clip(index, 0, len(bands) - 1)
    upper = uppers[clipped]
    inside = (index >= 0) & ((values < upper) | (np.isposinf(upper) & ~np.isnan(values)))
    return np.where(inside, points[clipped], 0.0)


@dataclass(frozen=True)
class Average:
    """Who makes up a village's 户均 (Readings.average_over / average_includes_gated): the
    rows `counted` (None: every row), over their number, or over `households` per group
    (户籍户数 less the rows not counted; NaN where unknown) where that is larger."""

    counted: np.ndarray | None = None
    households: np.ndarray | None = None


def _group_means(
    values: np.ndarray, groups: np.ndarray, n_groups: int, average: Average = Average()
) -> np.ndarray:
    """Each group's average of `values`, ignoring NaN (a groupby-mean, done as two
    bincounts because it is several times faster on a million rows)."""
    known = ~np.isnan(values)
    if average.counted is not None:
        known &= average.counted
    sums = np.bincount(groups[known], weights=values[known], minlength=n_groups)
    counts = np.bincount(groups[known], minlength=n_groups).astype(np.float64)
    if average.households is not None:
        left_out = (
            np.zeros(n_groups)
            if average.counted is None
            else np.bincount(groups[~average.counted], minlength=n_groups)
        )
        households = average.households - left_out
        # Registered households without a file count as 0; never fewer than the values.
        counts = np.where(np.isnan(households), counts, np.fmax(households, counts))
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


def _relative(values: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Position against the average, 1.0 being average: value / mean when the mean is
    positive, and still ordered the same way when the village average is zero or negative
    (net income can be)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = 1.0 + (values - means) / np.abs(means)
    ratio = np.where(
        means == 0, np.where(values > 0, np.inf, np.where(values < 0, -np.inf, 1.0)), ratio
    )
    return np.round(ratio, RATIO_DECIMALS)


def _category_points(series: pd.Series, categories: Sequence[tuple[str, float]]) -> np.ndarray:
    """Points of each value's category; NaN for no value and for a value the sheet does not
    know (a typo must not pass as 0 points unnoticed)."""
    codes, values = _codes(series)
    table = dict(categories)
    lookup = np.array(
        [table.get(str(v).strip(), np.nan) for v in values] + [np.nan], dtype=np.float64
    )
    return lookup[codes]  # code -1 (missing) reads the trailing NaN


def _labelled(bits: np.ndarray, names: Sequence[str], sep: str) -> pd.Categorical:
    """Per-row text naming the set bits, built once per distinct combination."""
    codes, combos = pd.factorize(bits, sort=True)
    texts = [sep.join(n for j, n in enumerate(names) if int(c) >> j & 1) for c in combos]
    return pd.Categorical.from_codes(codes, categories=texts)


def _has_data(frame: pd.DataFrame, column: str | None) -> bool:
    return column is not None and column in frame.columns and bool(frame[column].notna().any())


def _check_rules(rules: RatingRules) -> None:
    problems = rules.validate()
    if problems:
        raise InvalidRuleSet(problems)


def _require(frame: pd.DataFrame, contract: dict[str, inputs.Column], name: str) -> None:
    missing = inputs.missing_required(frame.columns, contract)
    if missing:
        raise MissingColumns(name, missing)


def _as_timestamp(value: date) -> pd.Timestamp:
    return pd.Timestamp(value)


def _years_before(as_of: date, years: float) -> pd.Timestamp:
    """as_of minus `years`, in calendar years for whole years (5 years from 2025-06-30 is
    2020-06-30, leap days or not)."""
    whole = int(years)
    cutoff = _as_timestamp(as_of) - pd.DateOffset(years=whole)
    return cutoff - pd.Timedelta(days=round((years - whole) * 365.25))


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[s]")
    return pd.to_datetime(frame[column], errors="coerce")


# --- grades -------------------------------------------------------------------------------


def grade_categories(rules: RatingRules) -> pd.CategoricalDtype:
    """Grades as an ordered categorical, lowest first, so `grade >= "AA"` works."""
    return pd.CategoricalDtype([b.grade for b in reversed(rules.grade_bands)], ordered=True)


def assign_grades(scores: np.ndarray | pd.Series, rules: RatingRules) -> pd.Categorical:
    """The grade band each score reaches (AAA ≥ 80 …); NaN below the lowest band."""
    values = np.round(np.asarray(scores, dtype=np.float64), SCORE_DECIMALS)
    ascending = np.array([b.min_score for b in reversed(rules.grade_bands)])
    code = np.searchsorted(ascending, values, side="right") - 1
    code = np.where(np.isnan(values), -1, code)
    return pd.Categorical.from_codes(code, dtype=grade_categories(rules))


# --- scoring subjects ---------------------------------------------------------------------


class _VillageMeans:
    """The village averages one sheet compares its rows with: given ones (a run's, kept so
    one subject can be scored again against the village the run saw), else computed from the
    rows; either way each is recorded in `used`, keyed "<sheet>:<field>"."""

    def __init__(
        self,
        sheet: str,
        villages: pd.Index,
        given: pd.DataFrame | None,
        used: dict,
        average: Average = Average(),
    ) -> None:
        self.sheet, self.villages, self.given, self.used = sheet, villages, given, used
        self.average = average

    def per_row(self, field: str, values: np.ndarray, groups: np.ndarray) -> np.ndarray:
        name = f"{self.sheet}:{field}"
        n = len(self.villages)
        if self.given is not None and name in self.given.columns:
            means = self.given[name].reindex(self.villages.astype("str")).to_numpy(np.float64)
            means = np.append(means, np.nan)  # the group of rows without a village
        else:
            means = _group_means(values, groups, n + 1, self.average)
        self.used[name] = pd.Series(means[:n], index=self.villages.astype("str"))
        return means[groups]


def _values_points(
    values: np.ndarray,
    ind: Indicator,
    bands: Sequence[Band],
    groups: np.ndarray,
    means: _VillageMeans,
    column: str,
) -> np.ndarray:
    if ind.method == FLAG:
        return np.where(np.isnan(values), np.nan, np.where(values != 0, ind.points, 0.0))
    if ind.method == RELATIVE:
        values = _relative(values, means.per_row(column, values, groups))
    return np.where(np.isnan(values), np.nan, _band_points(values, bands))


def _indicator_points(
    frame: pd.DataFrame, ind: Indicator, groups: np.ndarray, means: _VillageMeans
) -> tuple[np.ndarray, np.ndarray]:
    """Points of one indicator per row, and which rows lacked its value.

    A row without the value scores as the rule set says (Indicator.when_missing): NaN points
    (缺失, 0 in the total) and no part in the village average; the lowest band, still out of
    the average; or the value with its missing part as 0 (`<field>_as_zero`, else 0), which
    then counts in the average like any other."""
    n = len(frame)
    if ind.departmental:
        return _departmental_points(frame, ind, n)
    if ind.method == CATEGORY:
        if ind.field not in frame.columns:
            return np.full(n, np.nan), np.ones(n, dtype=bool)
        points = _category_points(frame[ind.field], ind.categories)
        lacking = np.isnan(points)
        if ind.when_missing == MISSING_AS_ZERO:
            points = np.where(lacking, 0.0, points)
    else:
        lacking = np.ones(n, dtype=bool)
        parts = []
        for column, bands in ((ind.field, ind.bands), (ind.alt_field, ind.alt_bands)):
            if column is None or column not in frame.columns:
                parts.append(np.full(n, np.nan))
                continue
            values = _floats(frame[column])
            lacking &= np.isnan(values)
            if ind.when_missing == MISSING_AS_ZERO:
                fill = frame.get(column + AS_ZERO_SUFFIX)
                fill = np.zeros(n) if fill is None else np.nan_to_num(_floats(fill))
                values = np.where(np.isnan(values), fill, values)
            parts.append(_values_points(values, ind, bands, groups, means, column))
        # fmax keeps the known one when the other is NaN: a crop farm has no herd.
        points = np.fmax(*parts) if ind.alt_field else parts[0]
    if ind.when_missing == MISSING_AS_LOWEST:
        points = np.where(lacking, ind.lowest_points(), points)
    return points, lacking


def _departmental_points(
    frame: pd.DataFrame, ind: Indicator, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """A departmental indicator's points: the band or category of its value, and
    `missing_points` for a subject with no records (or a grade the sheet does not know).
    No records is not a gap in the file, so no row is marked as lacking data."""
    if ind.field not in frame.columns:
        points = np.full(n, np.nan)
    elif ind.method == CATEGORY:
        points = _category_points(frame[ind.field], ind.categories)
    else:
        values = _floats(frame[ind.field])
        points = np.where(np.isnan(values), np.nan, _band_points(values, ind.bands))
    return np.where(np.isnan(points), ind.missing_points, points), np.zeros(n, dtype=bool)


def _gate_fails(frame: pd.DataFrame, gate: Gate) -> np.ndarray:
    values = _floats(frame[gate.field])
    with np.errstate(invalid="ignore"):
        fails = {
            ">=": values >= gate.value,
            ">": values > gate.value,
            "<=": values <= gate.value,
            "<": values < gate.value,
            "==": values == gate.value,
            "!=": values != gate.value,
            "true": values != 0,
        }[gate.op]
    return fails & ~np.isnan(values)  # no data cannot disqualify


class _Sheet:
    """Scores of one indicator sheet over a frame, before they become result columns."""

    def __init__(
        self,
        frame: pd.DataFrame,
        indicators: Sequence[Indicator],
        absent: set[str],
        key_bits: dict[str, int],
        sheet_name: str = "",
        given_means: pd.DataFrame | None = None,
        used_means: dict[str, pd.Series] | None = None,
        counted: np.ndarray | None = None,
        registered: pd.Series | None = None,
    ) -> None:
        village_codes, villages = _codes(frame["village_code"])
        groups = np.where(village_codes < 0, len(villages), village_codes)
        households = None
        if registered is not None:
            households = np.append(
                pd.Index(villages).astype("str").map(registered).to_numpy(dtype=np.float64),
                np.nan,
            )
        means = _VillageMeans(
            sheet_name,
            villages,
            given_means,
            {} if used_means is None else used_means,
            Average(counted, households),
        )
        n = len(frame)
        self.points: dict[str, np.ndarray] = {}
        self.missing_bits = np.zeros(n, dtype=np.int64)
        self.lacking: dict[str, int] = {}  # rows without the value, per indicator
        total = np.zeros(n)
        full_marks = 0.0
        for ind in indicators:
            if ind.key in absent and ind.rescale_if_absent:
                self.points[ind.key] = np.full(n, np.nan)  # "no data in this run"
                continue
            points, lacking = _indicator_points(frame, ind, groups, means)
            self.missing_bits |= lacking.astype(np.int64) << key_bits[ind.key]
            self.lacking[ind.key] = int(lacking.sum())
            points = np.where(np.isnan(points), 0.0, points)
            self.points[ind.key] = points
            total += points
            full_marks += ind.points
        # Indicators left out for want of data: the rest are scaled back to a 100-point sheet.
        if full_marks and not np.isclose(full_marks, 100.0):
            total *= 100.0 / full_marks
        self.total = np.round(total, SCORE_DECIMALS)


def _absent_indicators(
    frame: pd.DataFrame, indicators: Sequence[Indicator]
) -> dict[str, Indicator]:
    return {
        ind.key: ind
        for ind in indicators
        if not (_has_data(frame, ind.field) or _has_data(frame, ind.alt_field))
    }


def _score(
    frame: pd.DataFrame,
    sheets: dict[object, Sequence[Indicator]],
    row_sheet: np.ndarray,
    rules: RatingRules,
    as_of: date,
    id_columns: list[str],
    credit_column: str,
    benchmarks: "Benchmarks | None" = None,
    means_used: dict[str, pd.Series] | None = None,
    registered: pd.Series | None = None,
) -> pd.DataFrame:
    """Score every row with the sheet `row_sheet` points it to (-1: no sheet for it).
    `means_used` gets the village averages the relative indicators compared with;
    `registered`: 户籍户数 by village code, when the 户均 is over registered households."""
    n = len(frame)
    # One bit per indicator key across all sheets, one per gate, for the per-row texts.
    ordered: dict[str, Indicator] = {}
    for indicators in sheets.values():
        for ind in indicators:
            ordered.setdefault(ind.key, ind)
    key_bits = {key: bit for bit, key in enumerate(ordered)}
    if len(ordered) > 62 or len(rules.gates) > 62:  # one bit each in an int64
        raise ValueError("评定办法的指标或否决条件过多（每类最多 62 项）")
    all_indicators = list(ordered.values())
    if benchmarks is not None and benchmarks.absent is not None:
        absent = {key: ordered[key] for key in benchmarks.absent if key in ordered}
    else:
        absent = _absent_indicators(frame, all_indicators)
    given = benchmarks.village_means if benchmarks is not None else None
    used: dict[str, pd.Series] = {} if means_used is None else means_used

    gate_bits = np.zeros(n, dtype=np.int64)
    unevaluated = []
    for bit, gate in enumerate(rules.gates):
        if not _has_data(frame, gate.field):
            unevaluated.append(gate)
            continue
        gate_bits |= _gate_fails(frame, gate).astype(np.int64) << bit
    unknown_bit = len(rules.gates)
    gate_bits |= (row_sheet < 0).astype(np.int64) << unknown_bit
    # Readings.average_includes_gated: whether disqualified subjects make up the 户均.
    counted = None if rules.readings.average_includes_gated else gate_bits == 0

    points = {key: np.full(n, np.nan) for key in ordered}
    lacking: dict[str, int] = dict.fromkeys(ordered, 0)
    total = np.zeros(n)
    missing_bits = np.zeros(n, dtype=np.int64)
    for sheet_no, (sheet_name, indicators) in enumerate(sheets.items()):
        rows = np.flatnonzero(row_sheet == sheet_no)
        if rows.size == 0:
            continue
        part = frame if rows.size == n else frame.iloc[rows]
        sheet = _Sheet(
            part,
            indicators,
            set(absent),
            key_bits,
            str(sheet_name),
            given,
            used,
            counted if counted is None or rows.size == n else counted[rows],
            registered,
        )
        for key, count in sheet.lacking.items():
            lacking[key] += count
        if rows.size == n:  # one sheet for everyone (households): no scatter, no copies
            points.update(sheet.points)
            total, missing_bits = sheet.total, sheet.missing_bits
            continue
        for key, values in sheet.points.items():
            points[key][rows] = values
        total[rows] = sheet.total
        missing_bits[rows] = sheet.missing_bits

    gate_keys = [g.key for g in rules.gates] + ["no_sheet"]
    gate_reasons = [g.reason for g in rules.gates] + ["评定办法中没有该类主体的评分指标"]

    grades = assign_grades(total, rules)
    disqualified = gate_bits != 0
    grade_codes = np.where(disqualified, -1, grades.codes)
    grade = pd.Categorical.from_codes(grade_codes, dtype=grades.dtype)

    # .array, not the Series: no index alignment, and a categorical stays categorical.
    columns: dict[str, object] = {c: frame[c].array for c in id_columns}
    for key in ordered:
        columns[POINTS_PREFIX + key] = points[key]
    for key, ind in ordered.items():
        if ind.departmental:
            columns[VALUE_PREFIX + key] = (
                frame[ind.field].array if ind.field in frame.columns else np.full(n, np.nan)
            )
    columns["total_score"] = total
    columns["grade"] = grade
    columns[credit_column] = grade_codes >= 0
    columns["gates"] = _labelled(gate_bits, gate_keys, ",")
    columns["gate_reasons"] = _labelled(gate_bits, gate_reasons, "；")
    columns["missing"] = _labelled(missing_bits, list(ordered), ",")
    columns["missing_labels"] = _labelled(missing_bits, [i.label for i in all_indicators], "、")
    # copy=False: the arrays are ours alone; consolidating them would copy 100 MB per million rows.
    result = pd.DataFrame(columns, index=frame.index, copy=False)

    notes = [
        f"{ind.label}：本次评定尚无数据，未计入总分，其余指标折算为百分制"
        if ind.rescale_if_absent
        else f"{ind.label}：本次评定尚无数据，均按无记录计 {fmt(ind.missing_points)} 分"
        if ind.departmental
        else f"{ind.label}：本次评定尚无数据，均按 0 分计"
        for ind in absent.values()
    ]
    notes += [f"否决条件「{g.reason}」：尚无数据，未核查" for g in unevaluated]
    result.attrs = {
        "rule_set": rules.name,
        "as_of": _as_timestamp(as_of).date().isoformat(),
        "absent_indicators": list(absent),
        "unevaluated_gates": [g.key for g in unevaluated],
        # How many rows each indicator's missing-data reading touched (absent ones left out).
        "missing_counts": [
            {
                "key": key,
                "label": ordered[key].label,
                "when_missing": ordered[key].when_missing,
                "subjects": count,
            }
            for key, count in lacking.items()
            if key not in absent
        ],
        "notes": notes,
    }
    return result


@dataclass(frozen=True)
class Benchmarks:
    """What a run compared each subject with, kept so that one subject can be scored again
    later exactly as the run scored it, whatever has happened to its village's files since:
    the village averages of the relative indicators (index village code, columns
    "<sheet>:<field>", sheet "household" or an entity type: what `means_used` collects), and
    the indicators left out of the run for want of data (`attrs["absent_indicators"]`; None:
    judge from the rows). A village or field not given is averaged from the rows.
    """

    village_means: pd.DataFrame | None = None
    absent: Sequence[str] | None = None


def score_households(
    households: pd.DataFrame,
    rules: RatingRules,
    as_of: date,
    benchmarks: Benchmarks | None = None,
    means_used: dict[str, pd.Series] | None = None,
    village_facts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score each household on the rule set's 100-point sheet.

    Input: inputs.HOUSEHOLD_COLUMNS. Output, one row per household in input order:
    household_id, village_code, one `points_<indicator>` column per indicator (NaN when the
    indicator had no data anywhere in the run and was left out), total_score (0-100, two
    decimals), grade (ordered categorical, NaN below the lowest band or when a gate failed),
    is_credit_household, gates / gate_reasons (which gates failed: keys, and the Chinese
    reasons joined by "；"), missing / missing_labels (indicators this household had no value
    for, scored as each indicator's `when_missing` says). `attrs` carries the rule-set name,
    as-of date, absent indicators, gates that could not be checked, and Chinese notes saying
    so.

    `benchmarks`: a run's village averages and absent indicators to score against instead
    of judging from these rows (one subject scored again later); `means_used` is filled with
    the village averages the relative indicators compared with ("household:<field>").
    `village_facts` (inputs.VILLAGE_FACT_COLUMNS) gives the 户籍户数 a 户均 over registered
    households divides by (Readings.average_over); without it the 户均 is over the files.
    """
    _check_rules(rules)
    _require(households, inputs.HOUSEHOLD_COLUMNS, "农户数据")
    frame = households
    if "net_assets" not in frame.columns and {"total_assets", "total_liabilities"} <= set(
        frame.columns
    ):
        liabilities = _floats(frame["total_liabilities"])
        derived = {"net_assets": _floats(frame["total_assets"]) - liabilities}
        if "total_assets" + AS_ZERO_SUFFIX in frame.columns:
            derived["net_assets" + AS_ZERO_SUFFIX] = (
                _floats(frame["total_assets" + AS_ZERO_SUFFIX]) - liabilities
            )
        frame = frame.assign(**derived)
    sheets = {"household": rules.household_indicators}
    registered = None
    if rules.readings.average_over == OVER_REGISTERED and village_facts is not None:
        registered = pd.Series(
            _floats(village_facts["registered_households"]),
            index=village_facts["village_code"].astype("str").to_numpy(),
        )
        registered = registered.where(registered > 0)
    return _score(
        frame,
        sheets,
        np.zeros(len(frame), dtype=np.int64),
        rules,
        as_of,
        ["household_id", "village_code"],
        "is_credit_household",
        benchmarks,
        means_used,
        registered,
    )


def score_entities(
    entities: pd.DataFrame,
    rules: RatingRules,
    as_of: date,
    benchmarks: Benchmarks | None = None,
    means_used: dict[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Score each 新型农业经营主体 on its type's sheet.

    Input: inputs.ENTITY_COLUMNS; years_operating and debt_ratio are derived from
    founded_on / total_debts / total_assets unless given. Output as score_households, with
    entity_id, entity_type, village_code, the union of every type's `points_` columns (NaN
    where a type has no such indicator) and is_credit_entity. An entity of a type the rule set
    has no sheet for is not rated, with that reason.
    """
    _check_rules(rules)
    _require(entities, inputs.ENTITY_COLUMNS, "经营主体数据")
    derived: dict[str, np.ndarray] = {}
    if "years_operating" not in entities.columns and "founded_on" in entities.columns:
        founded = _dates(entities, "founded_on")
        derived["years_operating"] = (_as_timestamp(as_of) - founded).dt.days.to_numpy(
            dtype=np.float64, na_value=np.nan
        ) / 365.25
    if "debt_ratio" not in entities.columns and {"total_assets", "total_debts"} <= set(
        entities.columns
    ):
        assets = _floats(entities["total_assets"])
        debts = _floats(entities["total_debts"])
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = debts / assets * 100.0
        # No assets: no debts is a clean sheet, any debt is as bad as it gets.
        ratio = np.where(assets <= 0, np.where(debts > 0, np.inf, 0.0), ratio)
        derived["debt_ratio"] = np.where(np.isnan(assets) | np.isnan(debts), np.nan, ratio)
    frame = entities.assign(**derived) if derived else entities

    sheets = {s.entity_type: s.indicators for s in rules.entity_sheets}
    types = frame["entity_type"].astype("str").to_numpy()
    row_sheet = np.full(len(frame), -1, dtype=np.int64)
    for sheet_no, entity_type in enumerate(sheets):
        row_sheet[types == entity_type] = sheet_no
    return _score(
        frame,
        sheets,
        row_sheet,
        rules,
        as_of,
        ["entity_id", "entity_type", "village_code"],
        "is_credit_entity",
        benchmarks,
        means_used,
    )


# --- facts from loans and records ---------------------------------------------------------


def _outstanding(loans: pd.DataFrame, as_of: date) -> np.ndarray:
    repaid = _dates(loans, "repaid_on")
    return (repaid.isna() | (repaid > _as_timestamp(as_of))).to_numpy()


def _days_between(later: pd.Series | pd.Timestamp, earlier: pd.Series) -> np.ndarray:
    return (later - earlier).dt.days.to_numpy(dtype=np.float64, na_value=np.nan)


def loan_overdue(loans: pd.DataFrame, as_of: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per loan: outstanding on the as-of date, days overdue on that date, and the longest
    it was ever overdue by then, repaid or not.

    A ledger states days overdue as of its own date (`reported_on`), often weeks before the
    run's: a loan still unpaid then has been overdue that many days more by the as-of date,
    and one that fell due in between is overdue since its due date (`due_on`). A loan repaid
    by the as-of date was as late as its repayment came after its due date, and as late as
    any version of the ledger said (`peak_days_overdue`, and the row's own days), whatever
    the current version says now that it is settled. Without those optional columns the ledger's days stand."""
    stamp = _as_timestamp(as_of)
    outstanding = _outstanding(loans, as_of)
    days = np.nan_to_num(_floats(loans["days_overdue"]))
    reported = _dates(loans, "reported_on")
    gap = np.nan_to_num(_days_between(stamp, reported))
    advanced = np.where(days > 0, np.maximum(days + gap, 0.0), 0.0)
    due = _dates(loans, "due_on")
    since_due = np.nan_to_num(np.maximum(_days_between(stamp, due), 0.0))
    now = np.where(outstanding, np.maximum(advanced, since_due), 0.0)
    repaid = _dates(loans, "repaid_on")
    paid_late = np.nan_to_num(np.maximum(_days_between(repaid, due), 0.0))
    peak = (
        np.nan_to_num(_floats(loans["peak_days_overdue"]))
        if "peak_days_overdue" in loans.columns
        else np.zeros(len(loans))
    )
    # What a ledger dated after the as-of date says is not known on it.
    stated = np.where((reported > stamp).to_numpy(), 0.0, days)
    worst = np.maximum.reduce([now, np.where(outstanding, 0.0, paid_late), peak, stated])
    return outstanding, now, worst


def attach_loan_facts(
    subjects: pd.DataFrame,
    loans: pd.DataFrame | None,
    rules: RatingRules,
    as_of: date,
    id_column: str = "household_id",
) -> pd.DataFrame:
    """`subjects` with max_days_overdue_unpaid and worst_days_overdue from their loans
    (`loan_overdue`): days overdue on the as-of date of loans not yet repaid, and the longest
    overdue of any loan outstanding or repaid within the repayment look-back period.

    With no loan data at all (`loans` None) both are NaN, which the engine reports as a source
    without data; with loan data, a subject without loans gets 0 (a clean record).
    """
    n = len(subjects)
    if loans is None:
        return subjects.assign(
            max_days_overdue_unpaid=np.full(n, np.nan), worst_days_overdue=np.full(n, np.nan)
        )
    _require(loans, inputs.LOAN_COLUMNS, "贷款数据")
    outstanding, now, worst = loan_overdue(loans, as_of)
    repaid = _dates(loans, "repaid_on")
    cutoff = _years_before(as_of, rules.loans.repayment_lookback_years)
    recent = outstanding | (repaid > cutoff).to_numpy()
    borrower = loans["borrower_id"].to_numpy()
    unpaid = pd.Series(now).groupby(borrower).max()
    worst = pd.Series(np.where(recent, worst, 0.0)).groupby(borrower).max()
    ids = subjects[id_column]
    return subjects.assign(
        max_days_overdue_unpaid=ids.map(unpaid).fillna(0.0).to_numpy(dtype=np.float64),
        worst_days_overdue=ids.map(worst).fillna(0.0).to_numpy(dtype=np.float64),
    )


def attach_record_facts(
    subjects: pd.DataFrame,
    records: pd.DataFrame | None,
    rules: RatingRules,
    as_of: date,
    id_column: str = "household_id",
) -> pd.DataFrame:
    """`subjects` with disqualifying_negative_count and is_dishonest from negative records.

    A record counts from when it occurred until `lookback_years` after it ended (an ongoing one
    has not ended), unless a credit repair was approved by the as-of date; only the rule set's
    disqualifying categories count. is_dishonest: a 失信被执行人 listing in force on the as-of
    date. `records` None means no record data: both NaN, gates reported as not checked.
    """
    n = len(subjects)
    if records is None:
        return subjects.assign(
            disqualifying_negative_count=np.full(n, np.nan), is_dishonest=np.full(n, np.nan)
        )
    _require(records, inputs.RECORD_COLUMNS, "不良记录数据")
    stamp = _as_timestamp(as_of)
    occurred = _dates(records, "occurred_on")
    ended = _dates(records, "ended_on")
    repaired = _dates(records, "repaired_on")
    in_force = (occurred <= stamp) & (repaired.isna() | (repaired > stamp))
    still_shown = ended.isna() | (ended > _years_before(as_of, rules.records.lookback_years))
    category = records["category"].astype("str")
    disqualifying = in_force & still_shown & category.isin(rules.records.disqualifying_categories)
    dishonest = (
        in_force & (ended.isna() | (ended > stamp)) & (category == rules.records.dishonest_category)
    )
    subject = records["subject_id"].to_numpy()
    counts = pd.Series(disqualifying.to_numpy(dtype=np.float64)).groupby(subject).sum()
    listed = pd.Series(dishonest.to_numpy(dtype=np.float64)).groupby(subject).max()
    ids = subjects[id_column]
    return subjects.assign(
        disqualifying_negative_count=ids.map(counts).fillna(0.0).to_numpy(dtype=np.float64),
        is_dishonest=ids.map(listed).fillna(0.0).to_numpy(dtype=np.float64) > 0,
    )


def new_npl_window_start(rules: RatingRules, as_of: date) -> pd.Timestamp:
    """The day before the new-NPL window opens (dates after it are in): the last
    `new_npl_window_days` days, or the data date's calendar year (Readings.new_npl_window)."""
    if rules.readings.new_npl_window == NEW_NPL_CALENDAR_YEAR:
        return pd.Timestamp(as_of.year, 1, 1) - pd.Timedelta(days=1)
    return _as_timestamp(as_of) - pd.Timedelta(days=rules.loans.new_npl_window_days)


def summarise_loans(loans: pd.DataFrame, by: str, rules: RatingRules, as_of: date) -> pd.DataFrame:
    """Loan figures per area (`by` = village_code, township_code, …), inputs.LOAN_SUMMARY_COLUMNS.

    Borrowers are those with a loan outstanding on the as-of date or settled within the
    new-NPL window (the rating year); overdue borrowers have an outstanding loan overdue on
    the as-of date (`loan_overdue`: a ledger older than the as-of date is brought forward).
    Balances count outstanding loans only.
    """
    _require(
        loans, {**inputs.LOAN_COLUMNS, by: inputs.Column(by, inputs.KEY, "", "", True)}, "贷款数据"
    )
    stamp = _as_timestamp(as_of)
    window_start = new_npl_window_start(rules, as_of)
    outstanding, days, _ = loan_overdue(loans, as_of)
    repaid = _dates(loans, "repaid_on")
    active = outstanding | (repaid > window_start).to_numpy()
    balance = np.where(outstanding, _floats(loans["balance"]), 0.0)
    balance = np.nan_to_num(balance)
    after = rules.loans.npl_after_days_overdue
    # 贷款风险分类: a loan more than `after` days overdue on the as-of date is at least 次级,
    # whatever an older ledger classified it as.
    npl = outstanding & (
        loans["status"].astype("str").isin(rules.loans.npl_statuses).to_numpy() | (days > after)
    )

    npl_since = _dates(loans, "npl_since")
    if npl_since.isna().any():
        # Estimate: a loan turns non-performing `after` days into arrears; `days` are as of
        # the as-of date, so the estimate is dated right whatever the ledger's own date.
        late = pd.Series(np.where(days >= after, days - after, np.nan), index=npl_since.index)
        npl_since = npl_since.fillna(stamp - pd.to_timedelta(late, unit="D"))
    # A non-performing loan whose start we cannot place counts as new: the cautious reading.
    new = npl & (npl_since.isna() | (npl_since > window_start)).to_numpy()

    area = loans[by].to_numpy()
    borrower = loans["borrower_id"].to_numpy()
    frame = pd.DataFrame(
        {
            by: area,
            "borrower": borrower,
            "active": active,
            "overdue": active & outstanding & (days > 0),
            "balance": balance,
            "npl": np.where(npl, balance, 0.0),
            "new_npl": np.where(new, balance, 0.0),
        }
    )
    # Per borrower first (a borrower counts once however many loans), then per area.
    per_borrower = frame.groupby([by, "borrower"], sort=False).agg(
        active=("active", "max"), overdue=("overdue", "max")
    )
    people = per_borrower.groupby(level=0).agg(
        borrowers=("active", "sum"), borrowers_overdue=("overdue", "sum")
    )
    money = frame.groupby(by).agg(
        loan_balance=("balance", "sum"),
        npl_balance=("npl", "sum"),
        new_npl_balance=("new_npl", "sum"),
    )
    summary = people.join(money).sort_index()
    summary.index.name = by
    return summary.reset_index().astype({"borrowers": np.int64, "borrowers_overdue": np.int64})


# --- areas --------------------------------------------------------------------------------


_NO_LOANS = "无贷款数据，无法评定"
_NO_DATA = {
    "credit_household_share": "无农户评定结果，无法评定",
    "borrowers_not_overdue_share": _NO_LOANS,
    "npl_ratio": _NO_LOANS,
    "new_npl_ratio": _NO_LOANS,
    "file_coverage": "未登记户籍户数，无法计算",
    "credit_village_share": "无信用村评定结果，无法评定",
    "credit_township_share": "无信用乡镇评定结果，无法评定",
}


def _share(part: pd.Series, whole: pd.Series, when_empty: float = np.nan) -> pd.Series:
    """part / whole in percent; `when_empty` where whole is 0; NaN where either is unknown."""
    part = part.astype(np.float64)
    whole = whole.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = part / whole * 100.0
    return share.where(whole != 0, when_empty).where(part.notna() & whole.notna())


def _area_metrics(frame: pd.DataFrame, readings: Readings) -> pd.DataFrame:
    """Every metric the frame's count columns allow, in percent."""
    metrics = {}
    if "households" in frame:
        registered = frame["registered_households"].where(frame["registered_households"] > 0)
        over = registered if readings.credit_share_over == OVER_REGISTERED else frame["households"]
        metrics["credit_household_share"] = _share(frame["credit_households"], over)
        metrics["file_coverage"] = _share(frame["households"], registered)
    # No borrowers: nobody is overdue and no loan is bad. No loan data: NaN, not a pass.
    metrics["borrowers_not_overdue_share"] = _share(
        frame["borrowers"] - frame["borrowers_overdue"], frame["borrowers"], 100.0
    )
    metrics["npl_ratio"] = _share(frame["npl_balance"], frame["loan_balance"], 0.0)
    metrics["new_npl_ratio"] = _share(frame["new_npl_balance"], frame["loan_balance"], 0.0)
    if "villages" in frame:
        metrics["credit_village_share"] = _share(frame["credit_villages"], frame["villages"])
    if "townships" in frame:
        metrics["credit_township_share"] = _share(frame["credit_townships"], frame["townships"])
    return pd.DataFrame(metrics, index=frame.index)


def _compare(values: np.ndarray, op: str, threshold: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return {
            ">=": values >= threshold,
            ">": values > threshold,
            "<": values < threshold,
            "<=": values <= threshold,
        }[op]


def _shown(values: pd.Series, op: str, threshold: float, decimals: int | None) -> pd.Series:
    """Each value as digits that agree with the decision (figures.compared_number)."""
    v = values.to_numpy(dtype=np.float64, na_value=np.nan)
    shown = [compared_number(x, op, threshold, decimals) if not np.isnan(x) else "" for x in v]
    return pd.Series(shown, index=values.index, dtype="str")


def _compared(values: np.ndarray, decimals: int | None) -> np.ndarray:
    """The values a threshold compares: as computed, or rounded half up (a few per area)."""
    if decimals is None:
        return values
    return np.array(
        [x if np.isnan(x) else rounded_percent(x, decimals) for x in values.tolist()],
        dtype=np.float64,
    )


_FAILED = {">=": "低于", ">": "未高于", "<": "未低于", "<=": "高于"}


def _judge(
    frame: pd.DataFrame,
    metrics: pd.DataFrame,
    thresholds: Sequence[Threshold],
    level: str,
    readings: Readings,
) -> pd.DataFrame:
    """pass_<metric> per threshold, the number of binding ones missed, and the Chinese
    reasons (a threshold that is not binding is marked 参考 and fails nothing)."""
    decimals = readings.percent_decimals
    n = len(frame)
    passed_all = np.ones(n, dtype=bool)
    missed = np.zeros(n, dtype=np.int64)
    reasons = pd.Series([""] * n, index=frame.index, dtype="str")
    columns: dict[str, object] = {}
    for t in thresholds:
        value = metrics[t.metric]
        known = value.notna().to_numpy()
        v = _compared(value.to_numpy(dtype=np.float64, na_value=np.nan), decimals)
        ok = _compare(v, t.op, t.value) & known
        columns["pass_" + t.metric] = ok
        if t.binding:
            passed_all &= ok
            missed += ~ok
        label = METRIC_LABELS[t.metric]
        if not t.binding:
            label = f"（参考）{label}"
        shown = _shown(value, t.op, t.value, decimals)
        failed = label + " " + shown + f"%，{_FAILED[t.op]} {fmt(t.value)}%"
        no_data_text = _NO_DATA[t.metric]
        if t.metric == "credit_household_share" and readings.credit_share_over == OVER_REGISTERED:
            no_data_text = _NO_DATA["file_coverage"]
        no_data = pd.Series(f"{label}：{no_data_text}", index=frame.index, dtype="str")
        if t.metric == "new_npl_ratio":
            unknown_new = frame["has_loan_data"] & frame["new_npl_balance"].isna()
            no_data = no_data.where(~unknown_new, f"{label}：无新增不良贷款数据，无法评定")
        reason = pd.Series(
            np.where(ok, "", np.where(known, failed, no_data)), index=frame.index, dtype="str"
        )
        joiner = np.where((reasons != "") & (reason != ""), "；", "")
        reasons = reasons + joiner + reason
    columns["thresholds_missed"] = missed
    columns["is_credit_" + level] = passed_all
    columns["reasons"] = reasons
    return pd.DataFrame(columns, index=frame.index)


def _with_loans(frame: pd.DataFrame, loans: pd.DataFrame | None, key: str) -> pd.DataFrame:
    """Left-join the loan summary; an area missing from it has no loan data."""
    names = list(inputs.LOAN_SUMMARY_COLUMNS)
    if loans is None:
        loans = pd.DataFrame({key: pd.Series([], dtype="str"), **{c: [] for c in names}})
    elif key not in loans.columns:
        loans = loans.reset_index()
    _require(loans, {**inputs.LOAN_SUMMARY_COLUMNS}, "贷款汇总")
    loans = loans[[key, *names]].assign(has_loan_data=True)
    loans[key] = loans[key].astype("str")
    joined = frame.merge(loans, on=key, how="left")
    joined["has_loan_data"] = joined["has_loan_data"].fillna(False).astype(bool)
    return joined


def _township_of(codes: pd.Series) -> pd.Series:
    return codes.str.slice(0, 9) + "000"


def _county_of(codes: pd.Series) -> pd.Series:
    return codes.str.slice(0, 6) + "000000"


def rate_villages(
    household_results: pd.DataFrame,
    loans_by_village: pd.DataFrame | None,
    village_facts: pd.DataFrame,
    rules: RatingRules,
) -> pd.DataFrame:
    """信用村: every village of `village_facts` (and any other village households are in)
    against the rule set's village thresholds.

    household_results: score_households output (village_code, is_credit_household).
    loans_by_village: summarise_loans(loans, "village_code", ...) or None when there is no
    loan data; a village missing from it fails the loan thresholds with "无贷款数据，无法评定".
    village_facts: inputs.VILLAGE_FACT_COLUMNS.

    Output, one row per village sorted by code: village_code, township_code, households,
    credit_households, registered_households, the loan summary columns, has_loan_data, the
    metrics (credit_household_share, file_coverage, borrowers_not_overdue_share, npl_ratio,
    new_npl_ratio, in percent), pass_<metric> per threshold, thresholds_missed,
    is_credit_village and reasons (Chinese, "；"-joined, empty when it passes).
    """
    _check_rules(rules)
    _require(village_facts, inputs.VILLAGE_FACT_COLUMNS, "村基础数据")
    codes, villages = _codes(household_results["village_code"])
    known = codes >= 0
    counted = pd.DataFrame(
        {
            "village_code": pd.Index(villages).astype("str"),
            "households": np.bincount(codes[known], minlength=len(villages)),
            "credit_households": np.bincount(
                codes[known],
                weights=household_results["is_credit_household"].to_numpy()[known],
                minlength=len(villages),
            ).astype(np.int64),
        }
    )
    facts = pd.DataFrame({"village_code": village_facts["village_code"].astype("str")})
    facts["township_code"] = (
        village_facts["township_code"].astype("str").to_numpy()
        if "township_code" in village_facts
        else _township_of(facts["village_code"])
    )
    facts["registered_households"] = (
        _floats(village_facts["registered_households"])
        if "registered_households" in village_facts
        else np.nan
    )
    frame = facts.merge(counted, on="village_code", how="outer")
    frame["township_code"] = frame["township_code"].fillna(_township_of(frame["village_code"]))
    frame[["households", "credit_households"]] = (
        frame[["households", "credit_households"]].fillna(0).astype(np.int64)
    )
    frame = _with_loans(frame, loans_by_village, "village_code")
    frame = frame.sort_values("village_code", ignore_index=True)
    metrics = _area_metrics(frame, rules.readings)
    judged = _judge(frame, metrics, rules.village_thresholds, VILLAGE, rules.readings)
    return pd.concat([frame, metrics, judged], axis=1)


def rate_townships(
    village_results: pd.DataFrame, loans_by_township: pd.DataFrame | None, rules: RatingRules
) -> pd.DataFrame:
    """信用乡镇 from rated villages (rate_villages output) and township loan figures
    (summarise_loans(loans, "township_code", ...), or None without loan data).

    Output per township sorted by code: township_code, villages, credit_villages, households,
    credit_households, registered_households (NaN if any village lacks it), the loan columns,
    metrics incl. credit_village_share, pass_<metric>, thresholds_missed, is_credit_township,
    reasons.
    """
    _check_rules(rules)
    grouped = village_results.groupby("township_code", sort=True)
    frame = grouped.agg(
        villages=("village_code", "size"),
        credit_villages=("is_credit_village", "sum"),
        households=("households", "sum"),
        credit_households=("credit_households", "sum"),
    )
    frame["registered_households"] = (
        grouped["registered_households"]
        .sum(min_count=1)
        .where(grouped["registered_households"].count() == frame["villages"])
    )
    frame = _with_loans(frame.reset_index(), loans_by_township, "township_code")
    metrics = _area_metrics(frame, rules.readings)
    judged = _judge(frame, metrics, rules.township_thresholds, TOWNSHIP, rules.readings)
    return pd.concat([frame, metrics, judged], axis=1)


def rate_counties(
    village_results: pd.DataFrame, township_results: pd.DataFrame, rules: RatingRules
) -> pd.DataFrame:
    """County summary: 信用村 share and 信用乡镇 share (the 信用镇比率 a province tracks) per
    county, against the county thresholds (信用县: credit villages ≥ 60 %).

    Output per county (12-digit code): county_code, villages, credit_villages, townships,
    credit_townships, households, credit_households, credit_village_share,
    credit_township_share, credit_household_share, pass_<metric>, thresholds_missed,
    is_credit_county, reasons.
    """
    _check_rules(rules)
    villages = village_results.assign(county_code=_county_of(village_results["village_code"]))
    townships = township_results.assign(county_code=_county_of(township_results["township_code"]))
    frame = villages.groupby("county_code", sort=True).agg(
        villages=("village_code", "size"),
        credit_villages=("is_credit_village", "sum"),
        households=("households", "sum"),
        credit_households=("credit_households", "sum"),
    )
    frame = (
        frame.join(
            townships.groupby("county_code").agg(
                townships=("township_code", "size"), credit_townships=("is_credit_township", "sum")
            ),
            how="outer",
        )
        .fillna(0)
        .astype(np.int64)
    )
    frame = frame.reset_index()
    metrics = pd.DataFrame(
        {
            "credit_village_share": _share(frame["credit_villages"], frame["villages"]),
            "credit_township_share": _share(frame["credit_townships"], frame["townships"]),
            "credit_household_share": _share(frame["credit_households"], frame["households"]),
        }
    )
    judged = _judge(frame, metrics, rules.county_thresholds, COUNTY, rules.readings)
    return pd.concat([frame, metrics, judged], axis=1)


__all__ = [
    "MissingColumns",
    "POINTS_PREFIX",
    "VALUE_PREFIX",
    "assign_grades",
    "attach_loan_facts",
    "attach_record_facts",
    "grade_categories",
    "loan_overdue",
    "rate_counties",
    "rate_townships",
    "rate_villages",
    "score_entities",
    "score_households",
    "summarise_loans",
]
