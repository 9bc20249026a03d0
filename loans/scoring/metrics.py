"""Model metrics: AUC, KS, Gini, Brier and the calibration table, in numpy."""

import numpy as np
import pandas as pd
from scipy.stats import rankdata


def auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half); NaN with one class."""
    y = np.asarray(y, dtype=bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def ks(y: np.ndarray, score: np.ndarray) -> float:
    """Kolmogorov-Smirnov: the largest gap between the defaulters' and the others' score
    distributions."""
    y = np.asarray(y, dtype=bool)
    if y.all() or not y.any():
        return float("nan")
    order = np.argsort(-np.asarray(score), kind="stable")
    hits = np.cumsum(y[order]) / y.sum()
    misses = np.cumsum(~y[order]) / (~y).sum()
    return float(np.max(np.abs(hits - misses)))


def brier(y: np.ndarray, probability: np.ndarray) -> float:
    return float(np.mean((np.asarray(probability) - np.asarray(y, dtype=float)) ** 2))


def calibration_table(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Per decile of predicted probability: loans, mean predicted and observed default rate."""
    frame = pd.DataFrame({"y": np.asarray(y, dtype=float), "p": np.asarray(probability)})
    frame["decile"] = pd.qcut(frame["p"].rank(method="first"), bins, labels=False) + 1
    table = frame.groupby("decile").agg(
        loans=("y", "size"), predicted=("p", "mean"), observed=("y", "mean")
    )
    table["gap"] = (table["predicted"] - table["observed"]).abs()
    return table.reset_index()


def summary(y: np.ndarray, probability: np.ndarray) -> dict[str, float | int | list]:
    value = auc(y, probability)
    return {
        "auc": round(value, 4),
        "ks": round(ks(y, probability), 4),
        "gini": round(2 * value - 1, 4),
        "brier": round(brier(y, probability), 5),
        "rows": int(len(y)),
        "default_rate": round(float(np.mean(y)), 4),
        "calibration": calibration_table(y, probability).round(4).to_dict("records"),
    }


def roc_points(y: np.ndarray, score: np.ndarray, points: int = 51) -> list[list[float]]:
    """The ROC curve as [false positive rate, true positive rate] pairs, thinned to about
    `points` evenly spaced thresholds (enough for a chart; the AUC is computed exactly)."""
    y = np.asarray(y, dtype=bool)
    if y.all() or not y.any():
        return []
    order = np.argsort(-np.asarray(score), kind="stable")
    tpr = np.concatenate([[0.0], np.cumsum(y[order]) / y.sum()])
    fpr = np.concatenate([[0.0], np.cumsum(~y[order]) / (~y).sum()])
    keep = np.unique(np.linspace(0, len(tpr) - 1, points).round().astype(int))
    return [[round(float(fpr[i]), 4), round(float(tpr[i]), 4)] for i in keep]


# Score bands of the report: lower edges in points (the scale runs 300-900).
BAND_EDGES = (300, 500, 550, 600, 650, 700, 750)


def band_table(
    y: np.ndarray, points: np.ndarray, edges: tuple[int, ...] = BAND_EDGES
) -> list[dict]:
    """Loans and observed default rate per score band (each band from its edge up to the
    next); empty bands are left out."""
    frame = pd.DataFrame({"y": np.asarray(y, dtype=float), "points": np.asarray(points)})
    frame["band"] = np.searchsorted(np.asarray(edges), frame["points"], side="right") - 1
    table = frame.groupby("band").agg(loans=("y", "size"), observed=("y", "mean"))
    return [
        {
            "band": f"{edges[b]}–{edges[b + 1] - 1}" if b + 1 < len(edges) else f"≥{edges[b]}",
            "loans": int(row.loans),
            "observed": round(float(row.observed), 4),
        }
        for b, row in table.iterrows()
    ]


def group_table(
    y: np.ndarray, probability: np.ndarray, points: np.ndarray, labels: np.ndarray
) -> dict[str, dict]:
    """Per group label: loans, AUC (NaN with one class), observed default rate, mean
    predicted probability and mean points."""
    labels = np.asarray(labels).astype(str)
    out = {}
    for value in pd.unique(labels):
        mask = labels == value
        out[str(value)] = {
            "rows": int(mask.sum()),
            "auc": finite(auc(y[mask], probability[mask])),
            "default_rate": round(float(np.mean(y[mask])), 4),
            "predicted": round(float(np.mean(probability[mask])), 4),
            "points_mean": round(float(np.mean(points[mask])), 1),
        }
    return out


def finite(value: float, digits: int = 4) -> float | None:
    """Rounded, or None where undefined (JSON columns on PostgreSQL refuse NaN)."""
    return None if value is None or np.isnan(value) else round(float(value), digits)
