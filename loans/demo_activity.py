"""信易贷 in the demo county, after matching and scoring: a year of banks' work on the needs —
claims (抢单), decisions in every state (approved with amount, rate and term; rejected with a
reason, some asking for a human review; more material asked), disbursements and repayment
events (on time, overdue, default, repaid early, settled) — so that the officers' pages and
the statistics show something; and a bank API token for `officer`'s bank, whose secret goes
to `instance/demo_api_token.txt` (shown once: only its hash is stored).

Built as DataFrames from matched, authorised (need, bank) pairs and inserted in bulk; the
needs it acts on are back-dated over the last twelve months.

`seed_loan_activity` runs after `seed_scores` (a demo step registered by app.py)."""

import os
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import bindparam, func, insert, select, text, update

from models import (
    NEED_APPROVED,
    Authorisation,
    FinancingNeed,
    LoanDecision,
    LoanProduct,
    MatchResult,
    NeedClaim,
    RepaymentEvent,
    ScoreModel,
    User,
    clock,
    db,
)

from .api.tokens import SCOPES, create_token

TOKEN_FILE = "demo_api_token.txt"
TOKEN_OFFICER = "officer"
# Share of the acted-on pairs in each end state.
OUTCOMES = np.array(["approved", "rejected", "more_material", "claimed"], dtype=object)
OUTCOME_SHARES = [0.58, 0.24, 0.09, 0.09]
REASONS = np.array(
    [
        "insufficient_income",
        "high_debt",
        "credit_record",
        "purpose",
        "collateral",
        "outside_policy",
    ],
    dtype=object,
)
REASON_TEXT = {
    "insufficient_income": "经营收入不足以覆盖月供",
    "high_debt": "现有负债较高，建议先压降他行借款",
    "credit_record": "近两年有逾期记录",
    "purpose": "资金用途说明不清",
    "collateral": "申请金额超出信用额度，需追加担保",
    "outside_policy": "所在行业暂不在本行支持范围",
}
# What happened to an approved loan since.
PATHS = np.array(["performing", "overdue", "default", "settled", "early", "pending"], dtype=object)
PATH_SHARES = [0.62, 0.12, 0.05, 0.1, 0.06, 0.05]


def seed_loan_activity(seed: int, today: date) -> dict[str, int | str]:
    """Claims, decisions and outcomes on the demo's matched needs, and the demo API token."""
    started = time.perf_counter()
    db.session.commit()  # matching runs on what the earlier steps wrote
    matched = time.perf_counter()
    rng = np.random.default_rng([seed, 15, 2])
    now, day = clock.utcnow(), clock.today()
    pairs = _acted_pairs(rng, now)
    if pairs.empty:
        return {"decisions": 0}
    pairs = _dated(rng, pairs, now)
    _backdate_needs(pairs)
    claims = _claims(pairs, day)
    decisions = _decisions(rng, pairs)
    events = _events(rng, decisions, day)
    token_path = _demo_token()
    return {
        "claims": len(claims),
        "decisions": len(decisions),
        "approved": int((decisions["outcome"] == "approved").sum()),
        "repayment_events": len(events),
        "api_token": str(token_path) if token_path else "officer not found",
        "seconds": round(time.perf_counter() - matched, 1),
        "matching_seconds": round(matched - started, 1),
    }


def _tuples(query) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(query)]


def _acted_pairs(rng: np.random.Generator, now: datetime) -> pd.DataFrame:
    """About half of the open needs that a bank could act on (matched to its listed product,
    the subject authorising it now), one bank each."""
    rows = _tuples(
        select(
            MatchResult.need_id,
            MatchResult.bank_id,
            MatchResult.product_id,
            MatchResult.score_points,
            FinancingNeed.subject_type,
            FinancingNeed.subject_id,
            FinancingNeed.amount,
            FinancingNeed.term_months,
        )
        .join(FinancingNeed, FinancingNeed.id == MatchResult.need_id)
        .where(
            MatchResult.bank_rank == 1,
            FinancingNeed.status == "open",
            select(Authorisation.id)
            .where(
                Authorisation.bank_id == MatchResult.bank_id,
                Authorisation.subject_type == FinancingNeed.subject_type,
                Authorisation.subject_id == FinancingNeed.subject_id,
                Authorisation.revoked_at.is_(None),
                Authorisation.expires_at > now,
            )
            .exists(),
        )
        .order_by(MatchResult.need_id, MatchResult.bank_id)
    )
    pairs = pd.DataFrame(
        rows,
        columns=[
            "need_id",
            "bank_id",
            "product_id",
            "score_points",
            "subject_type",
            "subject_id",
            "amount",
            "term_months",
        ],
    )
    pairs = pairs.sample(frac=1.0, random_state=rng.integers(1 << 31)).drop_duplicates("need_id")
    pairs = pairs.sort_values("need_id").reset_index(drop=True)
    pairs = pairs[rng.random(len(pairs)) < 0.8].reset_index(drop=True)
    products = pd.DataFrame(
        _tuples(
            select(
                LoanProduct.id,
                LoanProduct.amount_min,
                LoanProduct.amount_max,
                LoanProduct.term_min_months,
                LoanProduct.term_max_months,
                LoanProduct.rate_min,
                LoanProduct.rate_max,
            ).where(LoanProduct.id.in_(pairs["product_id"].astype(int).tolist() or [0]))
        ),
        columns=[
            "product_id",
            "amount_min",
            "amount_max",
            "term_min",
            "term_max",
            "rate_min",
            "rate_max",
        ],
    )
    officers = pd.DataFrame(
        _tuples(
            select(User.bank_id, func.min(User.id))
            .where(User.bank_id.is_not(None))
            .group_by(User.bank_id)
        ),
        columns=["bank_id", "officer_id"],
    )
    return pairs.merge(products, on="product_id").merge(officers, on="bank_id")


def _dated(rng: np.random.Generator, pairs: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Each pair's end state and its dates: decided needs were posted over the last year
    (more of them lately), decided 1–20 days after posting; needs still held by a claim were
    posted in the last week."""
    n = len(pairs)
    outcome = rng.choice(OUTCOMES, size=n, p=OUTCOME_SHARES)
    decided = np.isin(outcome, ["approved", "rejected"])
    age_days = np.where(decided, 20 + 345 * rng.power(0.7, n), rng.uniform(2, 6, n))
    posted = (pd.Timestamp(now) - pd.to_timedelta(age_days, unit="D")).floor("s")
    claim_after = pd.to_timedelta(rng.uniform(0.2, 1.5, n), unit="D").floor("s")
    decide_after = pd.to_timedelta(
        np.where(decided, rng.uniform(1, 20, n), rng.uniform(1.6, 2, n)), unit="D"
    ).floor("s")
    return pairs.assign(
        outcome=outcome,
        posted_at=posted,
        claimed_at=posted + claim_after,
        decided_at=(posted + decide_after).where(outcome != "claimed"),
    )


def _backdate_needs(pairs: pd.DataFrame) -> None:
    """The needs, their authorisations of the bank and their first match move back to when
    the story says they happened; approved needs leave the pool."""
    rows = [
        {
            "b_id": int(r.need_id),
            "b_at": r.posted_at.to_pydatetime(),
            "b_matched": (r.posted_at + pd.Timedelta(minutes=5)).to_pydatetime(),
            "b_status": NEED_APPROVED if r.outcome == "approved" else "open",
        }
        for r in pairs.itertuples(index=False)
    ]
    table = FinancingNeed.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            created_at=bindparam("b_at"),
            updated_at=bindparam("b_at"),
            first_matched_at=bindparam("b_matched"),
            status=bindparam("b_status"),
        ),
        rows,
        execution_options={"synchronize_session": False},
    )
    grants = Authorisation.__table__
    db.session.execute(
        update(grants)
        .where(
            grants.c.bank_id == bindparam("b_bank"),
            grants.c.subject_type == bindparam("b_type"),
            grants.c.subject_id == bindparam("b_subject"),
        )
        .values(granted_at=bindparam("b_at")),
        [
            {
                "b_bank": int(r.bank_id),
                "b_type": r.subject_type,
                "b_subject": int(r.subject_id),
                "b_at": (r.posted_at + pd.Timedelta(hours=1)).to_pydatetime(),
            }
            for r in pairs.itertuples(index=False)
        ],
        execution_options={"synchronize_session": False},
    )


def _claims(pairs: pd.DataFrame, day: date) -> pd.DataFrame:
    """One claim row per need: released when approved or rejected, still held otherwise."""
    held_until = pd.Timestamp(clock.utc_start_of(day + timedelta(days=4)))
    claims = pd.DataFrame(
        {
            "need_id": pairs["need_id"].astype(int),
            "bank_id": pairs["bank_id"].astype(int),
            "officer_id": pairs["officer_id"].astype(int),
            "product_id": pairs["product_id"].astype(int),
            "claimed_at": pairs["claimed_at"],
            "claimed_until": (pairs["claimed_at"] + pd.Timedelta(days=3)).where(
                pairs["outcome"].isin(["approved", "rejected"]), held_until
            ),
            "released_at": pairs["decided_at"].where(
                pairs["outcome"].isin(["approved", "rejected"])
            ),
        }
    )
    _insert(NeedClaim, claims)
    return claims


def _decisions(rng: np.random.Generator, pairs: pd.DataFrame) -> pd.DataFrame:
    made = pairs[pairs["outcome"] != "claimed"].reset_index(drop=True)
    n = len(made)
    approved = (made["outcome"] == "approved").to_numpy()
    rejected = (made["outcome"] == "rejected").to_numpy()
    lo, hi = made["amount_min"].astype(float), made["amount_max"].astype(float)
    asked = made["amount"].astype(float)
    amount = np.round((asked * rng.uniform(0.6, 1.0, n)).clip(lo, hi), -3).clip(lo, hi)
    rate = made["rate_min"].astype(float) + rng.uniform(0, 1, n) * (
        made["rate_max"].astype(float) - made["rate_min"].astype(float)
    )
    term = made["term_months"].clip(made["term_min"], made["term_max"]).astype(int)
    reason = rng.choice(REASONS, size=n)
    model = db.session.scalar(select(func.max(ScoreModel.id)))
    points = made["score_points"]
    start = int(db.session.scalar(select(func.coalesce(func.max(LoanDecision.id), 0)))) + 1
    frame = pd.DataFrame(
        {
            "id": np.arange(start, start + n),
            "need_id": made["need_id"].astype(int),
            "bank_id": made["bank_id"].astype(int),
            "product_id": made["product_id"].astype(int),
            "officer_id": made["officer_id"].astype(int),
            "outcome": made["outcome"],
            "amount": np.where(approved, amount, np.nan),
            "rate": np.where(approved, np.round(rate, 2), np.nan),
            "term_months": pd.Series(np.where(approved, term, 0)).astype("Int64").where(approved),
            "reason_code": np.where(rejected, reason, None),
            "reason_text": [
                REASON_TEXT[r]
                if j
                else ("请补充近六个月银行流水和购销合同" if o == "more_material" else "")
                for r, j, o in zip(reason, rejected, made["outcome"], strict=True)
            ],
            "score_points": points.astype("Int64") if points.notna().any() else None,
            "score_model_version": model if points.notna().any() else None,
            "decided_at": made["decided_at"],
            "review_requested_at": (made["decided_at"] + pd.Timedelta(days=2)).where(
                pd.Series(rejected & (rng.random(n) < 0.3))
            ),
            "review_note": "",
        }
    )
    frame.loc[frame["review_requested_at"].notna(), "review_note"] = (
        "本人近期已还清他行借款，请求人工复核"
    )
    frame["score_model_version"] = frame["score_model_version"].where(frame["score_points"].notna())
    _insert(LoanDecision, frame)
    if db.session.get_bind().dialect.name == "postgresql":  # ids were given: move the sequence
        db.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('loan_decisions', 'id'), "
                "(SELECT COALESCE(MAX(id), 0) + 1 FROM loan_decisions), false)"
            )
        )
    return frame


def _events(rng: np.random.Generator, decisions: pd.DataFrame, day: date) -> pd.DataFrame:
    """Disbursement a few days after approval, then monthly repayments until today along
    each loan's path: performing, overdue now, defaulted, settled, repaid early, or not yet
    disbursed."""
    loans = decisions[decisions["outcome"] == "approved"].reset_index(drop=True)
    n = len(loans)
    path = rng.choice(PATHS, size=n, p=PATH_SHARES)
    disbursed = (
        pd.to_datetime(loans["decided_at"]).dt.normalize()
        + pd.to_timedelta(rng.integers(1, 6, n), unit="D")
    ).dt.date
    today = pd.Timestamp(day)
    officer = loans["officer_id"].to_numpy()
    events: list[dict] = []
    for i in range(n):  # one loan's short story: a handful of rows, built from arrays
        start = pd.Timestamp(disbursed[i])
        if path[i] == "pending" or start > today:
            continue
        common = {"decision_id": int(loans.at[i, "id"]), "recorded_by_id": int(officer[i])}
        events.append(
            {
                **common,
                "kind": "disbursed",
                "occurred_on": start.date(),
                "amount": float(loans.at[i, "amount"]),
            }
        )
        months = pd.date_range(start + pd.DateOffset(months=1), today, freq=pd.DateOffset(months=1))
        term = int(loans.at[i, "term_months"])
        due = months[: max(0, term)]
        if path[i] == "overdue" and len(due) >= 2:
            events += [{**common, "kind": "on_time", "occurred_on": m.date()} for m in due[:-1]]
            events.append(
                {
                    **common,
                    "kind": "overdue",
                    "occurred_on": due[-1].date(),
                    "days_overdue": int(rng.integers(15, 75)),
                }
            )
            continue
        if path[i] == "default" and len(due) >= 2:
            k = len(due) // 2
            events += [{**common, "kind": "on_time", "occurred_on": m.date()} for m in due[:k]]
            events.append(
                {**common, "kind": "overdue", "occurred_on": due[k].date(), "days_overdue": 95}
            )
            gone = min(due[k] + pd.Timedelta(days=95), today)
            events.append({**common, "kind": "default", "occurred_on": gone.date()})
            continue
        events += [{**common, "kind": "on_time", "occurred_on": m.date()} for m in due]
        if path[i] == "early" and len(due) >= 1:
            events.append(
                {
                    **common,
                    "kind": "repaid_early",
                    "occurred_on": due[-1].date(),
                    "amount": float(loans.at[i, "amount"]),
                }
            )
            events.append({**common, "kind": "settled", "occurred_on": due[-1].date()})
        elif path[i] == "settled" and len(due) >= 1 and len(due) >= term:
            events.append({**common, "kind": "settled", "occurred_on": due[-1].date()})
    frame = pd.DataFrame(events)
    if not frame.empty:
        frame = frame.reindex(
            columns=[
                "decision_id",
                "kind",
                "occurred_on",
                "amount",
                "days_overdue",
                "note",
                "recorded_by_id",
                "recorded_at",
            ]
        )
        frame["note"] = ""
        frame["recorded_at"] = clock.utcnow()
        frame["days_overdue"] = frame["days_overdue"].astype("Int64")
        _insert(RepaymentEvent, frame)
    return frame


def _insert(model, frame: pd.DataFrame) -> None:
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    for start in range(0, len(rows), 5_000):
        db.session.execute(insert(model.__table__), rows[start : start + 5_000])


def token_path() -> Path:
    return Path(current_app.instance_path) / TOKEN_FILE


def _demo_token() -> Path | None:
    """A bank API token of `officer`'s bank with every scope; its secret (shown once, never
    stored by the platform) is written to the instance folder, readable by its owner only."""
    officer = db.session.scalar(select(User).where(User.username == TOKEN_OFFICER))
    if officer is None or officer.bank_id is None:
        return None
    made = create_token(officer, "演示：本行信贷系统", list(SCOPES))
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(made.secret + "\n")
    return path
