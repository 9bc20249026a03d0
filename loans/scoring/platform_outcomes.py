"""Repayment outcomes banks recorded on the platform (`repayment_events`, issue 15 point 5) as
default labels in `label_loans`' outcome shape, so the next model learns from them too."""

from datetime import date

import pandas as pd
from sqlalchemy import select

from models import FinancingNeed, LoanDecision, RepaymentEvent, RepaymentKind, db

from .asof import subject_key
from .labels import LabelRules


def outcome_frame(as_of: date) -> pd.DataFrame:
    """Every event recorded by `as_of` with its loan's subject and start, as plain rows."""
    rows = db.session.execute(
        select(
            RepaymentEvent.decision_id,
            RepaymentEvent.kind,
            RepaymentEvent.occurred_on,
            RepaymentEvent.amount,
            RepaymentEvent.days_overdue,
            FinancingNeed.subject_type,
            FinancingNeed.subject_id,
            LoanDecision.amount.label("approved_amount"),
        )
        .join(LoanDecision, LoanDecision.id == RepaymentEvent.decision_id)
        .join(FinancingNeed, FinancingNeed.id == LoanDecision.need_id)
        .where(RepaymentEvent.occurred_on <= as_of)
    ).all()
    return pd.DataFrame(
        rows,
        columns=[
            "decision_id",
            "kind",
            "occurred_on",
            "amount",
            "days_overdue",
            "subject_type",
            "subject_id",
            "approved_amount",
        ],
    )


def outcome_labels(events: pd.DataFrame, label_date: date, rules: LabelRules) -> pd.DataFrame:
    """Labels in `label_loans`' outcome shape (skey, loan, start_on, amount, default): a
    disbursed loan defaults when, within the window after its disbursement, it was recorded
    in default or at least `rules.overdue_days` overdue. Loans whose window has not ended by
    the label date are left out, as the ledger labels are."""
    columns = ["skey", "loan", "start_on", "amount", "default"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    e = events.assign(occurred_on=pd.to_datetime(events["occurred_on"]))
    start = e[e["kind"] == RepaymentKind.DISBURSED.value].drop_duplicates("decision_id")
    loans = start[["decision_id", "subject_type", "subject_id", "occurred_on"]].rename(
        columns={"occurred_on": "start_on"}
    )
    loans["amount"] = start["amount"].fillna(start["approved_amount"]).astype(float).to_numpy()
    window_end = loans["start_on"] + pd.DateOffset(months=rules.window_months)
    loans = loans[window_end <= pd.Timestamp(label_date)]
    e = e.merge(loans[["decision_id", "start_on"]], on="decision_id")
    inside = e["occurred_on"] <= e["start_on"] + pd.DateOffset(months=rules.window_months)
    bad = (e["kind"] == RepaymentKind.DEFAULT.value) | (
        (e["kind"] == RepaymentKind.OVERDUE.value)
        & (e["days_overdue"].astype(float).fillna(0) >= rules.overdue_days)
    )
    worst = (bad & inside).groupby(e["decision_id"]).max()
    loans["default"] = loans["decision_id"].map(worst).fillna(False).astype("int8")
    loans["skey"] = subject_key(loans["subject_type"], loans["subject_id"])
    loans["loan"] = "platform/" + loans["decision_id"].astype(str)
    return loans[columns].reset_index(drop=True)
