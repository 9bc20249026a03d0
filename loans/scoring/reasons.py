"""Reasons for a score, from LightGBM's per-feature contributions (`pred_contrib`): the four
features that raised the subject's risk most and the two that lowered it most, each as a
plain Chinese sentence carrying the subject's own value (catalog `sentence`) and the points
it cost or earned.

Contributions are in the model's log-odds of default before calibration; points convert them
with the scorecard factor (−factor·contribution), so they show how much each feature moved
the score, not an exact split of the calibrated points.
"""

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from . import reason_text
from .contributions import contributions as tree_contributions
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


def sentence(column: str, value) -> str:
    """The reason's plain Chinese sentence with the subject's own value (reason_text)."""
    return reason_text.sentence(column, value)


def contributions(model: TrainedModel, frame: pd.DataFrame) -> np.ndarray:
    """(rows, features) log-odds contributions; the bias column dropped."""
    return tree_contributions(model.booster, model.prepare(frame))[0]


def _sentences(column: str, values: np.ndarray) -> np.ndarray:
    """`sentence` for many values of one feature, writing each distinct value once (a
    million subjects' reasons name far fewer distinct values than reasons)."""
    if values.dtype.kind == "f":
        # + 0.0 turns -0.0 into 0.0: the two are one distinct value, and which one came
        # first must not decide the sentence.
        values = values + 0.0
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    texts = np.array(
        [sentence(column, v) for v in uniques] + [sentence(column, np.nan)], dtype=object
    )
    return texts[np.where(codes < 0, len(uniques), codes)]


def _largest(values: np.ndarray, count: int) -> np.ndarray:
    """Column positions of each row's `count` largest values, largest first, the leftmost
    of equal values first (`count` passes of argmax: a partial sort of every row costs
    several times more on a million rows)."""
    count = min(count, values.shape[1])
    work = values.copy()
    rows = np.arange(len(work))
    picks = np.empty((len(work), count), dtype=np.int64)
    for k in range(count):
        picks[:, k] = work.argmax(axis=1)
        work[rows, picks[:, k]] = -np.inf
    return picks


def _feature_values(frame: pd.DataFrame, columns: list[str]) -> list[np.ndarray]:
    """Each column as an array: numbers as float64 (NaN missing), anything else as objects."""
    out = []
    for column in columns:
        values = frame[column]
        if is_numeric_dtype(values.dtype) and not isinstance(values.dtype, pd.CategoricalDtype):
            out.append(values.to_numpy(dtype=np.float64, na_value=np.nan))
        else:
            out.append(values.to_numpy(dtype=object))
    return out


def reason_table(
    model: TrainedModel,
    frame: pd.DataFrame,
    raising: int = RAISING,
    lowering: int = LOWERING,
    contrib: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per row: `raising` slots for the features that raised the risk most (largest first),
    then `lowering` slots for those that lowered it most; each slot has `reason{k}` (the
    sentence, None when fewer features moved the risk that way), `reason{k}_column` and
    `reason{k}_points` (negative: cost the subject points). Vectorised for batch scoring;
    `contrib`: the contributions when the caller has them already."""
    contrib = contributions(model, frame) if contrib is None else contrib
    n, width = contrib.shape
    picks = np.hstack([_largest(contrib, raising), _largest(-contrib, lowering)])
    chosen = np.take_along_axis(contrib, picks, axis=1)
    worth = np.rint(-model.scale.factor * chosen).astype(np.int32)
    # A reason is shown with its points: one that moves the score by less than half a point
    # would read "0分" beside a claim that it raised or lowered the risk, so it is left out.
    valid = np.hstack([chosen[:, :raising] > 0, chosen[:, raising:] < 0]) & (worth != 0)
    values = _feature_values(frame, model.features)
    columns = np.array(model.features, dtype=object)
    out: dict[str, np.ndarray] = {}
    for slot in range(raising + lowering):
        picked = np.where(valid[:, slot], picks[:, slot], width)  # width: an empty slot
        # Rows grouped by the feature they name: one sentence call per feature and slot.
        order = np.argsort(picked, kind="stable")
        counts = np.bincount(picked, minlength=width + 1)
        ends = np.cumsum(counts)
        texts = np.full(n, None, dtype=object)
        for j in np.flatnonzero(counts[:width]):
            rows = order[ends[j] - counts[j] : ends[j]]
            texts[rows] = _sentences(columns[j], values[j][rows])
        out[f"reason{slot + 1}"] = texts
        out[f"reason{slot + 1}_column"] = np.append(columns, None)[picked]
        out[f"reason{slot + 1}_points"] = np.where(valid[:, slot], worth[:, slot], 0)
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


def reason_dicts(table: pd.DataFrame, slots: int = RAISING + LOWERING) -> list[list[dict]]:
    """The reason table as the stored form, `Reason.to_dict()` of each reason, built straight
    from the columns (a county's scores: `asdict` per reason cost seconds)."""
    texts = [table[f"reason{k}"].to_numpy() for k in range(1, slots + 1)]
    columns = [table[f"reason{k}_column"].to_numpy() for k in range(1, slots + 1)]
    worth = [table[f"reason{k}_points"].to_numpy().tolist() for k in range(1, slots + 1)]
    return [
        [
            {"column": columns[k][i], "sentence": texts[k][i], "points": int(worth[k][i])}
            for k in range(slots)
            if isinstance(texts[k][i], str)
        ]
        for i in range(len(table))
    ]


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
    frame. With reasons, the probability comes from the same contributions (TreeSHAP adds
    up to the model's raw score), so the trees are walked once."""
    contrib = None
    if with_reasons:
        contrib, raw = tree_contributions(model.booster, model.prepare(frame))
        sigmoid = float(model.params.get("sigmoid", 1.0))
        probability = model.calibrator.apply(1.0 / (1.0 + np.exp(-sigmoid * raw)))
    else:
        probability = model.probability(frame)
    result = pd.DataFrame(
        {
            "probability": probability,
            "points": to_points(probability, model.scale).astype(np.int16),
        },
        index=frame.index,
    )
    if with_reasons:
        result = pd.concat([result, reason_table(model, frame, contrib=contrib)], axis=1)
    return result
