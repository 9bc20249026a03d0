"""Rule sets (评定办法) as plain, immutable data.

A county publishes its own 评定办法 and changes it yearly, so nothing here is a constant of the
engine: indicators, their points and scoring bands, the gates that disqualify, the grade bands
and the village, township and county thresholds all live in a `RatingRules`, which serialises to
JSON (`to_dict` / `from_dict`) for storing a version and checks itself (`validate`) with
messages a credit-office user can act on.

The shipped default is in `default_rules.py`.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from models import ENTITY_TYPE_LABELS, N_, NON_PERFORMING, EntityType, LoanStatus

from . import inputs
from .figures import Comparison

FORMAT_VERSION = 1

# Indicator methods.
BANDS = "bands"  # the value itself falls in a band
RELATIVE = "relative"  # value relative to the village average (1.0 = average) falls in a band
CATEGORY = "category"  # each category scores its points
FLAG = "flag"  # true scores the indicator's points, false scores 0
METHODS = {BANDS: N_("分档"), RELATIVE: N_("与本村户均比"), CATEGORY: N_("分类"), FLAG: N_("是否")}

# What a subject's missing value counts as, per indicator (Indicator.when_missing). DOMAIN.md:
# missing data is shown as missing, never silently zero; a county may choose otherwise.
MISSING_SHOWN = "missing"  # 缺失: 0 points, marked 缺失, left out of the village average
MISSING_AS_LOWEST = "lowest"  # the indicator's lowest band; left out of the village average
MISSING_AS_ZERO = "zero"  # the missing part counts as 0 (no spending, no assets), averages too
MISSING_CHOICES = {
    MISSING_SHOWN: N_("记为缺失（0 分，不计入村均值）"),
    MISSING_AS_LOWEST: N_("按最低档计分（不计入村均值）"),
    MISSING_AS_ZERO: N_("按 0 值计算（计入村均值）"),
}

# Readings a county chooses where the published rules leave them open (RatingRules.readings).
# Each default is what the platform did before the choice existed.
LABOUR_ABILITY = "ability"  # 全劳动力 and 半劳动力 each count 1 (the file's 劳动力人数)
LABOUR_ABILITY_HALF = "ability_half"  # 半劳动力 counts 0.5
LABOUR_WORKING_AGE = "working_age"  # head and members aged 16–59 on the data date
LABOUR_CHOICES = {
    LABOUR_ABILITY: N_("按劳动能力（全劳动力、半劳动力各计 1 人）"),
    LABOUR_ABILITY_HALF: N_("按劳动能力（半劳动力计 0.5 人）"),
    LABOUR_WORKING_AGE: N_("按劳动年龄（16–59 周岁）"),
}
WORKING_AGE = (16, 59)
OVER_FILES = "files"  # the village's filed households (建档户数)
OVER_REGISTERED = "registered"  # the village's registered households (户籍户数)
AVERAGE_OVER_CHOICES = {
    OVER_FILES: N_("除以建档农户数"),
    OVER_REGISTERED: N_("除以户籍户数（未建档户按 0 计）"),
}
SHARE_OVER_CHOICES = {
    OVER_FILES: N_("信用户数 ÷ 建档农户数"),
    OVER_REGISTERED: N_("信用户数 ÷ 户籍户数"),
}
NEW_NPL_DAYS = "days"  # the last LoanRules.new_npl_window_days days up to the data date
NEW_NPL_CALENDAR_YEAR = "calendar_year"  # 1 January of the data date's year up to it
NEW_NPL_WINDOW_CHOICES = {
    NEW_NPL_DAYS: N_("数据截止日前若干天（见贷款规则）"),
    NEW_NPL_CALENDAR_YEAR: N_("数据截止日所在自然年（1 月 1 日起）"),
}
PERCENT_DECIMALS_CHOICES = {
    "": N_("按精确值比较"),
    "1": N_("四舍五入到 0.1% 后比较"),
}

GATE_OPS = (">=", ">", "<=", "<", "==", "!=", "true")
THRESHOLD_OPS = (">=", ">", "<=", "<")

# Metrics the engine computes for areas, in percent, and the levels each may be used at.
METRIC_LABELS = {
    "credit_household_share": N_("信用户占比"),
    "borrowers_not_overdue_share": N_("无逾期借款户占比"),
    "npl_ratio": N_("不良贷款率"),
    "new_npl_ratio": N_("新增不良贷款率"),
    "file_coverage": N_("建档率"),
    "credit_village_share": N_("信用村占比"),
    "credit_township_share": N_("信用乡镇占比"),
}
VILLAGE, TOWNSHIP, COUNTY = "village", "township", "county"
LEVEL_LABELS = {VILLAGE: N_("信用村"), TOWNSHIP: N_("信用乡镇"), COUNTY: N_("信用县")}
_AREA_METRICS = (
    "credit_household_share",
    "borrowers_not_overdue_share",
    "npl_ratio",
    "new_npl_ratio",
    "file_coverage",
)
LEVEL_METRICS = {
    VILLAGE: _AREA_METRICS,
    TOWNSHIP: (*_AREA_METRICS, "credit_village_share"),
    COUNTY: ("credit_village_share", "credit_township_share"),
}


class RuleSetFormatError(ValueError):
    """A stored rule set that cannot be read back (missing or malformed parts)."""


class InvalidRuleSet(ValueError):
    """A rule set that fails `validate`; `messages` are the Chinese reasons."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("；".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Band:
    """Values in [lower, upper) score `points`; None is unbounded on that side."""

    lower: float | None
    upper: float | None
    points: float


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    field: str  # the input column it reads (see inputs.py)
    points: float  # the most it can score
    method: str
    bands: tuple[Band, ...] = ()
    categories: tuple[tuple[str, float], ...] = ()  # (value, points), for CATEGORY
    # Scale can be land or herd: score both and keep the better (取高者).
    alt_field: str | None = None
    alt_bands: tuple[Band, ...] = ()
    # A departmental source may not have delivered yet; leave the indicator out and scale the
    # total back to 100 rather than giving everyone 0 for it.
    rescale_if_absent: bool = False
    note: str = ""
    # One subject without the value (MISSING_CHOICES); a whole source without data is
    # `rescale_if_absent`'s business.
    when_missing: str = MISSING_SHOWN
    # Departmental indicators (a field of inputs.DEPARTMENTAL_COLUMNS): the months of records
    # up to the data date that count, and the points of a subject with no records there
    # (无记录: not a bad record, and not a gap in the file either).
    lookback_months: int = 0
    missing_points: float = 0.0

    @property
    def departmental(self) -> bool:
        return inputs.is_departmental(self.field)

    def lowest_points(self) -> float:
        """Points of the indicator's lowest band or category (0 for a yes/no indicator)."""
        if self.method == CATEGORY:
            return min((p for _, p in self.categories), default=0.0)
        if self.method == FLAG:
            return 0.0
        return min((b.points for b in (*self.bands, *self.alt_bands)), default=0.0)


@dataclass(frozen=True)
class EntitySheet:
    entity_type: str
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Gate:
    """A condition that disqualifies whatever the score: fails when `field op value`."""

    key: str
    reason: str  # shown to the subject and the reviewer
    field: str
    op: str
    value: float = 0.0


@dataclass(frozen=True)
class GradeBand:
    grade: str
    label: str
    min_score: float


@dataclass(frozen=True)
class Threshold:
    """An area passes when `metric op value` (percent). A threshold that is not `binding` is
    judged and shown, but missing it does not fail the area (参考指标)."""

    metric: str
    op: str
    value: float
    binding: bool = True

    @property
    def label(self) -> str:
        return METRIC_LABELS.get(self.metric, self.metric)


@dataclass(frozen=True)
class RecordRules:
    """Which negative records disqualify, and for how long they count."""

    disqualifying_categories: tuple[str, ...]
    lookback_years: float = 5
    dishonest_category: str = "失信被执行人"


@dataclass(frozen=True)
class LoanRules:
    npl_statuses: tuple[str, ...] = tuple(s.value for s in NON_PERFORMING)
    new_npl_window_days: int = 365
    # 贷款风险分类办法: overdue more than 90 days is at least 次级, i.e. non-performing.
    npl_after_days_overdue: int = 90
    repayment_lookback_years: float = 5


@dataclass(frozen=True)
class Readings:
    """How the engine reads terms the published rules leave open; every default is the
    reading the platform used before a county could choose (issue 13 point 6)."""

    # 村评议: the latest of the last N years up to the rating year (1: that year only);
    # 0: the latest of any year up to it.
    evaluation_years: int = 0
    labour: str = LABOUR_ABILITY  # LABOUR_CHOICES
    # 户均 (the village average relative indicators compare with): divided by filed or by
    # registered households, and whether households a gate disqualified count in it.
    average_over: str = OVER_FILES
    average_includes_gated: bool = True
    credit_share_over: str = OVER_FILES  # denominator of 信用户占比
    new_npl_window: str = NEW_NPL_DAYS  # NEW_NPL_WINDOW_CHOICES
    npl_includes_entities: bool = False  # area loan balances count entities' loans too
    # Percentages compared as computed (None) or rounded half up to this many decimals.
    percent_decimals: int | None = None


@dataclass(frozen=True)
class RatingRules:
    name: str
    household_indicators: tuple[Indicator, ...]
    entity_sheets: tuple[EntitySheet, ...]
    gates: tuple[Gate, ...]
    grade_bands: tuple[GradeBand, ...]
    village_thresholds: tuple[Threshold, ...]
    township_thresholds: tuple[Threshold, ...]
    county_thresholds: tuple[Threshold, ...]
    records: RecordRules
    loans: LoanRules = field(default_factory=LoanRules)
    readings: Readings = field(default_factory=Readings)

    def entity_indicators(self, entity_type: str) -> tuple[Indicator, ...]:
        for sheet in self.entity_sheets:
            if sheet.entity_type == entity_type:
                return sheet.indicators
        return ()

    def thresholds(self, level: str) -> tuple[Threshold, ...]:
        return {
            VILLAGE: self.village_thresholds,
            TOWNSHIP: self.township_thresholds,
            COUNTY: self.county_thresholds,
        }[level]

    def comparisons(self, level: str) -> dict[str, Comparison]:
        """The thresholds at `level` by metric, as figures beside them must agree with them
        (with the rounding the readings choose)."""
        decimals = self.readings.percent_decimals
        return {t.metric: Comparison(t.op, t.value, decimals) for t in self.thresholds(level)}

    def validate(self) -> list[str]:
        return validate(self)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT_VERSION, **_plain(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "RatingRules":
        return _rule_set_from_dict(data)


# --- validation ---------------------------------------------------------------------------


def fmt(x: float) -> str:
    """A number as a person writes it: 8, 0.5, 1000000."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return f"{x:.10g}" if isinstance(x, float) else str(x)


def _bound(x: float | None, default: float) -> float:
    return default if x is None else float(x)


def _check_bands(label: str, bands: tuple[Band, ...], points: float, what: str) -> list[str]:
    where = f"指标「{label}」{what}"
    if not bands:
        return [f"{where}没有分档"]
    problems = []
    for i, band in enumerate(bands, 1):
        if band.lower is not None and band.upper is not None and band.lower >= band.upper:
            problems.append(f"{where}第{i}档下限 {fmt(band.lower)} 应小于上限 {fmt(band.upper)}")
        if not 0 <= band.points <= points:
            problems.append(
                f"{where}第{i}档得分 {fmt(band.points)} 分，应在 0–{fmt(points)} 分之间"
            )
    for i, (low, high) in enumerate(zip(bands, bands[1:], strict=False), 1):
        if _bound(high.lower, -math.inf) < _bound(low.upper, math.inf):
            if _bound(high.lower, -math.inf) < _bound(low.lower, -math.inf) or high.lower is None:
                problems.append(f"{where}分档未按从低到高排列（第{i}档与第{i + 1}档）")
            else:
                problems.append(f"{where}第{i}档与第{i + 1}档重叠")
    best = max(b.points for b in bands)
    if not math.isclose(best, points):
        problems.append(f"{where}最高档得分 {fmt(best)} 分，应等于指标分值 {fmt(points)} 分")
    return problems


def _check_indicator(
    ind: Indicator, columns: Mapping[str, inputs.Column], subject: str
) -> list[str]:
    label = ind.label or ind.key
    problems = []
    if not ind.key:
        problems.append(f"指标「{label}」缺少代码")
    if not ind.points > 0:
        problems.append(f"指标「{label}」分值应大于 0")
    if ind.when_missing not in MISSING_CHOICES:
        problems.append(f"指标「{label}」的缺失数据处理方式「{ind.when_missing}」无法识别")
    if ind.method not in METHODS:
        problems.append(f"指标「{label}」的计分方法「{ind.method}」无法识别")
        return problems
    for column in filter(None, (ind.field, ind.alt_field)):
        if column not in columns:
            problems.append(f"指标「{label}」读取的字段 {column} 不在{subject}数据中")
        elif ind.method == CATEGORY and columns[column].kind != inputs.TEXT:
            problems.append(f"指标「{label}」按分类计分，字段 {column} 却不是分类字段")
        elif ind.method != CATEGORY and columns[column].kind == inputs.TEXT:
            problems.append(f"指标「{label}」字段 {column} 是分类字段，应按分类计分")
    if ind.departmental:
        problems += _check_departmental(ind, label, subject)
    if ind.method in (BANDS, RELATIVE):
        problems += _check_bands(label, ind.bands, ind.points, "")
        if ind.alt_field:
            problems += _check_bands(label, ind.alt_bands, ind.points, f"（{ind.alt_field}）")
    elif ind.method == CATEGORY:
        values = [v for v, _ in ind.categories]
        if not values:
            problems.append(f"指标「{label}」没有分类")
        elif len(set(values)) != len(values):
            problems.append(f"指标「{label}」的分类有重复")
        else:
            for value, pts in ind.categories:
                if not 0 <= pts <= ind.points:
                    problems.append(
                        f"指标「{label}」分类「{value}」得分 {fmt(pts)} 分，"
                        f"应在 0–{fmt(ind.points)} 分之间"
                    )
            best = max(p for _, p in ind.categories)
            if not math.isclose(best, ind.points):
                problems.append(
                    f"指标「{label}」最高得分 {fmt(best)} 分，应等于指标分值 {fmt(ind.points)} 分"
                )
    return problems


MAX_LOOKBACK_MONTHS = 120


def _check_departmental(ind: Indicator, label: str, subject: str) -> list[str]:
    problems = []
    if subject != "农户":
        problems.append(f"指标「{label}」读取部门数据，目前只能用于农户评分表")
    if ind.method == RELATIVE or ind.alt_field:
        problems.append(f"指标「{label}」读取部门数据，应按分档或分类计分")
    months = ind.lookback_months
    if (
        isinstance(months, bool)
        or not isinstance(months, int)
        or not 1 <= months <= MAX_LOOKBACK_MONTHS
    ):
        problems.append(
            f"指标「{label}」统计月数「{fmt(months)}」应为 1–{MAX_LOOKBACK_MONTHS} 的整数"
        )
    if not 0 <= ind.missing_points <= ind.points:
        problems.append(
            f"指标「{label}」无记录得分 {fmt(ind.missing_points)} 分，"
            f"应在 0–{fmt(ind.points)} 分之间"
        )
    return problems


def _check_sheet(
    indicators: tuple[Indicator, ...], columns: Mapping[str, inputs.Column], subject: str
) -> list[str]:
    if not indicators:
        return [f"{subject}没有评分指标"]
    problems = []
    keys = [i.key for i in indicators]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        problems.append(f"{subject}指标代码重复：{'、'.join(duplicated)}")
    total = sum(i.points for i in indicators)
    if not math.isclose(total, 100, abs_tol=1e-9):
        problems.append(f"{subject}指标分值合计 {fmt(float(total))} 分，应为 100 分")
    fields_read = [i.field for i in indicators if i.departmental]
    for column in sorted({c for c in fields_read if fields_read.count(c) > 1}):
        problems.append(f"{subject}部门数据指标「{columns[column].label}」重复，每类只能设一项")
    for ind in indicators:
        problems += _check_indicator(ind, columns, subject)
    return problems


def _check_thresholds(level: str, thresholds: tuple[Threshold, ...]) -> list[str]:
    name = LEVEL_LABELS[level]
    problems = []
    seen: set[str] = set()
    for t in thresholds:
        if t.metric not in LEVEL_METRICS[level]:
            problems.append(f"{name}条件「{t.label}」不适用于{name}评定")
        if t.op not in THRESHOLD_OPS:
            problems.append(f"{name}条件「{t.label}」的比较方式「{t.op}」无法识别")
        if not 0 <= t.value <= 100:
            problems.append(f"{name}条件「{t.label}」为 {fmt(t.value)}%，应在 0–100% 之间")
        if t.metric in seen:
            problems.append(f"{name}条件「{t.label}」重复")
        seen.add(t.metric)
    return problems


def validate(rules: RatingRules) -> list[str]:
    """Everything wrong with `rules`, in Chinese; empty when it can be used."""
    problems = []
    if not rules.name.strip():
        problems.append("评定办法名称不能为空")
    problems += _check_sheet(rules.household_indicators, inputs.household_fields(), "农户")

    sheet_types = [s.entity_type for s in rules.entity_sheets]
    for kind in EntityType:
        label = ENTITY_TYPE_LABELS[kind]
        if kind.value not in sheet_types:
            problems.append(f"缺少{label}的评分指标")
        elif sheet_types.count(kind.value) > 1:
            problems.append(f"{label}的评分指标重复定义")
    for sheet in rules.entity_sheets:
        try:
            label = ENTITY_TYPE_LABELS[EntityType(sheet.entity_type)]
        except ValueError:
            problems.append(f"主体类型「{sheet.entity_type}」无法识别")
            continue
        problems += _check_sheet(sheet.indicators, inputs.entity_fields(), label)

    gate_columns = {**inputs.household_fields(), **inputs.entity_fields()}
    gate_keys = [g.key for g in rules.gates]
    for gate in rules.gates:
        name = gate.reason or gate.key
        if gate_keys.count(gate.key) > 1:
            problems.append(f"否决条件代码「{gate.key}」重复")
        if not gate.reason.strip():
            problems.append(f"否决条件「{gate.key}」缺少说明")
        if gate.op not in GATE_OPS:
            problems.append(f"否决条件「{name}」的比较方式「{gate.op}」无法识别")
        if gate.field not in gate_columns:
            problems.append(f"否决条件「{name}」读取的字段 {gate.field} 不在数据中")

    if not rules.grade_bands:
        problems.append("没有信用等级")
    grades = [b.grade for b in rules.grade_bands]
    if len(set(grades)) != len(grades):
        problems.append("信用等级名称重复")
    for band in rules.grade_bands:
        if not band.grade.strip():
            problems.append("信用等级名称不能为空")
        if not 0 <= band.min_score <= 100:
            problems.append(
                f"等级「{band.grade}」分数线 {fmt(band.min_score)} 分，应在 0–100 分之间"
            )
    for upper, lower in zip(rules.grade_bands, rules.grade_bands[1:], strict=False):
        if not lower.min_score < upper.min_score:
            problems.append(
                f"等级分数线应从高到低排列：「{lower.grade}」{fmt(lower.min_score)} 分"
                f"应低于「{upper.grade}」{fmt(upper.min_score)} 分"
            )

    for level in (VILLAGE, TOWNSHIP, COUNTY):
        problems += _check_thresholds(level, rules.thresholds(level))

    if rules.records.lookback_years < 0:
        problems.append("不良记录追溯年限不能为负")
    if not rules.records.dishonest_category.strip():
        problems.append("失信被执行人的记录类别不能为空")
    known_statuses = {s.value for s in LoanStatus}
    unknown = [s for s in rules.loans.npl_statuses if s not in known_statuses]
    if unknown:
        problems.append(f"不良贷款分类「{'、'.join(unknown)}」无法识别")
    if not rules.loans.npl_statuses:
        problems.append("未指定哪些五级分类属于不良贷款")
    if rules.loans.new_npl_window_days <= 0:
        problems.append("新增不良贷款的统计天数应大于 0")
    if rules.loans.npl_after_days_overdue < 0:
        problems.append("转为不良的逾期天数不能为负")
    if rules.loans.repayment_lookback_years <= 0:
        problems.append("还款记录追溯年限应大于 0")
    return problems + _check_readings(rules.readings)


def _check_readings(readings: Readings) -> list[str]:
    problems = []
    years = readings.evaluation_years
    if isinstance(years, bool) or not isinstance(years, int) or years < 0:
        problems.append(f"村评议取数年限「{years}」应为 0（不限）或正整数年")
    choices = (
        (readings.labour, LABOUR_CHOICES, "劳动力人数的口径"),
        (readings.average_over, AVERAGE_OVER_CHOICES, "户均的分母"),
        (readings.credit_share_over, SHARE_OVER_CHOICES, "信用户占比的分母"),
        (readings.new_npl_window, NEW_NPL_WINDOW_CHOICES, "新增不良贷款的统计期"),
    )
    for value, known, what in choices:
        if value not in known:
            problems.append(f"{what}「{value}」无法识别")
    if readings.percent_decimals is not None and str(readings.percent_decimals) not in (
        PERCENT_DECIMALS_CHOICES
    ):
        problems.append(f"百分比比较方式「{readings.percent_decimals}」无法识别")
    return problems


# --- JSON ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Dataclasses as dicts and tuples as lists: what json.dumps and a JSON column store."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _need(data: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise RuleSetFormatError(f"{where}格式不正确")
    if key not in data:
        raise RuleSetFormatError(f"{where}缺少「{key}」")
    return data[key]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleSetFormatError(f"{where}应为数字，实际为「{value}」")
    return float(value)


def _optional_number(value: Any, where: str) -> float | None:
    return None if value is None else _number(value, where)


def _items(value: Any, where: str) -> Iterable[Any]:
    if not isinstance(value, list | tuple):
        raise RuleSetFormatError(f"{where}应为列表")
    return value


def _band(data: Any, where: str) -> Band:
    return Band(
        _optional_number(_need(data, "lower", where), f"{where}下限"),
        _optional_number(_need(data, "upper", where), f"{where}上限"),
        _number(_need(data, "points", where), f"{where}得分"),
    )


def _indicator(data: Any, where: str) -> Indicator:
    where = f"{where}指标「{data.get('label', '?') if isinstance(data, Mapping) else '?'}」"
    return Indicator(
        key=str(_need(data, "key", where)),
        label=str(_need(data, "label", where)),
        field=str(_need(data, "field", where)),
        points=_number(_need(data, "points", where), f"{where}分值"),
        method=str(_need(data, "method", where)),
        bands=tuple(_band(b, f"{where}分档") for b in _items(data.get("bands", []), where)),
        categories=tuple(
            (str(c[0]), _number(c[1], f"{where}分类得分"))
            for c in _items(data.get("categories", []), where)
        ),
        alt_field=data.get("alt_field"),
        alt_bands=tuple(_band(b, f"{where}分档") for b in _items(data.get("alt_bands", []), where)),
        rescale_if_absent=bool(data.get("rescale_if_absent", False)),
        note=str(data.get("note", "")),
        when_missing=str(data.get("when_missing", MISSING_SHOWN)),
        lookback_months=_whole(data.get("lookback_months", 0), f"{where}统计月数"),
        missing_points=_number(data.get("missing_points", 0.0), f"{where}无记录得分"),
    )


def _whole(value: Any, where: str) -> int | float:
    """A whole number as int; a fraction is kept as it is, for `validate` to name."""
    number = _number(value, where)
    return int(number) if number.is_integer() else number


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise RuleSetFormatError(f"{where}应为是或否，实际为「{value}」")
    return value


def _threshold(data: Any, where: str) -> Threshold:
    return Threshold(
        metric=str(_need(data, "metric", where)),
        op=str(_need(data, "op", where)),
        value=_number(_need(data, "value", where), f"{where}数值"),
        binding=_flag(data.get("binding", True), f"{where}是否必备"),
    )


def _readings(data: Any) -> Readings:
    """The stored readings; a rule set stored before they existed reads as the defaults."""
    if not isinstance(data, Mapping):
        raise RuleSetFormatError("评定口径格式不正确")
    default = Readings()
    years = _number(data.get("evaluation_years", default.evaluation_years), "村评议取数年限")
    decimals = data.get("percent_decimals", default.percent_decimals)
    return Readings(
        # A fraction of a year is kept as it is, for `validate` to name.
        evaluation_years=int(years) if years.is_integer() else years,  # type: ignore[arg-type]
        labour=str(data.get("labour", default.labour)),
        average_over=str(data.get("average_over", default.average_over)),
        average_includes_gated=_flag(
            data.get("average_includes_gated", default.average_includes_gated),
            "户均是否计入被否决农户",
        ),
        credit_share_over=str(data.get("credit_share_over", default.credit_share_over)),
        new_npl_window=str(data.get("new_npl_window", default.new_npl_window)),
        npl_includes_entities=_flag(
            data.get("npl_includes_entities", default.npl_includes_entities),
            "不良贷款率是否计入经营主体贷款",
        ),
        percent_decimals=None if decimals is None else int(_number(decimals, "百分比小数位")),
    )


def _rule_set_from_dict(data: Mapping[str, Any]) -> RatingRules:
    where = "评定办法"
    version = data.get("format", FORMAT_VERSION) if isinstance(data, Mapping) else None
    if version != FORMAT_VERSION:
        raise RuleSetFormatError(f"评定办法格式版本「{version}」无法识别")
    records = _need(data, "records", where)
    loans = data.get("loans", {})
    defaults = LoanRules()
    return RatingRules(
        name=str(_need(data, "name", where)),
        household_indicators=tuple(
            _indicator(i, "农户") for i in _items(_need(data, "household_indicators", where), where)
        ),
        entity_sheets=tuple(
            EntitySheet(
                entity_type=str(_need(s, "entity_type", "主体指标")),
                indicators=tuple(
                    _indicator(i, "主体")
                    for i in _items(_need(s, "indicators", "主体指标"), "主体指标")
                ),
            )
            for s in _items(_need(data, "entity_sheets", where), where)
        ),
        gates=tuple(
            Gate(
                key=str(_need(g, "key", "否决条件")),
                reason=str(_need(g, "reason", "否决条件")),
                field=str(_need(g, "field", "否决条件")),
                op=str(_need(g, "op", "否决条件")),
                value=_number(g.get("value", 0.0), "否决条件数值"),
            )
            for g in _items(_need(data, "gates", where), where)
        ),
        grade_bands=tuple(
            GradeBand(
                grade=str(_need(b, "grade", "信用等级")),
                label=str(b.get("label", "")),
                min_score=_number(_need(b, "min_score", "信用等级"), "等级分数线"),
            )
            for b in _items(_need(data, "grade_bands", where), where)
        ),
        village_thresholds=tuple(
            _threshold(t, "信用村条件")
            for t in _items(_need(data, "village_thresholds", where), where)
        ),
        township_thresholds=tuple(
            _threshold(t, "信用乡镇条件")
            for t in _items(_need(data, "township_thresholds", where), where)
        ),
        county_thresholds=tuple(
            _threshold(t, "信用县条件") for t in _items(data.get("county_thresholds", []), where)
        ),
        records=RecordRules(
            disqualifying_categories=tuple(
                str(c)
                for c in _items(_need(records, "disqualifying_categories", "不良记录规则"), where)
            ),
            lookback_years=_number(records.get("lookback_years", 5), "不良记录追溯年限"),
            dishonest_category=str(records.get("dishonest_category", "失信被执行人")),
        ),
        loans=LoanRules(
            npl_statuses=tuple(str(s) for s in loans.get("npl_statuses", defaults.npl_statuses)),
            new_npl_window_days=int(
                _number(loans.get("new_npl_window_days", defaults.new_npl_window_days), "天数")
            ),
            npl_after_days_overdue=int(
                _number(
                    loans.get("npl_after_days_overdue", defaults.npl_after_days_overdue), "天数"
                )
            ),
            repayment_lookback_years=_number(
                loans.get("repayment_lookback_years", defaults.repayment_lookback_years), "年限"
            ),
        ),
        readings=_readings(data.get("readings", {})),
    )
