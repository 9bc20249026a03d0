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


def compute_lines(households: pd.DataFrame, terms: LineTerms) -> pd.DataFrame:
    """One row per household that gets a line. `households` has household_id, grade (None
    below the credit grades) and points (NaN without a score). Vectorised."""
    frame = households[households["grade"].isin(RATING_GRADES)]
    amounts = {g: float(terms.grade_amounts.get(g) or 0) for g in RATING_GRADES}
    grade_amount = frame["grade"].map(amounts).astype("float64").to_numpy()
    points = frame["points"].astype("float64").to_numpy()
    if terms.caps:
        capped = (
            ~np.isnan(points)
            & (points < terms.cap_below_points)
            & (grade_amount > float(terms.cap_amount))
        )
        amount = np.where(capped, float(terms.cap_amount), grade_amount)
    else:
        capped = np.zeros(len(frame), dtype=bool)
        amount = grade_amount
    out = pd.DataFrame(
        {
            "household_id": frame["household_id"].to_numpy(),
            "grade": frame["grade"].to_numpy(),
            "score_points": frame["points"].astype("Int64").to_numpy(),
            "grade_amount": grade_amount,
            "amount": amount,
            "capped": capped,
        }
    )
    return out[out["amount"] > 0].reset_index(drop=True)


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
    rated = households[households["grade"].isin(RATING_GRADES)]
    rated_counts = rated["grade"].value_counts()
    by_grade = lines.groupby("grade").agg(
        lines=("household_id", "size"), capped=("capped", "sum"), amount=("amount", "sum")
    )
    out = []
    for grade in RATING_GRADES:
        total = int(rated_counts.get(grade, 0))
        row = by_grade.loc[grade] if grade in by_grade.index else None
        n = int(row["lines"]) if row is not None else 0
        out.append(
            GradeFigures(
                grade=grade,
                households=total,
                lines=n,
                capped=int(row["capped"]) if row is not None else 0,
                excluded=total - n,
                amount=float(row["amount"]) if row is not None else 0.0,
            )
        )
    return out


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
