"""The form that edits a draft rule set, built from the draft's own rules.

Every indicator keeps its method and number of bands; the office changes what a county's
评定办法 changes from year to year: which indicators count (one of the default sheet's that a
version left out can be taken up again), each indicator's points, its band edges and the
points of each band (or of each category), the grade cut-offs, the village / township / county
thresholds (on or off, comparison and percent), which gates apply and at what value, and
which kinds of negative record disqualify. Bands are edited as edges, so they stay
contiguous: band k runs from edge k to edge k+1, the outer edges blank for "unbounded".

`draft_form(rules)` returns the form class, the layout the template walks, and the initial
values; `rules_from_form(rules, layout, form.data)` gives the edited rules back (plain data,
validated afterwards by `rules.validate` in `rulesets.save_draft`).
"""

import re
from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FloatField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from agri_credit.ratings.default_rules import default_rule_set
from agri_credit.ratings.departmental_rules import departmental_candidates
from agri_credit.ratings.rules import (
    AVERAGE_OVER_CHOICES,
    BANDS,
    CATEGORY,
    COUNTY,
    LABOUR_CHOICES,
    LEVEL_LABELS,
    LEVEL_METRICS,
    MAX_LOOKBACK_MONTHS,
    METRIC_LABELS,
    MISSING_CHOICES,
    NEW_NPL_WINDOW_CHOICES,
    PERCENT_DECIMALS_CHOICES,
    RELATIVE,
    SHARE_OVER_CHOICES,
    TOWNSHIP,
    VILLAGE,
    Band,
    EntitySheet,
    Gate,
    GradeBand,
    Indicator,
    RatingRules,
    Readings,
    Threshold,
    fmt,
)
from models import NEGATIVE_PUBLIC_KINDS, PUBLIC_RECORD_KIND_LABELS
from village_forms.household_fields import RECORD_CATEGORIES

from .services import RuleSetRefused, sheets

NUMBER_REQUIRED = "请填写数值"
OP_CHOICES = [(">=", "≥"), (">", "＞"), ("<=", "≤"), ("<", "＜")]
# A metric newly switched on compares the usual way: shares from below, loan ratios from above.
DEFAULT_OPS = {"npl_ratio": "<", "new_npl_ratio": "<"}
POSITIVE_CATEGORIES = {"荣誉表彰"}


class NumberField(FloatField):
    """A float input whose parse error reads in Chinese whatever WTForms' catalogue says."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or str(valuelist[0]).strip() == "":
            self.data = None
            return
        try:
            self.data = float(str(valuelist[0]).strip())
        except ValueError as error:
            self.data = None
            raise ValueError("请填写数字") from error

    def _value(self) -> str:
        # 8 rather than 8.0: the figures read as the 评定办法 prints them.
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else fmt(self.data)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _number(label: str, required: bool = True) -> NumberField:
    first = InputRequired(NUMBER_REQUIRED) if required else Optional()
    return NumberField(label, validators=[first], render_kw={"inputmode": "decimal"})


@dataclass
class IndicatorFields:
    indicator: Indicator
    on: str  # 计入评分: unticked, the indicator leaves this version
    points: str
    lower: str | None = None  # the first band's lower edge
    bands: list[tuple[str, str]] = field(default_factory=list)  # (upper edge, points)
    alt_lower: str | None = None
    alt_bands: list[tuple[str, str]] = field(default_factory=list)
    categories: list[tuple[str, str]] = field(default_factory=list)  # (value, points)
    missing: str = ""  # how a subject without the value is scored (Indicator.when_missing)
    # Departmental indicators: the window in months and the points for no records.
    lookback: str = ""
    missing_points: str = ""


@dataclass
class SheetFields:
    title: str
    indicators: list[IndicatorFields]


@dataclass
class ThresholdFields:
    level: str
    metric: str
    label: str
    on: str
    op: str
    value: str
    binding: str = ""  # 必备条件: unticked, the threshold is shown but fails nothing


@dataclass
class ReadingFields:
    """Field names of the readings (RatingRules.readings) in the form."""

    evaluation_years: str = "r_evaluation_years"
    labour: str = "r_labour"
    average_over: str = "r_average_over"
    average_includes_gated: str = "r_average_includes_gated"
    credit_share_over: str = "r_credit_share_over"
    new_npl_window: str = "r_new_npl_window"
    npl_includes_entities: str = "r_npl_includes_entities"
    percent_decimals: str = "r_percent_decimals"


@dataclass
class GateFields:
    gate: Gate
    on: str
    value: str | None  # None for a yes/no gate


@dataclass
class Layout:
    sheets: list[SheetFields]
    grades: list[tuple[GradeBand, str]]
    thresholds: dict[str, list[ThresholdFields]]
    gates: list[GateFields]
    categories: str = "record_categories"
    lookback: str = "lookback_years"
    notes: str = "notes"
    title: str = "title"
    readings: ReadingFields = field(default_factory=ReadingFields)

    @property
    def level_labels(self) -> dict[str, str]:
        return LEVEL_LABELS


def _whole_years(form: FlaskForm, field: NumberField) -> None:
    if field.data is not None and (field.data < 0 or not float(field.data).is_integer()):
        raise ValidationError("请填写 0 或正整数（0 表示不限年限，1 表示仅评定当年）")


def _choice(label: str, choices: dict[str, str]) -> SelectField:
    # An unknown choice is named in Chinese by `validate` when the draft is saved.
    return SelectField(
        label, choices=[(k, _l(v)) for k, v in choices.items()], validate_choice=False
    )


def _reading_fields(attrs: dict[str, Any], values: dict[str, Any], readings: Readings) -> None:
    names = ReadingFields()
    attrs[names.evaluation_years] = NumberField(
        "村评议取近几年内最新一次（年）",
        validators=[Optional(), _whole_years],
        render_kw={"inputmode": "numeric"},
    )
    values[names.evaluation_years] = readings.evaluation_years
    attrs[names.labour] = _choice("劳动力人数的口径", LABOUR_CHOICES)
    values[names.labour] = readings.labour
    attrs[names.average_over] = _choice("户均（与本村户均比）的分母", AVERAGE_OVER_CHOICES)
    values[names.average_over] = readings.average_over
    attrs[names.average_includes_gated] = BooleanField("被一票否决的农户计入户均")
    values[names.average_includes_gated] = readings.average_includes_gated
    attrs[names.credit_share_over] = _choice("信用户占比的分母", SHARE_OVER_CHOICES)
    values[names.credit_share_over] = readings.credit_share_over
    attrs[names.new_npl_window] = _choice("新增不良贷款的统计期", NEW_NPL_WINDOW_CHOICES)
    values[names.new_npl_window] = readings.new_npl_window
    attrs[names.npl_includes_entities] = BooleanField("不良贷款率计入经营主体的贷款")
    values[names.npl_includes_entities] = readings.npl_includes_entities
    attrs[names.percent_decimals] = _choice("百分比与达标条件比较时", PERCENT_DECIMALS_CHOICES)
    decimals = readings.percent_decimals
    values[names.percent_decimals] = "" if decimals is None else str(decimals)


def _readings(names: ReadingFields, data: dict[str, Any], problems: list[str]) -> Readings:
    years = data.get(names.evaluation_years)
    decimals = str(data.get(names.percent_decimals) or "")
    if decimals not in PERCENT_DECIMALS_CHOICES:
        problems.append(f"百分比比较方式「{decimals}」无法识别")
        decimals = ""
    default = Readings()
    return Readings(
        evaluation_years=0 if years is None else int(years),
        labour=str(data.get(names.labour) or default.labour),
        average_over=str(data.get(names.average_over) or default.average_over),
        average_includes_gated=bool(data.get(names.average_includes_gated)),
        credit_share_over=str(data.get(names.credit_share_over) or default.credit_share_over),
        new_npl_window=str(data.get(names.new_npl_window) or default.new_npl_window),
        npl_includes_entities=bool(data.get(names.npl_includes_entities)),
        percent_decimals=int(decimals) if decimals else None,
    )


def _band_fields(
    attrs: dict[str, Any], values: dict[str, Any], prefix: str, label: str, bands: tuple[Band, ...]
) -> tuple[str, list[tuple[str, str]]]:
    lower = f"{prefix}_lo"
    attrs[lower] = _number(f"{label} 起点", required=False)
    values[lower] = bands[0].lower if bands else None
    rows = []
    for k, band in enumerate(bands):
        upper, points = f"{prefix}_b{k}_up", f"{prefix}_b{k}_pts"
        attrs[upper] = _number(f"{label} 第{k + 1}档上限", required=False)
        attrs[points] = _number(f"{label} 第{k + 1}档得分")
        values[upper], values[points] = band.upper, band.points
        rows.append((upper, points))
    return lower, rows


def _negative_categories(rules: RatingRules) -> list[str]:
    known = [c for c in RECORD_CATEGORIES if c not in POSITIVE_CATEGORIES]
    known += [PUBLIC_RECORD_KIND_LABELS[k] for k in NEGATIVE_PUBLIC_KINDS]
    known += list(rules.records.disqualifying_categories)
    return list(dict.fromkeys(known))


def _gate_candidates(rules: RatingRules) -> list[tuple[Gate, bool]]:
    """The rule set's gates (on), then the default gates it has dropped (off), so a gate
    switched off in one version can be switched on again in the next."""
    current = [(g, True) for g in rules.gates]
    keys = {g.key for g in rules.gates}
    return current + [(g, False) for g in default_rule_set().gates if g.key not in keys]


def _indicator_candidates(rules: RatingRules) -> list[tuple[str, list[tuple[Indicator, bool]]]]:
    """Per sheet, its indicators (on), then the default sheet's indicators it has dropped
    (off), so an indicator left out of one version can be taken up again in the next; the
    household sheet also offers each departmental indicator it does not have yet (off)."""
    defaults = dict(sheets(default_rule_set()))
    out = []
    for s, (title, indicators) in enumerate(sheets(rules)):
        keys = {i.key for i in indicators}
        dropped = [i for i in defaults.get(title, ()) if i.key not in keys]
        if s == 0:  # households
            read = {i.field for i in indicators} | {i.field for i in dropped}
            keys |= {i.key for i in dropped}
            dropped += [
                i for i in departmental_candidates() if i.field not in read and i.key not in keys
            ]
        out.append((title, [(i, True) for i in indicators] + [(i, False) for i in dropped]))
    return out


def _whole_months(form: FlaskForm, field: NumberField) -> None:
    if field.data is not None and (
        not float(field.data).is_integer() or not 1 <= field.data <= MAX_LOOKBACK_MONTHS
    ):
        raise ValidationError(f"请填写 1–{MAX_LOOKBACK_MONTHS} 的整数月数")


def draft_form(
    rules: RatingRules, notes: str = "", title: str = ""
) -> tuple[type[FlaskForm], Layout, dict[str, Any]]:
    attrs: dict[str, Any] = {}
    values: dict[str, Any] = {}

    sheet_layouts = []
    for s, (sheet, candidates) in enumerate(_indicator_candidates(rules)):
        rows = []
        for i, (ind, on) in enumerate(candidates):
            prefix = f"s{s}_i{i}"
            fields = IndicatorFields(ind, f"{prefix}_on", f"{prefix}_points")
            attrs[fields.on] = BooleanField(f"{sheet}·{ind.label} 计入评分")
            values[fields.on] = on
            attrs[fields.points] = _number(f"{sheet}·{ind.label} 分值")
            values[fields.points] = ind.points
            if ind.departmental:
                fields.lookback = f"{prefix}_months"
                attrs[fields.lookback] = NumberField(
                    f"{sheet}·{ind.label} 统计月数",
                    validators=[InputRequired(NUMBER_REQUIRED), _whole_months],
                    render_kw={"inputmode": "numeric"},
                )
                values[fields.lookback] = ind.lookback_months
                fields.missing_points = f"{prefix}_none"
                attrs[fields.missing_points] = _number(f"{sheet}·{ind.label} 无记录得分")
                values[fields.missing_points] = ind.missing_points
            else:
                fields.missing = f"{prefix}_missing"
                # An unknown choice is named in Chinese by `validate` when the draft is saved.
                attrs[fields.missing] = SelectField(
                    f"{sheet}·{ind.label} 缺失数据",
                    choices=[(key, _l(label)) for key, label in MISSING_CHOICES.items()],
                    validate_choice=False,
                )
                values[fields.missing] = ind.when_missing
            if ind.method in (BANDS, RELATIVE):
                fields.lower, fields.bands = _band_fields(
                    attrs, values, prefix, f"{sheet}·{ind.label}", ind.bands
                )
                if ind.alt_field:
                    fields.alt_lower, fields.alt_bands = _band_fields(
                        attrs,
                        values,
                        f"{prefix}_alt",
                        f"{sheet}·{ind.label}（{ind.alt_field}）",
                        ind.alt_bands,
                    )
            elif ind.method == CATEGORY:
                for c, (value, points) in enumerate(ind.categories):
                    name = f"{prefix}_c{c}_pts"
                    attrs[name] = _number(f"{sheet}·{ind.label}·{value} 得分")
                    values[name] = points
                    fields.categories.append((value, name))
            rows.append(fields)
        sheet_layouts.append(SheetFields(sheet, rows))

    grades = []
    for g, band in enumerate(rules.grade_bands):
        name = f"grade{g}"
        attrs[name] = _number(f"{band.grade} 分数线")
        values[name] = band.min_score
        grades.append((band, name))

    thresholds: dict[str, list[ThresholdFields]] = {}
    for level in (VILLAGE, TOWNSHIP, COUNTY):
        current = {t.metric: t for t in rules.thresholds(level)}
        order = list(current) + [m for m in LEVEL_METRICS[level] if m not in current]
        rows = []
        for metric in order:
            prefix = f"t_{level}_{metric}"
            label = METRIC_LABELS.get(metric, metric)
            t = current.get(metric)
            row = ThresholdFields(
                level,
                metric,
                label,
                f"{prefix}_on",
                f"{prefix}_op",
                f"{prefix}_value",
                f"{prefix}_binding",
            )
            attrs[row.binding] = BooleanField(f"{LEVEL_LABELS[level]}：{label} 为必备条件")
            values[row.binding] = t.binding if t else True
            attrs[row.on] = BooleanField(f"{LEVEL_LABELS[level]}：{label}")
            attrs[row.op] = SelectField(f"{label} 比较", choices=OP_CHOICES)
            attrs[row.value] = _number(f"{LEVEL_LABELS[level]}：{label}（%）", required=False)
            values[row.on] = t is not None
            values[row.op] = t.op if t else DEFAULT_OPS.get(metric, ">=")
            values[row.value] = t.value if t else None
            rows.append(row)
        thresholds[level] = rows

    gates = []
    for k, (gate, on) in enumerate(_gate_candidates(rules)):
        row = GateFields(gate, f"gate{k}_on", None if gate.op == "true" else f"gate{k}_value")
        attrs[row.on] = BooleanField(gate.reason)
        values[row.on] = on
        if row.value:
            attrs[row.value] = _number(f"{gate.reason} 数值", required=False)
            values[row.value] = gate.value
        gates.append(row)

    layout = Layout(sheet_layouts, grades, thresholds, gates)
    categories = _negative_categories(rules)
    attrs[layout.categories] = MultiCheckboxField(
        "取消评定资格的不良记录类别", choices=[(c, c) for c in categories]
    )
    values[layout.categories] = list(rules.records.disqualifying_categories)
    attrs[layout.lookback] = _number("不良记录追溯年限（年）")
    values[layout.lookback] = rules.records.lookback_years
    _reading_fields(attrs, values, rules.readings)
    attrs[layout.notes] = TextAreaField("版本说明", validators=[Length(max=2000)])
    values[layout.notes] = notes
    attrs[layout.title] = StringField(
        "办法名称",
        validators=[InputRequired("请填写办法名称，公示和报告将引用它"), Length(max=120)],
    )
    values[layout.title] = title

    form_class = type("RuleSetDraftForm", (FlaskForm,), attrs)
    return form_class, layout, values


def _bands(
    data: dict[str, Any], lower: str | None, rows: list[tuple[str, str]]
) -> tuple[Band, ...]:
    edges = [data.get(lower) if lower else None] + [data.get(upper) for upper, _ in rows]
    return tuple(
        Band(edges[k], edges[k + 1], float(data.get(points) or 0))
        for k, (_, points) in enumerate(rows)
    )


def _indicator(fields: IndicatorFields, data: dict[str, Any]) -> Indicator:
    ind = fields.indicator
    changes: dict[str, Any] = {
        "points": float(data.get(fields.points) or 0),
        "when_missing": str(data.get(fields.missing) or ind.when_missing),
    }
    if fields.lookback:
        months = data.get(fields.lookback)
        changes["lookback_months"] = int(months) if months is not None else ind.lookback_months
        changes["missing_points"] = float(data.get(fields.missing_points) or 0)
    if fields.bands:
        changes["bands"] = _bands(data, fields.lower, fields.bands)
    if fields.alt_bands:
        changes["alt_bands"] = _bands(data, fields.alt_lower, fields.alt_bands)
    if fields.categories:
        changes["categories"] = tuple(
            (value, float(data.get(name) or 0)) for value, name in fields.categories
        )
    return replace(ind, **changes)


def _included(sheet: SheetFields, data: dict[str, Any]) -> tuple[Indicator, ...]:
    return tuple(_indicator(f, data) for f in sheet.indicators if data.get(f.on))


def rules_from_form(rules: RatingRules, layout: Layout, data: dict[str, Any]) -> RatingRules:
    """The draft's rules with the form's values; RuleSetRefused when a switched-on threshold
    or gate has no value (everything else is left to `validate`)."""
    problems = []
    household, *entity_layouts = layout.sheets
    households = _included(household, data)
    entity_sheets = tuple(
        EntitySheet(sheet.entity_type, _included(fields, data))
        for sheet, fields in zip(rules.entity_sheets, entity_layouts, strict=True)
    )

    grade_bands = tuple(
        replace(band, min_score=float(data.get(name) or 0)) for band, name in layout.grades
    )

    levels: dict[str, tuple[Threshold, ...]] = {}
    for level, rows in layout.thresholds.items():
        chosen = []
        for row in rows:
            if not data.get(row.on):
                continue
            value = data.get(row.value)
            if value is None:
                problems.append(f"{LEVEL_LABELS[level]}条件「{row.label}」已启用，请填写百分比")
                continue
            chosen.append(
                Threshold(
                    row.metric, data.get(row.op) or ">=", float(value), bool(data.get(row.binding))
                )
            )
        levels[level] = tuple(chosen)

    gates = []
    for row in layout.gates:
        if not data.get(row.on):
            continue
        gate = row.gate
        if row.value:
            value = data.get(row.value)
            if value is None:
                problems.append(f"否决条件「{gate.reason}」已启用，请填写数值")
                continue
            gate = replace(gate, value=float(value))
        gates.append(gate)

    lookback = data.get(layout.lookback)
    records = replace(
        rules.records,
        disqualifying_categories=tuple(data.get(layout.categories) or ()),
        lookback_years=float(lookback if lookback is not None else rules.records.lookback_years),
    )
    readings = _readings(layout.readings, data, problems)
    if problems:
        raise RuleSetRefused(*problems)
    return replace(
        rules,
        readings=readings,
        household_indicators=households,
        entity_sheets=entity_sheets,
        gates=tuple(gates),
        grade_bands=grade_bands,
        village_thresholds=levels[VILLAGE],
        township_thresholds=levels[TOWNSHIP],
        county_thresholds=levels[COUNTY],
        records=records,
    )


class ActionForm(FlaskForm):
    """Copy, publish and delete are POSTs with nothing but the CSRF token."""


def problem_fields(layout: Layout, problems: list[str]) -> dict[str, list[str]]:
    """The form fields each refusal is about, so the page marks them red beside the list:
    {field name: [messages]}. Messages name what they concern (指标「…」第 n 档, 等级「…」,
    村级条件「…」, 否决条件「…」); a message naming nothing the form shows marks nothing."""
    marked: dict[str, list[str]] = {}

    def mark(name: str | None, message: str) -> None:
        if name and message not in marked.setdefault(name, []):
            marked[name].append(message)

    for message in problems:
        for sheet in layout.sheets:
            if message.startswith(sheet.title) and "指标分值合计" in message:
                for row in sheet.indicators:
                    mark(row.points, message)
            for row in sheet.indicators:
                head = f"指标「{row.indicator.label or row.indicator.key}」"
                if head not in message:
                    continue
                alt = message.startswith(head + "（")
                bands = row.alt_bands if alt else row.bands
                numbers = [int(n) for n in re.findall(r"第(\d+)档", message)]
                for n in numbers:
                    if 1 <= n <= len(bands):
                        upper, points = bands[n - 1]
                        mark(points if "得分" in message else upper, message)
                        if n == 1 and "下限" in message:
                            mark(row.alt_lower if alt else row.lower, message)
                for value, name in row.categories:
                    if f"分类「{value}」" in message:
                        mark(name, message)
                if "统计月数" in message:
                    mark(row.lookback, message)
                elif "无记录得分" in message:
                    mark(row.missing_points, message)
                elif not numbers and "分类「" not in message:
                    mark(row.points, message)
        for band, name in layout.grades:
            if f"「{band.grade}」" in message and "分数线" in message:
                mark(name, message)
        for level, rows in layout.thresholds.items():
            for row in rows:
                if message.startswith(LEVEL_LABELS[level]) and f"条件「{row.label}」" in message:
                    mark(row.value, message)
        for row in layout.gates:
            if f"否决条件「{row.gate.reason}」" in message:
                mark(row.value or row.on, message)
    return marked
