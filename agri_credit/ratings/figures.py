"""Ratios shown beside a threshold, rounded so the figure never contradicts the decision.

A village at 89.96 % against "建档率 ≥ 90 %" fails; shown to one decimal it reads "90.0 %，
低于 90 %". `percent_beside` adds decimals until the rounded figure agrees with the decision
(and, at the threshold itself, says so with a second decimal: 1.00 % against "< 1 %"). Pure:
the rating engine builds its reasons with it and templates use it as the `beside` filter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Fewest and most decimals a ratio beside a threshold is shown with.
MIN_DECIMALS = 1
MAX_DECIMALS = 3

_COMPARE = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


@dataclass(frozen=True)
class Comparison:
    """A threshold as a figure beside it needs it: `op value`, and the decimals percentages
    are rounded to before comparing (None: compared as computed; Readings.percent_decimals)."""

    op: str
    value: float
    decimals: int | None = None


def rounded_percent(value: float, decimals: int) -> float:
    """`value` rounded half up (四舍五入) as a person rounds the digits she sees: 89.95 to
    one decimal is 90.0 whatever its binary representation."""
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def passes(value: float, op: str, threshold: float) -> bool:
    """Whether `value op threshold` holds (op one of >=, >, <, <=)."""
    return _COMPARE[op](value, threshold)


def percent_number(value: float, op: str, threshold: float) -> str:
    """`value` (in percent) as digits that agree with `value op threshold`: "89.96"."""
    passed = passes(value, op, threshold)
    exact = math.isclose(value, threshold, rel_tol=0.0, abs_tol=1e-9)
    for decimals in range(MIN_DECIMALS, MAX_DECIMALS + 1):
        shown = round(value, decimals)
        if passes(shown, op, threshold) != passed:
            continue
        # A figure that rounds onto the threshold leaves the reader guessing which side it
        # is on: more decimals, or a second one when the value is exactly the threshold.
        if shown == threshold and not (exact and decimals > MIN_DECIMALS):
            continue
        return f"{shown:.{decimals}f}"
    # Still on the threshold at the most decimals: cut towards the side the decision is on.
    scale = 10**MAX_DECIMALS
    upward = passed == (op in (">=", ">"))
    cut = (math.ceil(value * scale) if upward else math.floor(value * scale)) / scale
    if exact:
        cut = threshold
    return f"{cut:.{MAX_DECIMALS}f}"


def compared_number(value: float, op: str, threshold: float, decimals: int | None) -> str:
    """The digits beside a threshold: with `decimals` set the value is compared rounded to
    them, so the rounded figure is the one compared and always agrees; otherwise as
    `percent_number`."""
    if decimals is None:
        return percent_number(value, op, threshold)
    return f"{rounded_percent(value, decimals):.{decimals}f}"


def percent_beside(
    value: float | None, op: str, threshold: float, decimals: int | None = None
) -> str:
    """`value` (in percent) with "%", agreeing with `value op threshold` (compared rounded to
    `decimals` when given); "—" when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return compared_number(float(value), op, float(threshold), decimals) + "%"


def band_figure(value: float, edges: list[tuple[float | None, float | None]]) -> str:
    """`value` (a percentage scored by bands [lower, upper)) as digits that agree with the
    band it fell in: compared with the nearer edge of that band, as `percent_number` shows
    a figure beside a threshold ("94.96", never "95.0" in the band below 95)."""
    inside = [
        (lo, hi) for lo, hi in edges if (lo is None or value >= lo) and (hi is None or value < hi)
    ]
    if not inside:
        return f"{value:.{MIN_DECIMALS}f}"
    lower, upper = inside[0]
    sides = [(abs(value - lower), ">=", lower)] if lower is not None else []
    sides += [(abs(upper - value), "<", upper)] if upper is not None else []
    if not sides:
        return f"{value:.{MIN_DECIMALS}f}"
    _, op, edge = min(sides, key=lambda side: side[0])
    return percent_number(value, op, edge)
