"""Reasons for a score, from LightGBM's per-feature contributions (`pred_contrib`): the four
features that raised the subject's risk most and the two that lowered it most, each as a
plain Chinese sentence carrying the subject's own value (catalog `sentence`) and the points
it cost or earned.

Contributions are in the model's log-odds of default before calibration; points convert them
with the scorecard factor (−factor·contribution), so they show how much each feature moved
the score, not an exact split of the calibrated points.
"""

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from . import reason_text
from .catalog import Feature
from .scorecard import points as to_points
from .training import TrainedModel

RAISING, LOWERING = 4, 2


@dataclass(frozen=True)
class Reason:
    column: str
    sentence: str
    points: int  # negative: cost the subject points (raised the risk)

    def to_dict(self) -> dict:
        return asdict(self)


def format_value(feature: Feature, value) -> str:
    if isinstance(value, float) and math.isnan(value):
        return ""
    if not isinstance(value, int | float | np.floating | np.integer):
        return str(value)
    value = float(value)
    if feature.unit == "元":
        return f"{value:,.0f}"
    if feature.unit in ("比率", "对数比", "变异系数"):
        return f"{value:.2f}"
    if feature.unit == "年":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def sentence(column: str, value) -> str:
    """The reason's plain Chinese sentence with the subject's own value (reason_text)."""
    return reason_text.sentence(column, value)


def contributions(model: TrainedModel, frame: pd.DataFrame) -> np.ndarray:
    """(rows, features) log-odds contributions; the bias column dropped."""
    contrib = model.booster.predict(
        model.prepare(frame), pred_contrib=True, num_threads=model.params.get("num_threads", 1)
    )
    return contrib[:, :-1]


def _sentences(column: str, values: pd.Series) -> np.ndarray:
    """`sentence` for many values of one feature, formatting each distinct value once."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    texts = np.array(
        [sentence(column, v) for v in uniques] + [sentence(column, np.nan)], dtype=object
    )
    return texts[np.where(codes < 0, len(uniques), codes)]


def _largest(values: np.ndarray, count: int) -> np.ndarray:
    """Column positions of each row's `count` largest values, largest first (a partial
    sort: a full argsort of every row costs seconds on a million rows)."""
    count = min(count, values.shape[1])
    part = np.argpartition(-values, count - 1, axis=1)[:, :count]
    order = np.argsort(-np.take_along_axis(values, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def reason_table(
    model: TrainedModel, frame: pd.DataFrame, raising: int = RAISING, lowering: int = LOWERING
) -> pd.DataFrame:
    """Per row: `raising` slots for the features that raised the risk most (largest first),
    then `lowering` slots for those that lowered it most; each slot has `reason{k}` (the
    sentence, None when fewer features moved the risk that way), `reason{k}_column` and
    `reason{k}_points` (negative: cost the subject points). Vectorised for batch scoring."""
    contrib = contributions(model, frame)
    n = len(contrib)
    picks = np.hstack([_largest(contrib, raising), _largest(-contrib, lowering)])
    chosen = np.take_along_axis(contrib, picks, axis=1)
    valid = np.hstack([chosen[:, :raising] > 0, chosen[:, raising:] < 0])
    worth = np.rint(-model.scale.factor * chosen).astype(np.int32)
    values = frame[model.features]
    columns = np.array(model.features, dtype=object)
    out: dict[str, np.ndarray] = {}
    for slot in range(raising + lowering):
        picked, ok = picks[:, slot], valid[:, slot]
        texts = np.full(n, None, dtype=object)
        for j in np.unique(picked[ok]):
            rows = np.flatnonzero(ok & (picked == j))
            texts[rows] = _sentences(columns[j], values.iloc[rows, j])
        out[f"reason{slot + 1}"] = texts
        out[f"reason{slot + 1}_column"] = np.where(ok, columns[picked], None)
        out[f"reason{slot + 1}_points"] = np.where(ok, worth[:, slot], 0)
    return pd.DataFrame(out, index=frame.index)


def reasons_of(table: pd.DataFrame, slots: int = RAISING + LOWERING) -> list[list[Reason]]:
    """The reason table as lists of `Reason` (for storing and showing a few rows)."""
    rows: list[list[Reason]] = []
    texts = [table[f"reason{k}"].to_numpy() for k in range(1, slots + 1)]
    columns = [table[f"reason{k}_column"].to_numpy() for k in range(1, slots + 1)]
    worth = [table[f"reason{k}_points"].to_numpy() for k in range(1, slots + 1)]
    for i in range(len(table)):
        rows.append(
            [
                Reason(columns[k][i], texts[k][i], int(worth[k][i]))
                for k in range(slots)
                # An empty slot reads None, or NaN once pandas has made the column strings.
                if isinstance(texts[k][i], str)
            ]
        )
    return rows


def top_reasons(
    model: TrainedModel, frame: pd.DataFrame, raising: int = RAISING, lowering: int = LOWERING
) -> list[list[Reason]]:
    """Per row of `frame`: up to `raising` reasons that raised the risk (largest first),
    then up to `lowering` that lowered it."""
    return reasons_of(reason_table(model, frame, raising, lowering), raising + lowering)


def score_frame(
    model: TrainedModel, frame: pd.DataFrame, with_reasons: bool = True
) -> pd.DataFrame:
    """Probability, points and (optionally) the reason table for every row of a feature
    frame."""
    probability = model.probability(frame)
    result = pd.DataFrame(
        {
            "probability": probability,
            "points": to_points(probability, model.scale).astype(np.int16),
        },
        index=frame.index,
    )
    if with_reasons:
        result = pd.concat([result, reason_table(model, frame)], axis=1)
    return result
