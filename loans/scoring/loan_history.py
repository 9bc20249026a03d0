"""A county's past, written into the database with a known truth: monthly electricity bills
and yearly tax rows imported by backdated monthly batches (each dated the 5th of the
following month), and loans whose ledger versions arrive the same way.

Each loan's outcome is drawn from a default probability computed from what the platform can
observe as of the loan's start (the features' as-of date): late bills and the consumption
trend over the visible months (late bills weigh twice when consumption falls), the latest visible 纳税信用等级, and, when the subject's file
already existed then, its debt ratio, years operating and the latest visible 村评议.
Non-linear, with interactions. The probability is returned to the caller (`truth`), never
written to a table.

Used by the synthetic county of the tests and the benchmark, and by `seed-demo` for the demo
county's own subjects (`demo_history`).
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, text

from models import BatchStatus, ImportBatch, LoanRecord, TaxRecord, User, UtilityRecord, db

from .asof import ENTERPRISE, HOUSEHOLD

GRADES = np.array(["A", "B", "M", "C", "D"])
EVALUATIONS = np.array(["优秀", "较好", "一般", "差"])
# Subjects frame the writer takes: one row per subject.
SUBJECT_COLUMNS = (
    "skey",  # asof.subject_key
    "kind",  # household / entity / enterprise
    "key_id",  # subject_keys.id its departmental rows hang on
    "assets",  # scale of bills, tax and loan amounts (yuan)
    "debt_ratio",  # the file's debts / assets (NaN: unknown)
    "founded",  # datetime64, NaT for households
    "evaluation",  # latest 村评议 as 0-3 (优秀..差), -1 none
    "evaluation_from",  # datetime64: the day that 村评议 became visible
    "file_from",  # datetime64: the day the file was created (its figures visible from)
)  # optional: "bill_level", the mean monthly kWh the history's bills are drawn around


def import_moment(year: int, month: int, zone: str) -> datetime:
    """The 5th of the month after (year, month), 10:00 local, as naive UTC."""
    y, m = (year + 1, 1) if month == 12 else (year, month + 1)
    local = datetime.combine(date(y, m, 5), time(10), tzinfo=ZoneInfo(zone))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _month_end(year: int, month: int) -> date:
    return (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)).date()


def bulk_insert(model, rows: list[dict] | pd.DataFrame) -> None:
    # A frame's rows all have its columns: a Core insert on the table, the same executemany
    # without the ORM's bulk-persistence bookkeeping per row (most of seed-demo's loan-history
    # time). Dicts may differ in their keys (a subject key with or without an ID number),
    # which only the ORM's bulk insert groups.
    statement = insert(model)
    if isinstance(rows, pd.DataFrame):
        rows, statement = rows.to_dict("records"), insert(model.__table__)
    for start in range(0, len(rows), 20_000):
        db.session.execute(statement, rows[start : start + 20_000])


def sync_ids(*models) -> None:
    """Rows were inserted with explicit ids: move PostgreSQL's sequences past them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


def _next_id(model) -> int:
    return int(db.session.scalar(select(db.func.coalesce(db.func.max(model.id), 0)))) + 1


def write_history(
    user: User,
    as_of: date,
    subjects: pd.DataFrame,
    *,
    months: int = 48,
    records_gap: int = 0,
    loans_per_subject: float = 1.4,
    last_tax_year: int | None = None,
    seed: int = 1,
    zone: str = "Asia/Shanghai",
    scope_code: str,
    bank: str = "合成农商银行",
    contract_prefix: str = "SYN1",
) -> pd.DataFrame:
    """Write the subjects' past into the session (not committed) and return the truth:
    skey, loan (bank/contract as labels.py names it), true_probability per written loan.

    The timeline is the `months` months before as_of's month. Bills and tax rows stop
    `records_gap` months before its end (the demo's own department files hold the recent
    months); loan ledgers run to the end. Tax years after `last_tax_year` are left to them too. Loans start from month 13 (so features see a year
    back) until the last month whose bills are visible at the start."""
    rng = np.random.default_rng(seed)
    n = len(subjects)
    kind = subjects["kind"].to_numpy()
    key_ids = subjects["key_id"].to_numpy(np.int64)
    assets = subjects["assets"].to_numpy(np.float64)
    is_firm = kind != HOUSEHOLD

    # Latent traits the records are drawn from.
    late_propensity = rng.gamma(0.7, 0.35, n)
    base_use = rng.lognormal(np.where(kind == HOUSEHOLD, 5.0, 7.5), 0.6, n)
    if "bill_level" in subjects:  # the subject's own monthly kWh where the county has it
        level = subjects["bill_level"].to_numpy(np.float64)
        base_use = np.where(np.isfinite(level) & (level > 0), level, base_use)
    drift = rng.normal(0, 0.25, n)  # yearly change of production, seen in electricity
    grade0 = np.clip(rng.poisson(0.9, n), 0, 4)

    end = pd.Period(as_of, "M") - 1
    periods = pd.period_range(end - months + 1, end, freq="M")
    record_months = months - records_gap
    cutoff = datetime.combine(as_of, time())
    batch_rows, batch_of = [], {}
    first_batch = _next_id(ImportBatch)
    for source in ("electricity", "tax", "bank_loan"):
        for k, p in enumerate(periods):
            if source != "bank_loan" and k >= record_months:
                continue
            if source == "tax" and p.month != 1:
                continue  # the tax office sends last year's figures each February
            moment = import_moment(p.year, p.month, zone)
            if moment > cutoff:
                continue
            batch_of[(source, p.year, p.month)] = first_batch + len(batch_rows)
            batch_rows.append(
                {
                    "id": first_batch + len(batch_rows),
                    "source": source,
                    "user_id": user.id,
                    "scope_code": scope_code,
                    "filename": f"{source}-{p}.csv",
                    "sha256": "0" * 64,
                    "status": BatchStatus.IMPORTED.value,
                    "created_at": moment,
                    "finished_at": moment,
                }
            )
    bulk_insert(ImportBatch, batch_rows)

    # Electricity: month index t over `periods`.
    t = np.arange(months)
    season = 1 + 0.3 * np.sin(2 * np.pi * (periods.month.to_numpy() - 1) / 12)
    use = base_use[:, None] * season[None, :] * np.exp(drift[:, None] * (t[None, :] - months) / 12)
    use *= rng.lognormal(0, 0.1, (n, months))
    late = rng.random((n, months)) < np.clip(late_propensity[:, None] * 0.5, 0, 0.9)
    days_late = np.where(late, rng.integers(5, 60, (n, months)), 0)
    shown = np.flatnonzero([("electricity", p.year, p.month) in batch_of for p in periods])
    grid_i, grid_k = np.repeat(np.arange(n), len(shown)), np.tile(shown, n)
    bills = pd.DataFrame(
        {
            "subject_key_id": key_ids[grid_i],
            "batch_id": [
                batch_of[("electricity", periods[k].year, periods[k].month)] for k in shown
            ]
            * n,
            "fingerprint": np.arange(1, len(grid_i) + 1, dtype=np.int64),
            "utility": "electricity",
            "account_no": "H1",
            "year": periods.year.to_numpy()[grid_k],
            "month": periods.month.to_numpy()[grid_k],
            "consumption": np.round(use[grid_i, grid_k], 2),
            "billed": np.round(use[grid_i, grid_k] * 0.5, 2),
            "days_late": days_late[grid_i, grid_k],
        }
    )
    bulk_insert(UtilityRecord, bills)
    fp_next = len(bills) + 1

    # Tax: a yearly row per entity and SME, grade drifting a little, sent each January batch.
    tax_rows, grade_by_year = [], {}
    firms = np.flatnonzero(is_firm)
    for year in sorted({p.year for p in periods}):
        key = ("tax", year, 1)
        if key not in batch_of or (last_tax_year is not None and year - 1 > last_tax_year):
            continue
        grade = np.clip(grade0 + rng.integers(-1, 2, n) * (rng.random(n) < 0.3), 0, 4)
        grade_by_year[year - 1] = grade
        tax_rows.append(
            pd.DataFrame(
                {
                    "subject_key_id": key_ids[firms],
                    "batch_id": batch_of[key],
                    "fingerprint": np.arange(fp_next, fp_next + len(firms), dtype=np.int64),
                    "year": year - 1,
                    "month": 0,
                    "tax_paid": np.round(assets[firms] * 0.01 * (5 - grade[firms]) / 3, 2),
                    "tax_grade": GRADES[grade[firms]],
                    "filing_months": 12,
                }
            )
        )
        fp_next += len(firms)
    if tax_rows:
        bulk_insert(TaxRecord, pd.concat(tax_rows, ignore_index=True))

    # Loans: starts from month 13 to the last month whose bills a lender sees at the start.
    loan_count = rng.poisson(loans_per_subject, n)
    owner = np.repeat(np.arange(n), loan_count)
    last_start = min(months, record_months + 1)
    start_k = rng.integers(13, max(last_start, 14), len(owner))
    start_day = rng.integers(1, 28, len(owner))
    # Observables as of the features' date (end of the month before the start): bills of
    # months start-12 .. start-2 are in (month start-1 arrives on the 5th of the start month).
    late_seen = np.zeros(len(owner))
    recent = np.zeros(len(owner))
    year_before = np.full(len(owner), np.nan)
    for lag in range(2, 13):
        late_seen += days_late[owner, start_k - lag] > 0
    for lag in range(2, 5):
        recent += use[owner, start_k - lag]
    has_year_before = start_k >= 16
    year_before[has_year_before] = sum(
        use[owner[has_year_before], start_k[has_year_before] - lag] for lag in range(14, 17)
    )
    trend = np.log1p(recent) - np.log1p(year_before)
    start_on = pd.to_datetime(
        pd.DataFrame(
            {
                "year": periods.year.to_numpy()[start_k],
                "month": periods.month.to_numpy()[start_k],
                "day": start_day,
            }
        )
    )
    features_on = start_on.dt.to_period("M").dt.start_time - pd.Timedelta(days=1)
    start_year, start_month = start_on.dt.year.to_numpy(), start_on.dt.month.to_numpy()
    # The latest tax grade visible: last year's from February on, else the year before.
    grade_year = np.where(start_month >= 3, start_year - 1, start_year - 2)
    known_years = np.array(sorted(grade_by_year)) if grade_by_year else np.array([], int)
    grade_seen = np.full(len(owner), -1)
    for j_year in known_years:  # the latest year on file not after grade_year
        pick = (grade_year >= j_year) & is_firm[owner]
        grade_seen[pick] = grade_by_year[j_year][owner[pick]]
    # What the file showed, if it existed at the features' date.
    file_seen = subjects["file_from"].to_numpy()[owner] <= features_on.to_numpy()
    debt = np.where(file_seen, subjects["debt_ratio"].to_numpy(np.float64)[owner], np.nan)
    founded = subjects["founded"].to_numpy()[owner]
    years_op = (features_on.to_numpy() - founded) / np.timedelta64(1, "D") / 365.25
    years_op = np.where(file_seen, years_op, np.nan)
    evaluation = subjects["evaluation"].to_numpy(np.int64)[owner]
    evaluation_seen = (evaluation >= 0) & (
        subjects["evaluation_from"].to_numpy()[owner] <= features_on.to_numpy()
    )
    is_h = kind[owner] == HOUSEHOLD

    # Late bills weigh twice when consumption is falling as well (a business in trouble pays
    # late); the debt-ratio interaction below needs the file, which most past loans predate.
    z = -3.3 + 0.3 * np.minimum(late_seen, 6) * np.where(is_h, 1.0, 0.7) * (
        1 + (np.nan_to_num(trend) < -0.15)
    )
    z += 1.7 * (np.nan_to_num(debt) > 0.75) * (1 + 0.9 * (np.nan_to_num(trend) < -0.2))
    z += np.where(
        grade_seen >= 0, np.array([-0.5, -0.2, 0.1, 0.8, 1.5])[np.clip(grade_seen, 0, 4)], 0
    )
    z += np.where(
        is_h & evaluation_seen, np.array([-0.6, -0.2, 0.4, 1.4])[np.clip(evaluation, 0, 3)], 0
    )
    z += np.where(
        ~is_h & ~np.isnan(years_op),
        1.2 * np.exp(-np.clip(np.nan_to_num(years_op), 0, None) / 1.5),
        0,
    )
    z += 0.6 * np.tanh(-3 * np.nan_to_num(trend)) * (kind[owner] == ENTERPRISE)
    probability = 1 / (1 + np.exp(-z))
    defaulted = rng.random(len(owner)) < probability
    default_after = rng.integers(4, 11, len(owner))

    # Ledger versions: the month of the start, then the month it defaulted or was repaid.
    first_key = [("bank_loan", p.year, p.month) for p in periods[start_k]]
    written = np.array([key in batch_of for key in first_key], dtype=bool)
    later_k = start_k + np.where(defaulted, default_after, 12)
    later_key = [
        ("bank_loan", periods[k].year, periods[k].month) if k < months else None for k in later_k
    ]
    has_later = written & np.array([key in batch_of for key in later_key], dtype=bool)
    contracts = np.array([f"{contract_prefix}-{j:07d}" for j in range(len(owner))], dtype=object)
    amount = np.round(assets[owner] * 0.2, 2)
    due_on = (start_on + pd.DateOffset(months=12)).dt.date.to_numpy()
    first_loan = _next_id(LoanRecord)
    w = np.flatnonzero(written)
    later_batch = np.array([batch_of.get(key, 0) if key else 0 for key in later_key], np.int64)
    opened = pd.DataFrame(
        {
            "id": first_loan + np.arange(len(w)),
            "subject_key_id": key_ids[owner[w]],
            "bank": bank,
            "contract_no": contracts[w],
            "amount": amount[w],
            "start_on": start_on.dt.date.to_numpy()[w],
            "due_on": due_on[w],
            "batch_id": [batch_of[first_key[j]] for j in w],
            "fingerprint": np.arange(fp_next, fp_next + len(w), dtype=np.int64),
            "status": "normal",
            "days_overdue": 0,
            "balance": amount[w],
            "as_of": [_month_end(periods[k].year, periods[k].month) for k in start_k[w]],
            "superseded_by_id": np.where(has_later[w], later_batch[w], None),
        }
    )
    fp_next += len(w)
    s = np.flatnonzero(has_later)
    bad = defaulted[s]
    closed_on = [_month_end(periods[k].year, periods[k].month) for k in later_k[s]]
    closed = pd.DataFrame(
        {
            "subject_key_id": key_ids[owner[s]],
            "bank": bank,
            "contract_no": contracts[s],
            "amount": amount[s],
            "start_on": start_on.dt.date.to_numpy()[s],
            "due_on": due_on[s],
            "batch_id": later_batch[s],
            "fingerprint": np.arange(fp_next, fp_next + len(s), dtype=np.int64),
            "status": np.where(bad, "substandard", "normal"),
            "days_overdue": np.where(bad, 95, 0),
            "balance": np.where(bad, amount[s], 0.0),
            "repaid_on": [None if b else c for b, c in zip(bad, closed_on, strict=True)],
            "as_of": closed_on,
        }
    )
    opened = opened.astype(object).where(opened.notna(), None)
    bulk_insert(LoanRecord, opened)
    sync_ids(ImportBatch, LoanRecord)
    bulk_insert(LoanRecord, closed)
    return pd.DataFrame(
        {
            "skey": subjects["skey"].to_numpy(np.int64)[owner[w]],
            "loan": [f"{bank}/{c}" for c in contracts[w]],
            "true_probability": probability[w],
        }
    )
