"""ECharts options of the statistics page, built from the figures' tables and drawn by
static/charts.js (the page carries each option as JSON in a data attribute)."""

from typing import Any

import pandas as pd

GRID = {"left": 8, "right": 8, "top": 48, "bottom": 8, "containLabel": True}
FUNNEL_COLOURS = ["#6c757d", "#0d6efd", "#fd7e14", "#198754"]


def _ints(frame: pd.DataFrame, column: str) -> list[int]:
    return [int(v) for v in frame[column]]


def _wan(frame: pd.DataFrame) -> list[float]:
    return [round(float(v) / 10_000, 1) for v in frame["amount"]]


def _category_axis(names: list[str]) -> dict[str, Any]:
    return {
        "type": "category",
        "data": names,
        "axisLabel": {"rotate": 30 if len(names) > 3 else 0, "interval": 0, "fontSize": 11},
    }


def funnel_bars(
    frame: pd.DataFrame, names: list[str], labels: dict[str, str], columns: tuple[str, ...]
) -> dict[str, Any]:
    """Grouped bars of the funnel counts per row, the amount granted (万元) as a line on the
    right axis."""
    colours = FUNNEL_COLOURS[-len(columns) :]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "type": "scroll"},
        "grid": GRID,
        "xAxis": _category_axis(names),
        "yAxis": [
            {"type": "value", "minInterval": 1, "name": labels["unit_needs"]},
            {"type": "value", "name": labels["unit_amount"], "splitLine": {"show": False}},
        ],
        "series": [
            {
                "name": labels[c],
                "type": "bar",
                "itemStyle": {"color": colour},
                "data": _ints(frame, c),
            }
            for c, colour in zip(columns, colours, strict=True)
        ]
        + [
            {
                "name": labels["amount_wan"],
                "type": "line",
                "yAxisIndex": 1,
                "itemStyle": {"color": "#20c997"},
                "data": _wan(frame),
            }
        ],
    }


def reasons_pie(reasons: pd.DataFrame, names: list[str]) -> dict[str, Any]:
    return {
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"bottom": 0, "type": "scroll"},
        "series": [
            {
                "type": "pie",
                "radius": ["35%", "65%"],
                "center": ["50%", "45%"],
                "label": {"formatter": "{b}\n{c}"},
                "data": [
                    {"name": name, "value": int(n)}
                    for name, n in zip(names, reasons["rejections"], strict=True)
                ],
            }
        ],
    }
