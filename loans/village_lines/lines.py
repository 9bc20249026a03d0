"""The line of each rated household, from its grade and score, as plain functions over a
DataFrame (no Flask, no database): what the preview shows and the approval writes.

- the line is the product's amount for the household's effective grade (AAA / AA / A);
- the score caps it: a household scored below `cap_below_points` gets at most `cap_amount`
  (0 = no line). A household with no score (暂无评分) is not capped: the score is advice, and
  its absence says nothing against the household;
- the rate is the product's highest rate less the 守信激励 discounts for a 信用户 and for a
  household of a 信用村, never below the product's lowest rate. Every household with a line is
  both (lines go only to rated households of a 信用村), so one rate serves the whole grant.
"""

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from models import RATING_GRADES


@dataclass(frozen=True)
class LineTerms:
    grade_amounts: dict[str, Decimal]  # "AAA" -> 100000; a grade missing or 0: no line
    cap_below_points: int | None
    cap_amount: Decimal | None
    credit_household_discount: Decimal  # percentage points off the annual rate
    credit_village_discount: Decimal

    @property
    def caps(self) -> bool:
        return self.cap_below_points is not None and self.cap_amount is not None


def line_rate(rate_min: Decimal, rate_max: Decimal, terms: LineTerms) -> Decimal:
    """The annual rate (%) of a line: the highest rate less both discounts, floored."""
    discounted = rate_max - terms.credit_household_discount - terms.credit_village_discount
    return max(rate_min, discounted).quantize(Decimal("0.01"))


LINE_COLUMNS = ["household_id", "grade", "score_points", "grade_amount", "amount", "capped"]


def _grade_codes(grades: pd.Series) -> np.ndarray:
    """0 for AAA, 1 for AA, 2 for A, -1 below the credit grades (hashing, not a Python loop
    over strings: pandas' str dtype maps element by element)."""
    return pd.Categorical(grades, categories=RATING_GRADES).codes


def compute_lines(households: pd.DataFrame, terms: LineTerms) -> pd.DataFrame:
    """One row per household that gets a line. `households` has household_id, grade (None
    below the credit grades) and points (NaN without a score). Vectorised."""
    codes = _grade_codes(households["grade"])
    rated = codes >= 0
    codes = codes[rated]
    table = np.array([float(terms.grade_amounts.get(g) or 0) for g in RATING_GRADES])
    grade_amount = table[codes]
    points = households["points"].to_numpy(dtype="float64")[rated]
    if terms.caps:
        capped = (
            ~np.isnan(points)
            & (points < terms.cap_below_points)
            & (grade_amount > float(terms.cap_amount))
        )
        amount = np.where(capped, float(terms.cap_amount), grade_amount)
    else:
        capped = np.zeros(len(codes), dtype=bool)
        amount = grade_amount
    keep = amount > 0
    return pd.DataFrame(
        {
            "household_id": households["household_id"].to_numpy()[rated][keep],
            "grade": np.asarray(RATING_GRADES, dtype=object)[codes[keep]],
            "score_points": pd.array(points[keep], dtype="Int64"),
            "grade_amount": grade_amount[keep],
            "amount": amount[keep],
            "capped": capped[keep],
        }
    )


@dataclass(frozen=True)
class GradeFigures:
    grade: str
    households: int  # rated households of the grade
    lines: int  # households of the grade that get a line
    capped: int  # of those lines, how many the score capped
    excluded: int  # households of the grade with no line (grade amount 0, or capped to 0)
    amount: float  # total line amount of the grade


def summarise(households: pd.DataFrame, lines: pd.DataFrame) -> list[GradeFigures]:
    """Figures per credit grade, best first: what the bank may see before any household
    authorises it (counts and totals, no one's line)."""
    n = len(RATING_GRADES)
    rated = _grade_codes(households["grade"])
    codes = _grade_codes(lines["grade"])
    totals = np.bincount(rated[rated >= 0], minlength=n)
    counts = np.bincount(codes, minlength=n)
    capped = np.bincount(codes, weights=lines["capped"].to_numpy(dtype="float64"), minlength=n)
    amounts = np.bincount(codes, weights=lines["amount"].to_numpy(dtype="float64"), minlength=n)
    return [
        GradeFigures(
            grade=grade,
            households=int(totals[k]),
            lines=int(counts[k]),
            capped=int(capped[k]),
            excluded=int(totals[k] - counts[k]),
            amount=float(amounts[k]),
        )
        for k, grade in enumerate(RATING_GRADES)
    ]


def summary_json(figures: list[GradeFigures]) -> dict:
    """The figures as stored on the grant (the preview the maker confirmed)."""
    return {
        f.grade: {
            "households": f.households,
            "lines": f.lines,
            "capped": f.capped,
            "excluded": f.excluded,
            "amount": round(f.amount, 2),
        }
        for f in figures
    }


def mask_name(name: str) -> str:
    """张** for 张建国: the surname, as the bank may see it before authorisation."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""
