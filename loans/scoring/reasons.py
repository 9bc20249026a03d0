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

from .catalog import BY_COLUMN, FLAG, SOURCE_NAMES, Feature
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
    feature = BY_COLUMN.get(column)
    if feature is None:  # a bank's own CSV column
        return f"{column}为{value}"
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if missing:
        return f"缺少{feature.name}数据（{SOURCE_NAMES.get(feature.source, feature.source)}）"
    if feature.kind == FLAG:
        return feature.sentence if float(value) >= 0.5 else f"未{feature.sentence}"
    return feature.sentence.format(value=format_value(feature, value))


def contributions(model: TrainedModel, frame: pd.DataFrame) -> np.ndarray:
    """(rows, features) log-odds contributions; the bias column dropped."""
    contrib = model.booster.predict(
        model.prepare(frame), pred_contrib=True, num_threads=model.params.get("num_threads", 1)
    )
    return contrib[:, :-1]


def top_reasons(
    model: TrainedModel, frame: pd.DataFrame, raising: int = RAISING, lowering: int = LOWERING
) -> list[list[Reason]]:
    """Per row of `frame`: up to `raising` reasons that raised the risk (largest first),
    then up to `lowering` that lowered it."""
    contrib = contributions(model, frame)
    n, k = contrib.shape
    columns = np.array(model.features)
    up = np.argsort(-contrib, axis=1, kind="stable")[:, :raising]
    down = np.argsort(contrib, axis=1, kind="stable")[:, :lowering]
    factor_points = -model.scale.factor * contrib
    values = frame[model.features]
    out: list[list[Reason]] = []
    for i in range(n):
        row: list[Reason] = []
        for picks, sign in ((up[i], 1), (down[i], -1)):
            for j in picks:
                if sign * contrib[i, j] <= 0:
                    continue
                column = columns[j]
                row.append(
                    Reason(
                        column, sentence(column, values.iat[i, j]), int(round(factor_points[i, j]))
                    )
                )
        out.append(row)
    return out


def score_frame(
    model: TrainedModel, frame: pd.DataFrame, with_reasons: bool = True
) -> pd.DataFrame:
    """Probability, points and (optionally) reasons for every row of a feature frame."""
    probability = model.probability(frame)
    result = pd.DataFrame(
        {
            "probability": probability,
            "points": to_points(probability, model.scale).astype(np.int16),
        },
        index=frame.index,
    )
    if with_reasons:
        result["reasons"] = [[r.to_dict() for r in row] for row in top_reasons(model, frame)]
    return result
