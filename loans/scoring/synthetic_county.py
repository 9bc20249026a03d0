"""A synthetic county in the database with a known truth, for tests and the benchmark:
households, entities and SMEs with files, monthly electricity bills and yearly tax rows
imported by monthly batches (each dated the 5th of the following month), and loans whose
ledger versions arrive the same way.

Each loan's outcome is drawn from a default probability the generator computes from what
the platform can observe as of the loan's start (the features' as-of date): late bills and
the consumption trend over the visible months, the file's debt ratio and years operating,
the latest visible 纳税信用等级, the 村评议. Non-linear, with interactions. The probability is
returned to the caller (`truth`), never written to a table.

ID numbers are placeholders (not decryptable): this county is for measuring the score, not
for browsing.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, text

from models import (
    AgriEntity,
    BatchStatus,
    Enterprise,
    Household,
    ImportBatch,
    LoanRecord,
    Region,
    RegionLevel,
    SubjectKey,
    TaxRecord,
    User,
    UtilityRecord,
    VillageEvaluation,
    db,
)

from .asof import ENTERPRISE, ENTITY, HOUSEHOLD, subject_key

EVALUATIONS = np.array(["优秀", "较好", "一般", "差"])
GRADES = np.array(["A", "B", "M", "C", "D"])


@dataclass
class CountyTruth:
    truth: pd.DataFrame  # skey, loan, true_probability
    subjects: int
    loans: int


def _import_moment(year: int, month: int, zone: str) -> datetime:
    """The 5th of the month after (year, month), 10:00 local, as naive UTC."""
    y, m = (year + 1, 1) if month == 12 else (year, month + 1)
    local = datetime.combine(date(y, m, 5), time(10), tzinfo=ZoneInfo(zone))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _month_end(year: int, month: int) -> date:
    return (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)).date()


def _bulk(model, rows: list[dict] | pd.DataFrame) -> None:
    if isinstance(rows, pd.DataFrame):
        rows = rows.to_dict("records")
    for start in range(0, len(rows), 20_000):
        db.session.execute(insert(model), rows[start : start + 20_000])


def _sync_ids(*models) -> None:
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


def build_synthetic_county(
    user: User,
    as_of: date,
    households: int = 1000,
    entities: int = 200,
    enterprises: int = 200,
    months: int = 48,
    seed: int = 1,
    zone: str = "Asia/Shanghai",
) -> CountyTruth:
    """Write the county into the current session (committed) and return the truth."""
    rng = np.random.default_rng(seed)
    villages = db.session.scalars(
        select(Region.code).where(Region.level == RegionLevel.VILLAGE).order_by(Region.code)
    ).all()
    if not villages:
        raise ValueError("the county needs villages")
    n = households + entities + enterprises
    kind = np.array([HOUSEHOLD] * households + [ENTITY] * entities + [ENTERPRISE] * enterprises)
    village = np.array(villages)[rng.integers(0, len(villages), n)]
    created = datetime.combine(as_of, time()) - pd.Timedelta(days=31 * months + 60)

    # Latent traits the records are drawn from.
    late_propensity = rng.gamma(0.7, 0.35, n)
    debt_ratio = np.clip(rng.beta(2, 4, n) * 1.4, 0.01, 1.5)
    assets = rng.lognormal(np.where(kind == HOUSEHOLD, 12.0, 14.5), 0.7, n)
    base_use = rng.lognormal(np.where(kind == HOUSEHOLD, 5.0, 7.5), 0.6, n)
    drift = rng.normal(0, 0.25, n)  # yearly change of production, seen in electricity
    evaluation = rng.choice(4, size=n, p=[0.3, 0.45, 0.2, 0.05])
    grade0 = np.clip(rng.poisson(0.9, n), 0, 4)
    founded_years = rng.gamma(2.0, 3.0, n)

    first = db.session.scalar(select(db.func.coalesce(db.func.max(Household.id), 0))) + 1
    h = np.flatnonzero(kind == HOUSEHOLD)
    # The head's gender, for the report's fairness check only: its own generator, so the
    # county drawn for a seed stays the same, and unrelated to the outcome.
    genders = np.random.default_rng(seed + 1000).choice(["男", "女"], size=len(h), p=[0.6, 0.4])
    _bulk(
        Household,
        [
            {
                "id": first + j,
                "village_code": village[i],
                "county_code": village[i][:6],
                "head_name": f"农户{j}",
                "head_id_cipher": b"synthetic",
                "head_id_hash": hashlib.sha256(f"h{seed}-{j}".encode()).hexdigest(),
                "head_id_masked": "6105**********0000",
                "head_id_tail": "0000",
                "head_gender": str(genders[j]),
                "land_contracted_mu": round(float(rng.lognormal(2, 0.6)), 2),
                "income_crops": round(float(assets[i] * 0.2), 2),
                "total_assets": round(float(assets[i]), 2),
                "total_liabilities": round(float(assets[i] * debt_ratio[i]), 2),
                "labour_count": int(rng.integers(1, 5)),
                "household_size": int(rng.integers(2, 7)),
                "created_at": created,
                "updated_at": created,
            }
            for j, i in enumerate(h)
        ],
    )
    subject_ids = np.zeros(n, dtype=np.int64)
    subject_ids[h] = first + np.arange(len(h))
    _bulk(
        VillageEvaluation,
        [
            {
                "household_id": int(subject_ids[i]),
                "year": year,
                "law_abiding": 20,
                "neighbourliness": 20,
                "elder_care": 20,
                "diligence": 20,
                "overall": EVALUATIONS[evaluation[i]],
            }
            for i in h
            for year in range(as_of.year - months // 12 - 1, as_of.year)
        ],
    )
    e = np.flatnonzero(kind == ENTITY)
    first = db.session.scalar(select(db.func.coalesce(db.func.max(AgriEntity.id), 0))) + 1
    founded = [as_of - pd.Timedelta(days=int(365 * y)) for y in founded_years]
    _bulk(
        AgriEntity,
        [
            {
                "id": first + j,
                "entity_type": "family_farm",
                "name": f"合成家庭农场{j}",
                "uscc": f"93S{seed:03d}{j:012d}"[:18],
                "village_code": village[i],
                "county_code": village[i][:6],
                "operator_name": "经营者",
                "founded_on": founded[i],
                "land_mu": round(float(rng.lognormal(5, 0.6)), 2),
                "annual_revenue": round(float(assets[i] * 0.5), 2),
                "total_assets": round(float(assets[i]), 2),
                "total_debts": round(float(assets[i] * debt_ratio[i]), 2),
                "created_at": created,
                "updated_at": created,
            }
            for j, i in enumerate(e)
        ],
    )
    subject_ids[e] = first + np.arange(len(e))
    s = np.flatnonzero(kind == ENTERPRISE)
    first = db.session.scalar(select(db.func.coalesce(db.func.max(Enterprise.id), 0))) + 1
    _bulk(
        Enterprise,
        [
            {
                "id": first + j,
                "uscc": f"91S{seed:03d}{j:012d}"[:18],
                "name": f"合成企业{j}",
                "region_code": village[i],
                "county_code": village[i][:6],
                "founded_on": founded[i],
                "employees": int(rng.integers(3, 80)),
                "created_at": created,
                "updated_at": created,
            }
            for j, i in enumerate(s)
        ],
    )
    subject_ids[s] = first + np.arange(len(s))
    skeys = subject_key(pd.Series(kind), pd.Series(subject_ids)).to_numpy()

    # One departmental key per subject.
    first_key = db.session.scalar(select(db.func.coalesce(db.func.max(SubjectKey.id), 0))) + 1
    key_rows = []
    for i in range(n):
        row = {"id": first_key + i, "masked": "synthetic", "name": "", "created_at": created}
        if kind[i] == HOUSEHOLD:
            row["id_hash"] = hashlib.sha256(f"h{seed}-{np.searchsorted(h, i)}".encode()).hexdigest()
            row["household_id"] = int(subject_ids[i])
        elif kind[i] == ENTITY:
            row["uscc"] = f"93S{seed:03d}{np.searchsorted(e, i):012d}"[:18]
            row["entity_id"] = int(subject_ids[i])
        else:
            row["uscc"] = f"91S{seed:03d}{np.searchsorted(s, i):012d}"[:18]
            row["enterprise_id"] = int(subject_ids[i])
        key_rows.append(row)
    _bulk(SubjectKey, key_rows)
    key_ids = first_key + np.arange(n)

    # Monthly batches, imported on the 5th of the following month.
    end = pd.Period(as_of, "M") - 1  # the last month whose batch is in by as_of (roughly)
    periods = pd.period_range(end - months + 1, end, freq="M")
    first_batch = db.session.scalar(select(db.func.coalesce(db.func.max(ImportBatch.id), 0))) + 1
    batch_rows, batch_of = [], {}
    for source in ("electricity", "tax", "bank_loan"):
        for p in periods:
            if source == "tax" and p.month != 1:
                continue  # the tax office sends last year's figures each February
            moment = _import_moment(p.year, p.month, zone)
            if moment > datetime.combine(as_of, time()):
                continue
            batch_id = first_batch + len(batch_rows)
            batch_of[(source, p.year, p.month)] = batch_id
            batch_rows.append(
                {
                    "id": batch_id,
                    "source": source,
                    "user_id": user.id,
                    "scope_code": village[0][:6] + "000000",
                    "filename": f"{source}-{p}.csv",
                    "sha256": "0" * 64,
                    "status": BatchStatus.IMPORTED.value,
                    "created_at": moment,
                    "finished_at": moment,
                }
            )
    _bulk(ImportBatch, batch_rows)

    # Electricity: month index t over `periods`.
    t = np.arange(months)
    season = 1 + 0.3 * np.sin(2 * np.pi * (periods.month.to_numpy() - 1) / 12)
    use = base_use[:, None] * season[None, :] * np.exp(drift[:, None] * (t[None, :] - months) / 12)
    use *= rng.lognormal(0, 0.1, (n, months))
    late = rng.random((n, months)) < np.clip(late_propensity[:, None] * 0.5, 0, 0.9)
    days_late = np.where(late, rng.integers(5, 60, (n, months)), 0)
    visible = np.array([("electricity", p.year, p.month) in batch_of for p in periods])
    fp = iter(range(1, 10**12))
    utility_rows = []
    for i in range(n):
        for k in np.flatnonzero(visible):
            p = periods[k]
            utility_rows.append(
                {
                    "subject_key_id": int(key_ids[i]),
                    "batch_id": batch_of[("electricity", p.year, p.month)],
                    "fingerprint": next(fp),
                    "utility": "electricity",
                    "account_no": "1",
                    "year": p.year,
                    "month": p.month,
                    "consumption": round(float(use[i, k]), 2),
                    "billed": round(float(use[i, k] * 0.5), 2),
                    "days_late": int(days_late[i, k]),
                }
            )
    _bulk(UtilityRecord, utility_rows)

    # Tax: a yearly row per entity and SME, grade drifting a little, sent each January batch.
    tax_rows, grade_by_year = [], {}
    for year in sorted({p.year for p in periods}):
        key = ("tax", year, 1)
        if key not in batch_of:
            continue
        grade = np.clip(grade0 + rng.integers(-1, 2, n) * (rng.random(n) < 0.3), 0, 4)
        grade_by_year[year - 1] = grade
        for i in np.concatenate([e, s]):
            tax_rows.append(
                {
                    "subject_key_id": int(key_ids[i]),
                    "batch_id": batch_of[key],
                    "fingerprint": next(fp),
                    "year": year - 1,
                    "month": 0,
                    "tax_paid": round(float(assets[i] * 0.01 * (5 - grade[i]) / 3), 2),
                    "tax_grade": GRADES[grade[i]],
                    "filing_months": 12,
                }
            )
    _bulk(TaxRecord, tax_rows)

    # Loans: starts spread over the last `months - 13` months so features see a year back.
    loan_count = rng.poisson(1.4, n)
    owner = np.repeat(np.arange(n), loan_count)
    start_k = rng.integers(13, months, len(owner))
    start_day = rng.integers(1, 28, len(owner))
    # Observables as of the features' date (end of the month before the start): bills of
    # months start-12 .. start-2 are in (month start-1 arrives on the 5th of the start month).
    late_seen = np.array(
        [
            (days_late[o, max(k - 12, 0) : k - 1] > 0).sum()
            for o, k in zip(owner, start_k, strict=True)
        ]
    )
    recent = np.array([use[o, k - 4 : k - 1].sum() for o, k in zip(owner, start_k, strict=True)])
    year_before = np.array(
        [
            use[o, k - 16 : k - 13].sum() if k >= 16 else np.nan
            for o, k in zip(owner, start_k, strict=True)
        ]
    )
    trend = np.log1p(recent) - np.log1p(year_before)
    start_year = periods[start_k].year.to_numpy()
    start_month = periods[start_k].month.to_numpy()
    # The latest tax grade visible: last year's from February on, else the year before.
    grade_year = np.where(start_month >= 3, start_year - 1, start_year - 2)
    grade_seen = np.array(
        [
            grade_by_year[y][o] if y in grade_by_year and kind[o] != HOUSEHOLD else -1
            for o, y in zip(owner, grade_year, strict=True)
        ]
    )
    years_op = founded_years[owner] - (months - start_k) / 12
    is_h = kind[owner] == HOUSEHOLD
    z = -3.4 + 0.45 * np.minimum(late_seen, 6) * np.where(is_h, 1.0, 0.7)
    z += 1.7 * (debt_ratio[owner] > 0.75) * (1 + 0.9 * (np.nan_to_num(trend) < -0.2))
    z += np.where(
        grade_seen >= 0, np.array([-0.5, -0.2, 0.1, 0.8, 1.5])[np.clip(grade_seen, 0, 4)], 0
    )
    z += np.where(
        is_h,
        np.array([-0.6, -0.2, 0.4, 1.4])[evaluation[owner]],
        1.2 * np.exp(-np.clip(years_op, 0, None) / 1.5),
    )
    z += 0.6 * np.tanh(-3 * np.nan_to_num(trend)) * (kind[owner] == ENTERPRISE)
    probability = 1 / (1 + np.exp(-z))
    defaulted = rng.random(len(owner)) < probability
    default_after = rng.integers(4, 11, len(owner))

    loan_rows, supersede = [], []
    for j, o in enumerate(owner):
        k = int(start_k[j])
        p = periods[k]
        start_on = date(p.year, p.month, int(start_day[j]))
        contract = f"SYN{seed}-{j:07d}"
        amount = round(float(assets[o] * 0.2), 2)
        base = {
            "subject_key_id": int(key_ids[o]),
            "bank": "合成农商银行",
            "contract_no": contract,
            "amount": amount,
            "start_on": start_on,
            "due_on": (pd.Timestamp(start_on) + pd.DateOffset(months=12)).date(),
        }
        first_batch_key = ("bank_loan", p.year, p.month)
        if first_batch_key not in batch_of:
            continue
        loan_rows.append(
            {
                **base,
                "batch_id": batch_of[first_batch_key],
                "fingerprint": next(fp),
                "status": "normal",
                "days_overdue": 0,
                "balance": amount,
                "as_of": _month_end(p.year, p.month),
                "_j": j,
            }
        )
        later_k = k + (int(default_after[j]) if defaulted[j] else 12)
        if later_k < months:
            q = periods[later_k]
            later_key = ("bank_loan", q.year, q.month)
            if later_key in batch_of:
                supersede.append(
                    {
                        **base,
                        "batch_id": batch_of[later_key],
                        "fingerprint": next(fp),
                        "status": "substandard" if defaulted[j] else "normal",
                        "days_overdue": 95 if defaulted[j] else 0,
                        "balance": amount if defaulted[j] else 0,
                        "repaid_on": None if defaulted[j] else _month_end(q.year, q.month),
                        "as_of": _month_end(q.year, q.month),
                        "_j": j,
                    }
                )
    first_loan = db.session.scalar(select(db.func.coalesce(db.func.max(LoanRecord.id), 0))) + 1
    later_by_j = {r["_j"]: r for r in supersede}
    rows = []
    for offset, row in enumerate(loan_rows):
        row = dict(row)
        j = row.pop("_j")
        row["id"] = first_loan + offset
        if j in later_by_j:
            row["superseded_by_id"] = later_by_j[j]["batch_id"]
        rows.append(row)
    _bulk(LoanRecord, rows)
    _sync_ids(Household, AgriEntity, Enterprise, SubjectKey, ImportBatch, LoanRecord)
    _bulk(LoanRecord, [{k: v for k, v in r.items() if k != "_j"} for r in supersede])
    db.session.commit()

    written = {r["_j"] for r in loan_rows}
    picked = np.array(sorted(written), dtype=np.int64)
    truth = pd.DataFrame(
        {
            "skey": skeys[owner[picked]],
            "loan": [f"合成农商银行/SYN{seed}-{j:07d}" for j in picked],
            "true_probability": probability[picked],
        }
    )
    return CountyTruth(truth=truth, subjects=n, loans=len(picked))
