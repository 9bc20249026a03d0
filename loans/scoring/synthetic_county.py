"""A synthetic county in the database with a known truth, for tests and the benchmark:
households, entities and SMEs with files, and their past (bills, tax rows and loans in
backdated monthly batches) written by `loan_history.write_history`, which keeps each loan's
true default probability out of the database and returns it (`truth`).

ID numbers are placeholders (not decryptable): this county is for measuring the score, not
for browsing.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np
import pandas as pd
from sqlalchemy import select

from models import (
    AgriEntity,
    Enterprise,
    Household,
    Region,
    RegionLevel,
    SubjectKey,
    User,
    VillageEvaluation,
    db,
)

from .asof import ENTERPRISE, ENTITY, HOUSEHOLD, subject_key
from .loan_history import EVALUATIONS, bulk_insert, sync_ids, write_history


@dataclass
class CountyTruth:
    truth: pd.DataFrame  # skey, loan, true_probability
    subjects: int
    loans: int


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

    # The files' figures; the records' latent traits are drawn by write_history.
    debt_ratio = np.clip(rng.beta(2, 4, n) * 1.4, 0.01, 1.5)
    assets = rng.lognormal(np.where(kind == HOUSEHOLD, 12.0, 14.5), 0.7, n)
    evaluation = rng.choice(4, size=n, p=[0.3, 0.45, 0.2, 0.05])
    founded_years = rng.gamma(2.0, 3.0, n)

    first = db.session.scalar(select(db.func.coalesce(db.func.max(Household.id), 0))) + 1
    h = np.flatnonzero(kind == HOUSEHOLD)
    # The head's gender, for the report's fairness check only: its own generator, so the
    # county drawn for a seed stays the same, and unrelated to the outcome.
    genders = np.random.default_rng(seed + 1000).choice(["男", "女"], size=len(h), p=[0.6, 0.4])
    bulk_insert(
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
    bulk_insert(
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
    bulk_insert(
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
    bulk_insert(
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
    bulk_insert(SubjectKey, key_rows)
    key_ids = first_key + np.arange(n)

    founded_at = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    founded_at[~(kind == HOUSEHOLD)] = np.array(founded, dtype="datetime64[s]")[kind != HOUSEHOLD]
    subjects = pd.DataFrame(
        {
            "skey": skeys,
            "kind": kind,
            "key_id": key_ids,
            "assets": assets,
            "debt_ratio": debt_ratio,
            "founded": founded_at,
            "evaluation": np.where(kind == HOUSEHOLD, evaluation, -1),
            # The first 村评议 written above is visible from the end of its year.
            "evaluation_from": np.datetime64(f"{as_of.year - months // 12 - 1}-12-31", "s"),
            "file_from": np.datetime64(created.date(), "s"),
        }
    )
    truth = write_history(
        user,
        as_of,
        subjects,
        months=months,
        seed=seed + 7,
        zone=zone,
        scope_code=village[0][:6] + "000000",
        contract_prefix=f"SYN{seed}",
    )
    sync_ids(Household, AgriEntity, Enterprise, SubjectKey)
    db.session.commit()
    return CountyTruth(truth=truth, subjects=n, loans=len(truth))
