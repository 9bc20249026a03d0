"""A ratio shown beside the threshold it is judged against never contradicts the decision:
it gets the decimals that show which side of the line it is on."""

import math

import pytest

from agri_credit.ratings.figures import percent_beside


@pytest.mark.parametrize(
    ("value", "op", "threshold", "shown"),
    [
        # Far from the line: one decimal, rounded the usual way.
        (75.123, ">=", 90, "75.1%"),
        (95.26, ">=", 90, "95.3%"),
        (2.04, "<", 5, "2.0%"),
        # Failing just below a lower bound: one decimal would read 90.0 %.
        (89.96, ">=", 90, "89.96%"),
        (89.9996, ">=", 90, "89.999%"),  # even three decimals round up: cut downwards
        (69.96, ">", 70, "69.96%"),
        # Passing just below an upper bound: one decimal would read 1.0 %.
        (0.996, "<", 1, "0.996%"),
        (0.99996, "<", 1, "0.999%"),
        (4.96, "<=", 5, "4.96%"),
        # Failing just above an upper bound.
        (1.004, "<", 1, "1.004%"),
        (5.04, "<=", 5, "5.04%"),
        # Passing just above a lower bound: never shown as the bound itself.
        (90.04, ">=", 90, "90.04%"),
        (90.04, ">", 90, "90.04%"),
        (90.0004, ">=", 90, "90.001%"),
        # Exactly at the line: a second decimal says it is the line itself.
        (90.0, ">=", 90, "90.00%"),  # passes
        (90.0, ">", 90, "90.00%"),  # fails
        (1.0, "<", 1, "1.00%"),  # fails
        (1.0, "<=", 1, "1.00%"),  # passes
    ],
)
def test_the_figure_agrees_with_the_comparison(value, op, threshold, shown):
    assert percent_beside(value, op, threshold) == shown


@pytest.mark.parametrize("op", [">=", ">", "<", "<="])
@pytest.mark.parametrize("threshold", [1, 5, 70, 85, 90, 33.3])
def test_no_value_near_a_line_reads_as_the_other_side(op, threshold):
    compare = {
        ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }[op]
    for step in range(-2000, 2001):
        value = threshold + step / 10_000
        shown = float(percent_beside(value, op, threshold).rstrip("%"))
        assert compare(shown, threshold) == compare(value, threshold), (value, shown)


@pytest.mark.parametrize("value", [None, math.nan])
def test_an_unknown_ratio_shows_a_dash(value):
    assert percent_beside(value, ">=", 90) == "—"
