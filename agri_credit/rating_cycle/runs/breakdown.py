"""One result's points per indicator, as rows and as a chart: for the office's result page and
the applicant's own."""

from typing import Any

from flask_babel import gettext as _

from agri_credit.ratings.rules import MISSING_CHOICES, Indicator


def breakdown_rows(
    indicators: tuple[Indicator, ...], breakdown: dict[str, Any], missing: str = ""
) -> list[dict[str, Any]]:
    """One row per indicator of the sheet: its label, points scored (None when the indicator
    had no data in the run and was left out of the total), the most it can score, and for an
    indicator the subject had no value for (`missing`: the result's labels, "、"-joined) how
    the rule set scored that (MISSING_CHOICES)."""
    lacking = set(missing.split("、")) if missing else set()
    rows = []
    for ind in indicators:
        points = breakdown.get(ind.key)
        rows.append(
            {
                "key": ind.key,
                "label": ind.label,
                "points": points,
                "max": ind.points,
                "percent": round(points / ind.points * 100) if points is not None else 0,
                "missing": MISSING_CHOICES.get(ind.when_missing) if ind.label in lacking else None,
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
