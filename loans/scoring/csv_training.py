"""Bring your own loan book (issue 14 point 10): any tabular CSV of historical loans, trained
with the same code as the platform's model and judged by stratified k-fold cross-validation,
next to the WOE-logistic baseline on the same folds."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, train_test_split

from . import metrics
from .baseline import fit_baseline
from .training import TrainSettings, fit_booster

# A text column with more distinct values than this share of the rows is an identifier
# (contract number, name), not a category: it is left out.
ID_LIKE_SHARE = 0.5


class LoanBookError(ValueError):
    """The CSV cannot be trained on as asked."""


@dataclass
class LoanBook:
    features: pd.DataFrame
    target: np.ndarray
    dropped: list[str]


def read_loan_book(path: Path | str, target: str, positive: str | None = None) -> LoanBook:
    """Numeric columns stay numbers, text columns become categories, missing values stay
    missing. The target is 1 where it equals `positive`; without it a 0/1 (or true/false)
    column is read as is."""
    frame = pd.read_csv(path, low_memory=False)
    if target not in frame.columns:
        raise LoanBookError(
            f"column {target!r} not in the CSV (columns: {', '.join(frame.columns)})"
        )
    raw = frame.pop(target)
    if raw.isna().any():
        frame, raw = frame[raw.notna()], raw[raw.notna()]
    if positive is not None:
        y = (raw.astype(str).str.strip() == str(positive)).to_numpy(np.int8)
    else:
        values = raw.astype(str).str.strip().str.lower()
        mapping = {"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0, "yes": 1, "no": 0}
        if not values.isin(mapping.keys()).all():
            raise LoanBookError(
                f"target {target!r} is not 0/1; name the defaulting value with --positive "
                f"(values: {', '.join(map(str, raw.unique()[:10]))})"
            )
        y = values.map(mapping).to_numpy(np.int8)
    if y.min() == y.max():
        raise LoanBookError(f"target {target!r} has one class only")
    dropped = []
    for column in list(frame.columns):
        series = frame[column]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            frame[column] = series.astype(np.float64)
        else:
            numeric = pd.to_numeric(series, errors="coerce")
            if numeric.notna().sum() == series.notna().sum() and series.notna().any():
                frame[column] = numeric.astype(np.float64)
            elif series.nunique() > max(ID_LIKE_SHARE * len(series), 50) or series.isna().all():
                dropped.append(column)
                frame = frame.drop(columns=column)
            else:
                frame[column] = series.astype("category")
    frame.columns = [str(c) for c in frame.columns]
    return LoanBook(frame.reset_index(drop=True), y, dropped)


def cross_validate(
    book: LoanBook, folds: int = 5, seed: int = 7, settings: TrainSettings | None = None
) -> dict:
    """Stratified k-fold: each fold's model is fitted by `training.fit_booster` on the other
    folds (a stratified tenth of them stops the boosting) and scored on the fold."""
    settings = settings or TrainSettings()
    X, y = book.features, book.target
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    aucs, kss, base_aucs = [], [], []
    for fit_rows, held_rows in splitter.split(np.zeros(len(y)), y):
        grow, stop = train_test_split(
            fit_rows, test_size=0.1, stratify=y[fit_rows], random_state=seed
        )
        booster = fit_booster(X.iloc[grow], y[grow], X.iloc[stop], y[stop], settings)
        p = booster.predict(X.iloc[held_rows])
        aucs.append(metrics.auc(y[held_rows], p))
        kss.append(metrics.ks(y[held_rows], p))
        if settings.baseline:
            baseline = fit_baseline(X.iloc[fit_rows], y[fit_rows])
            base_aucs.append(metrics.auc(y[held_rows], baseline.predict(X.iloc[held_rows])))
    result = {
        "cv_auc": round(float(np.mean(aucs)), 4),
        "cv_auc_folds": [round(float(a), 4) for a in aucs],
        "cv_ks": round(float(np.mean(kss)), 4),
        "rows": int(len(y)),
        "default_rate": round(float(y.mean()), 4),
        "features": list(X.columns),
        "categorical": [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)],
        "dropped_id_like": book.dropped,
    }
    if base_aucs:
        result["baseline_cv_auc"] = round(float(np.mean(base_aucs)), 4)
        result["baseline_cv_auc_folds"] = [round(float(a), 4) for a in base_aucs]
    return result
