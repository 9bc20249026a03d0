"""Labels from the loan ledgers: a loan defaults when, within the window after its start
(12 months by default), it reaches 90+ days overdue or a 次级/可疑/损失 classification.

Loan records are versioned by batch, so a loan's label is the worst state any version
reported inside the window: a later version saying the loan recovered does not clear it. A
version reported after the window counts when its days overdue show the 90 days were
reached inside it. Loans whose window has not ended by the label date are unlabelled.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class LabelRules:
    window_months: int = 12
    overdue_days: int = 90
    bad_statuses: tuple[str, ...] = ("substandard", "doubtful", "loss")


def label_loans(
    versions: pd.DataFrame,
    label_date: pd.Timestamp,
    rules: LabelRules = LabelRules(),
    outcomes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per labelled loan: skey, loan, start_on, amount, default (0/1) and
    features_as_of (the last day of the month before the start: the features a lender had).

    `versions`: store.loan_versions. `outcomes` (skey, loan, start_on, amount, default):
    repayment outcomes banks recorded on the platform, merged into the same table (a loan in
    both defaults if either says so)."""
    label_date = pd.Timestamp(label_date)
    v = versions.sort_values(["skey", "loan", "visible_from"], kind="stable")
    loans = v.groupby(["skey", "loan"], as_index=False).agg(
        start_on=("start_on", "first"), amount=("amount", "last")
    )
    v = v.merge(loans[["skey", "loan"]].assign(start=loans["start_on"]), on=["skey", "loan"])
    window_end = v["start"] + pd.DateOffset(months=rules.window_months)
    days = v["days_overdue"].astype(np.float64).fillna(0)
    reached_on = v["reported_on"] - pd.to_timedelta(days - rules.overdue_days, unit="D")
    bad = (
        v["status"].isin(rules.bad_statuses)
        & (v["reported_on"] <= window_end)
        & (v["reported_on"] >= v["start"])
    ) | ((days >= rules.overdue_days) & (reached_on <= window_end))
    worst = bad.groupby([v["skey"], v["loan"]]).max().rename("default").reset_index()
    loans = loans.merge(worst, on=["skey", "loan"])
    loans["default"] = loans["default"].astype(np.int8)
    if outcomes is not None and len(outcomes):
        loans = (
            pd.concat([loans, outcomes[loans.columns]], ignore_index=True)
            .groupby(["skey", "loan"], as_index=False)
            .agg(
                start_on=("start_on", "first"),
                amount=("amount", "last"),
                default=("default", "max"),
            )
        )
    ended = loans["start_on"] + pd.DateOffset(months=rules.window_months)
    loans = loans[(ended <= label_date).to_numpy()].reset_index(drop=True)
    loans["features_as_of"] = features_date(loans["start_on"])
    return loans


def features_date(start_on: pd.Series) -> pd.Series:
    """The last day of the month before each start: what a lender could know at start."""
    return (start_on.dt.to_period("M").dt.start_time - pd.Timedelta(days=1)).astype("datetime64[s]")
