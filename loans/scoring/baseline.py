"""The baseline beside LightGBM: a WOE-binned logistic-regression scorecard (optbinning's
optimal binning per feature, then a logistic regression on the WOE values), fitted on the
same training rows and judged on the same held-out rows."""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from optbinning import BinningProcess
from sklearn.linear_model import LogisticRegression


@contextmanager
def _quiet() -> Iterator[None]:
    # optbinning's summary tables trip pandas deprecation warnings that are not ours.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="optbinning")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning)
        yield


@dataclass
class Baseline:
    binning: BinningProcess
    regression: LogisticRegression
    columns: list[str]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        with _quiet():
            woe = self.binning.transform(_plain(frame[self.columns]), metric="woe")
        return self.regression.predict_proba(woe.to_numpy())[:, 1]


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """optbinning wants object columns for categories, with missing values as NaN."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype) or out[column].dtype == object:
            out[column] = out[column].astype(object).where(out[column].notna(), np.nan)
            out[column] = out[column].map(
                lambda v: v if isinstance(v, str) else (np.nan if v is None or v != v else str(v))
            )
        else:
            out[column] = out[column].astype(np.float64)
    return out


def fit_baseline(frame: pd.DataFrame, y: np.ndarray) -> Baseline:
    columns = [c for c in frame.columns if frame[c].notna().any()]
    plain = _plain(frame[columns])
    categorical = [c for c in columns if plain[c].dtype == object]
    binning = BinningProcess(
        variable_names=columns,
        categorical_variables=categorical,
        max_n_prebins=20,
        min_prebin_size=0.02,
    )
    with _quiet():
        binning.fit(plain, np.asarray(y, dtype=int))
        woe = binning.transform(plain, metric="woe")
    regression = LogisticRegression(max_iter=1000, C=1.0).fit(
        woe.to_numpy(), np.asarray(y, dtype=int)
    )
    return Baseline(binning, regression, columns)
