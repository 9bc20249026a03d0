"""How numbers read everywhere (pages through the Jinja filters in templating.py, the XLSX
exports and the PDF reports): money in yuan with separators and two decimals, counts with
separators, rating scores with at most two decimals, default-risk scores in whole points,
and chart axes stepping in round numbers. Ratios beside a threshold: ratings/figures.py."""

import math
from decimal import Decimal
from typing import Any


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def money(value: Decimal | float | None) -> str:
    """Yuan: 1,234,567.80."""
    return "—" if _missing(value) else f"{value:,.2f}"


def thousands(value: int | float | None) -> str:
    """A count with thousands separators (30,000), as Chinese statistics print them."""
    return "—" if _missing(value) else f"{round(value):,}"


def score(value: Decimal | float | int | None) -> str:
    """A rating score (总分, an indicator's points): at most two decimals, trailing zeros
    dropped (86.5, 48, 7.25). Never rounded to a whole number, which could put a score on the
    wrong side of a grade boundary."""
    if _missing(value):
        return "—"
    text = f"{Decimal(str(value)).quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".")


def points(value: int | float | None) -> str:
    """A default-risk score in whole points (the scorecard's unit), with separators."""
    return "—" if _missing(value) else f"{round(value):,}"


def round_step(maximum: float, ticks: int = 5) -> float:
    """An axis step of 1, 2 or 5 times a power of ten giving about `ticks` steps up to
    `maximum` (a count axis never steps by 0.5 or 59)."""
    if maximum <= 0:
        return 1
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return max(step, 1) if maximum >= ticks else step
