"""The one small interface the rest of the platform reads scores through.

Matching, the officer's queue, the portrait and the file pages ask here for each subject's
latest stored score (the newest as-of date, then the newest row), whatever model made it.
Before any model is trained there is none, and callers show 「暂无评分」 instead of a number.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from models import CreditScore, db

NO_SCORE = "暂无评分"  # shown where a subject has no stored score (marked for babel by callers)
COLUMNS = ["subject_id", "points", "probability", "model_version", "as_of", "reasons"]


@dataclass(frozen=True)
class CurrentScore:
    points: int
    probability: float
    model_version: int
    as_of: date
    reasons: list[dict[str, Any]]


def _latest(subject_type: str, subject_ids: Sequence[int] | None):
    rank = (
        func.row_number()
        .over(
            partition_by=CreditScore.subject_id,
            order_by=(CreditScore.as_of.desc(), CreditScore.id.desc()),
        )
        .label("rank")
    )
    inner = select(
        CreditScore.subject_id,
        CreditScore.points,
        CreditScore.probability,
        CreditScore.model_id.label("model_version"),
        CreditScore.as_of,
        CreditScore.reasons,
        rank,
    ).where(CreditScore.subject_type == subject_type)
    if subject_ids is not None:
        inner = inner.where(CreditScore.subject_id.in_([int(i) for i in subject_ids]))
    latest = inner.subquery()
    return select(*(latest.c[name] for name in COLUMNS)).where(latest.c.rank == 1)


def current_scores(subject_type: str, subject_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """Latest score per subject of one type (all subjects of the type when `subject_ids` is
    None), indexed by subject_id; subjects without a score are absent."""
    rows = db.session.execute(_latest(subject_type, subject_ids)).all()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.set_index("subject_id")


def current_score(subject_type: str, subject_id: int) -> CurrentScore | None:
    """One subject's latest score, or None before any model has scored it."""
    row = db.session.execute(_latest(subject_type, [subject_id])).first()
    if row is None:
        return None
    return CurrentScore(
        points=int(row.points),
        probability=float(row.probability),
        model_version=int(row.model_version),
        as_of=row.as_of,
        reasons=list(row.reasons or []),
    )
