"""Ratios shown beside a threshold, rounded so the figure never contradicts the decision.

A village at 89.96 % against "建档率 ≥ 90 %" fails; shown to one decimal it reads "90.0 %，
低于 90 %". `percent_beside` adds decimals until the rounded figure agrees with the decision
(and, at the threshold itself, says so with a second decimal: 1.00 % against "< 1 %"). Pure:
the rating engine builds its reasons with it and templates use it as the `beside` filter.
"""

from __future__ import annotations

import math

# Fewest and most decimals a ratio beside a threshold is shown with.
MIN_DECIMALS = 1
MAX_DECIMALS = 3

_COMPARE = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


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


def percent_beside(value: float | None, op: str, threshold: float) -> str:
    """`value` (in percent) with "%", agreeing with `value op threshold`; "—" when unknown."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return percent_number(float(value), op, float(threshold)) + "%"
