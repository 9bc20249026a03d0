"""Population stability (PSI) of the score and of the most important features between the
training data and today's population, with the usual warning levels: below 0.10 stable,
0.10–0.25 watch, above 0.25 shifted."""

import numpy as np
import pandas as pd

from models import N_

WATCH, SHIFTED = 0.10, 0.25
EPS = 1e-4


def reference(values: pd.Series, bins: int = 10) -> dict:
    """Bin edges (deciles) and shares of a numeric column, or level shares of a category;
    missing values are a bin of their own. Kept with the model."""
    if isinstance(values.dtype, pd.CategoricalDtype) or values.dtype == object:
        shares = values.astype(object).fillna("<缺失>").value_counts(normalize=True)
        return {"kind": "category", "levels": {str(k): float(v) for k, v in shares.items()}}
    numbers = values.astype(np.float64)
    present = numbers.dropna()
    edges = (
        np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1])) if len(present) else []
    )
    return {
        "kind": "number",
        "edges": [float(e) for e in edges],
        "shares": _number_shares(numbers, np.asarray(edges)).tolist(),
    }


def _number_shares(numbers: pd.Series, edges: np.ndarray) -> np.ndarray:
    values = numbers.to_numpy(np.float64)
    missing = np.isnan(values)
    counts = np.bincount(
        np.searchsorted(edges, values[~missing], side="right"), minlength=len(edges) + 1
    )
    counts = np.append(counts, missing.sum()).astype(np.float64)
    return counts / max(len(values), 1)


def psi(ref: dict, values: pd.Series) -> float:
    if ref["kind"] == "category":
        now = values.astype(object).fillna("<缺失>").value_counts(normalize=True)
        levels = set(ref["levels"]) | {str(k) for k in now.index}
        expected = np.array([ref["levels"].get(k, 0.0) for k in sorted(levels)])
        actual = np.array([float(now.get(k, 0.0)) for k in sorted(levels)])
    else:
        expected = np.asarray(ref["shares"])
        actual = _number_shares(values.astype(np.float64), np.asarray(ref["edges"]))
    expected, actual = np.clip(expected, EPS, None), np.clip(actual, EPS, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def level(value: float) -> str:
    return N_("偏移") if value > SHIFTED else (N_("关注") if value > WATCH else N_("稳定"))


def stability_report(references: dict[str, dict], today: pd.DataFrame) -> dict[str, dict]:
    """PSI and level for every column that has a reference (the score as `points`)."""
    return {
        column: {"psi": round(value, 4), "level": level(value)}
        for column, ref in references.items()
        if column in today.columns
        for value in [psi(ref, today[column])]
    }
