"""One result's points per indicator, as rows and as a chart: for the office's result page and
the applicant's own."""

from typing import Any

from flask_babel import gettext as _

from agri_credit.ratings.figures import band_figure
from agri_credit.ratings.inputs import DEPARTMENTAL_UNITS
from agri_credit.ratings.rules import CATEGORY, MISSING_CHOICES, Indicator, fmt

NO_RECORDS = "无记录"


def value_text(ind: Indicator, value: Any, translate: Any = _) -> str:
    """A departmental indicator's value with its unit, as the band decision read it: a rate
    with the digits that keep it inside its band (figures.band_figure), months whole, a
    grade as it is; 无记录 for none. `translate`: the page's gettext (exports: none)."""
    if value is None:
        return translate(NO_RECORDS)
    unit = DEPARTMENTAL_UNITS.get(ind.field, "")
    if ind.method == CATEGORY or isinstance(value, str):
        return str(value)
    number = float(value)
    if unit == "%":
        return band_figure(number, [(b.lower, b.upper) for b in ind.bands]) + " %"
    return f"{fmt(number)} {translate(unit)}".strip()


def breakdown_rows(
    indicators: tuple[Indicator, ...],
    breakdown: dict[str, Any],
    missing: str = "",
    values: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One row per indicator of the sheet: its label, points scored (None when the indicator
    had no data in the run and was left out of the total), the most it can score, and for an
    indicator the subject had no value for (`missing`: the result's labels, "、"-joined) how
    the rule set scored that (MISSING_CHOICES). A departmental indicator also gives the value
    it scored (`values`, RatingResult.indicator_values) with its unit, or 无记录 and the
    points the rule set gives for none."""
    lacking = set(missing.split("、")) if missing else set()
    values = values or {}
    rows = []
    for ind in indicators:
        points = breakdown.get(ind.key)
        shown = None
        if ind.departmental and points is not None and ind.key in values:
            shown = value_text(ind, values[ind.key])
            if values[ind.key] is None:
                shown += _("（按评定办法计 %(points)s 分）", points=fmt(ind.missing_points))
        rows.append(
            {
                "key": ind.key,
                "label": ind.label,
                "points": points,
                "max": ind.points,
                "percent": round(points / ind.points * 100) if points is not None else 0,
                "missing": MISSING_CHOICES.get(ind.when_missing) if ind.label in lacking else None,
                "value": shown,
            }
        )
    return rows


def breakdown_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """ECharts option: points per indicator against its maximum, as horizontal bars."""
    labels = [r["label"] for r in reversed(rows)]
    return {
        "grid": {"left": 8, "right": 24, "top": 28, "bottom": 8, "containLabel": True},
        "legend": {"data": [_("得分"), _("满分")], "top": 0},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "xAxis": {"type": "value", "min": 0},
        "yAxis": {"type": "category", "data": labels},
        "series": [
            {
                "name": _("满分"),
                "type": "bar",
                "data": [r["max"] for r in reversed(rows)],
                "itemStyle": {"color": "#dee2e6"},
                "barGap": "-100%",
                "silent": True,
            },
            {
                "name": _("得分"),
                "type": "bar",
                "data": [r["points"] for r in reversed(rows)],
                "itemStyle": {"color": "#198754"},
                "label": {"show": True, "position": "right"},
            },
        ],
    }
