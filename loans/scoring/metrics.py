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
