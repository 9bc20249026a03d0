"""Features as of a date for many (subject, date) requests at once, from the source frames
`store.load_sources` reads. Pure: no database, no Flask."""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .catalog import FEATURES, THIN_FLAG_SOURCES, assert_no_protected, categorical_columns
from .features_file import file_features
from .features_loans import past_loan_features
from .features_provident_fund import provident_fund_features
from .features_public_records import public_record_features
from .features_social_insurance import social_insurance_features
from .features_tax import tax_features
from .features_utilities import utility_features


@dataclass
class Sources:
    """Every source frame, in the layouts the feature modules document."""

    files: pd.DataFrame
    evaluations: pd.DataFrame
    ratings: pd.DataFrame
    tax: pd.DataFrame
    social_insurance: pd.DataFrame
    provident_fund: pd.DataFrame
    utilities: pd.DataFrame
    public_records: pd.DataFrame
    loans: pd.DataFrame
    # Sources a department had sent by the date, whoever the rows are about (None: judged
    # from the frames). A subject without public records or loans then has zero of them.
    known_sources: frozenset[str] | None = None

    def known(self, source: str) -> bool | None:
        return None if self.known_sources is None else source in self.known_sources


def build_features(sources: Sources, requests: pd.DataFrame) -> pd.DataFrame:
    """One row per request (same order), one column per catalog feature. Missing values stay
    NaN; categorical features are pandas categoricals."""
    requests = requests.reset_index(drop=True)
    parts = [
        file_features(sources.files, sources.evaluations, sources.ratings, requests),
        tax_features(sources.tax, requests),
        social_insurance_features(sources.social_insurance, requests),
        provident_fund_features(sources.provident_fund, requests),
        utility_features(sources.utilities, requests),
        public_record_features(sources.public_records, requests, sources.known("public_record")),
        past_loan_features(sources.loans, requests, sources.known("bank_loan")),
    ]
    frame = pd.concat([p.reset_index(drop=True) for p in parts], axis=1)
    thin = [f"thin_{s}" for s in THIN_FLAG_SOURCES]
    frame["thin_file_sources"] = frame[thin].sum(axis=1).astype(np.float64)
    columns = [f.column for f in FEATURES]
    assert_no_protected(columns)
    frame = frame[columns]
    for column in categorical_columns():
        frame[column] = frame[column].astype("category")
    return frame
