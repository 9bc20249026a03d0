"""信易贷统计 page with a large county loaded, on SQLite and PostgreSQL: 100,000 needs over two
years, current matches to 2 banks, 30,000 claims, 40,000 decisions, 20,000 整村授信 lines;
the county office asks for twelve months (every figure: totals, by month, bank, product
type, subject type, township, rejection reasons, village lines), then one bank only.

Target (issue 15): the page under 1 s at 100,000 needs.
Run: .venv/bin/python -m bench.bench_loan_statistics [--needs N]

Rows are written with bulk inserts (no matching run: the match rows are written as the
engine stores them). The banks' ledgers (first-loan check) are empty here.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from flask_migrate import upgrade
from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_matching import COUNTIES  # noqa: E402
from bench.bench_matching_pages import _insert, _regions  # noqa: E402
from bench.fixtures import backends, bench_app  # noqa: E402
from models import (  # noqa: E402
    Bank,
    FinancingNeed,
    Household,
    LoanDecision,
    LoanProduct,
    MatchResult,
    NeedClaim,
    Region,
    Role,
    User,
    VillageLine,
    VillageLineGrant,
    db,
    refresh_planner_statistics,
    utcnow,
)

REPEATS, TARGET_MS, BANKS, PRODUCTS = 5, 1000.0, 4, 40
TYPES = np.array(["household", "entity", "enterprise"], dtype=object)
PRODUCT_TYPES = np.resize(["credit", "tax", "village", "farmer_micro"], PRODUCTS)
OUTCOMES = np.array(["approved", "rejected", "more_material"], dtype=object)
REASONS = np.array(["high_debt", "credit_record", "purpose", "collateral", None], dtype=object)


def _naive(stamps: pd.DatetimeIndex) -> list:
    return [s.to_pydatetime() for s in stamps.floor("us")]


def load(app, n: int, seed: int = 7) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    county = COUNTIES[0]
    villages = np.array([f"{county}{100 + t:03d}{1 + v:03d}" for t in range(9) for v in range(10)])
    stamp = utcnow()
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.uniform(0, 730, n), unit="D")
    kinds = rng.choice(TYPES, n, p=[0.7, 0.1, 0.2])
    subjects = rng.integers(1, n // 2, n)
    matched = rng.random(n) < 0.6
    with app.app_context(), db.engine.begin() as connection:
        _insert(connection, Region, _regions())
        _insert(
            connection,
            Bank,
            [
                {"id": b, "name": f"银行{b}", "short_name": f"行{b}", "active": True}
                | {"created_at": stamp}
                for b in range(1, BANKS + 1)
            ],
        )
        user = {
            "username": "bench_office",
            "display_name": "县信用办",
            "role": Role.OFFICE,
            "scope_code": f"{county}000000",
            "active": True,
            "created_at": stamp,
            "session_version": 0,
            "failed_logins": 0,
            "password_hash": generate_password_hash("bench-password"),
        }
        _insert(connection, User, [user])
        _insert(
            connection,
            LoanProduct,
            [
                {
                    "id": p,
                    "bank_id": 1 + (p - 1) % BANKS,
                    "code": f"P{p}",
                    "name": f"产品{p}",
                    "product_type": str(PRODUCT_TYPES[p - 1]),
                    "description": "",
                    "amount_min": 10_000,
                    "amount_max": 1_000_000,
                    "term_min_months": 1,
                    "term_max_months": 36,
                    "rate_min": 3.5,
                    "rate_max": 6.0,
                    "subject_types": ["household"],
                    "region_codes": [],
                    "tax_grades": [],
                    "collateral_required": False,
                    "guarantee_required": False,
                    "valid_from": pd.Timestamp("2024-01-01").date(),
                    "status": "listed",
                    "created_by_id": 1,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "version": 1,
                }
                for p in range(1, PRODUCTS + 1)
            ],
        )
        _insert(
            connection,
            FinancingNeed,
            [
                {
                    "id": i + 1,
                    "subject_type": kinds[i],
                    "subject_id": int(subjects[i]),
                    "region_code": villages[i % len(villages)],
                    "amount": 50_000,
                    "term_months": 12,
                    "purpose": "扩大种植",
                    "collateral": "none",
                    "collateral_note": "",
                    "guarantee": "none",
                    "urgency": "normal",
                    "status": "open",
                    "created_by_id": 1,
                    "created_at": c,
                    "updated_at": c,
                    "first_matched_at": c if matched[i] else None,
                    "version": 1,
                }
                for i, c in enumerate(_naive(pd.DatetimeIndex(created)))
            ],
        )
        open_ids = np.flatnonzero(rng.random(n) < 0.3) + 1
        _insert(
            connection,
            MatchResult,
            [
                {
                    "need_id": int(need),
                    "product_id": int(product),
                    "bank_id": 1 + (int(product) - 1) % BANKS,
                    "failures": 0,
                    "rank": 1,
                    "bank_rank": 1,
                    "queue_order": -1,
                    "need_version": 1,
                    "product_version": 1,
                    "matched_at": stamp,
                }
                for need in open_ids
                for product in (1 + rng.integers(0, 10) * BANKS, 2 + rng.integers(0, 10) * BANKS)
            ],
        )
        claimed = rng.choice(n, 3 * n // 10, replace=False) + 1
        claim_products = rng.integers(1, PRODUCTS + 1, len(claimed))
        _insert(
            connection,
            NeedClaim,
            [
                {
                    "need_id": int(need),
                    "bank_id": 1 + (int(p) - 1) % BANKS,
                    "officer_id": 1,
                    "product_id": int(p),
                    "claimed_at": stamp,
                    "claimed_until": stamp,
                    "released_at": stamp,
                }
                for need, p in zip(claimed, claim_products, strict=True)
            ],
        )
        k = 2 * n // 5
        decided = rng.choice(n, k) + 1
        outcome = rng.choice(OUTCOMES, k, p=[0.6, 0.3, 0.1])
        decided_at = pd.DatetimeIndex(created[decided - 1]) + pd.to_timedelta(
            rng.uniform(1, 30, k), unit="D"
        )
        products = rng.integers(1, PRODUCTS + 1, k)
        reasons = rng.choice(REASONS, k)
        review = rng.random(k) < 0.05
        _insert(
            connection,
            LoanDecision,
            [
                {
                    "need_id": int(decided[j]),
                    "bank_id": 1 + (int(products[j]) - 1) % BANKS,
                    "product_id": int(products[j]),
                    "officer_id": 1,
                    "outcome": outcome[j],
                    "amount": float(rng.integers(1, 100) * 10_000)
                    if outcome[j] == "approved"
                    else None,
                    "reason_code": reasons[j] if outcome[j] == "rejected" else None,
                    "reason_text": "",
                    "decided_at": at,
                    "review_requested_at": at if review[j] else None,
                    "review_note": "",
                }
                for j, at in enumerate(_naive(decided_at))
            ],
        )
    with app.app_context(), db.engine.connect() as connection:
        # A grant names its village's 信用村 result (rating run, rule set …): the bench has
        # none, so the lines' foreign keys are not checked while they are written.
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            connection.exec_driver_sql("SET session_replication_role = replica")
        lines = _village_lines(connection, rng, villages, stamp)
        connection.commit()
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        else:
            connection.exec_driver_sql("SET session_replication_role = DEFAULT")
    with app.app_context():
        refresh_planner_statistics()  # as after any bulk load
    return {"needs": n, "claims": len(claimed), "decisions": k, "lines": lines}


def _village_lines(connection, rng, villages, stamp) -> int:
    """One approved grant per village of product 3 (整村授信 type), 200 lines each, a
    quarter of them taken up."""
    households = [
        {
            "id": h,
            "village_code": villages[(h - 1) % len(villages)],
            "county_code": villages[0][:6],
            "head_name": "农户",
            "head_id_cipher": b"x",
            "head_id_hash": f"{h:064d}",
            "head_id_masked": "6105**1234",
            "head_id_tail": "1234",
            "created_at": stamp,
            "updated_at": stamp,
            "version": 1,
        }
        for h in range(1, 200 * len(villages) + 1)
    ]
    _insert(connection, Household, households)
    grants = [
        {
            "id": g + 1,
            "product_id": 3,
            "bank_id": 3,
            "village_code": v,
            "year": 2026,
            "region_rating_id": 1,
            "status": "approved",
            "valid_to": pd.Timestamp("2027-12-31").date(),
            "summary": {},
            "households": 200,
            "total_amount": 0,
            "prepared_by_id": 1,
            "prepared_at": stamp,
            "approved_by_id": 1,
            "approved_at": stamp,
            "withdraw_reason": "",
        }
        for g, v in enumerate(villages)
    ]
    _insert(connection, VillageLineGrant, grants)
    taken = rng.random(len(households)) < 0.25
    _insert(
        connection,
        VillageLine,
        [
            {
                "grant_id": (h["id"] - 1) % len(villages) + 1,
                "household_id": h["id"],
                "grade": "AA",
                "grade_amount": 50_000,
                "amount": 50_000,
                "capped": False,
                "rate": 4.35,
                "status": "taken_up" if taken[i] else "active",
            }
            for i, h in enumerate(households)
        ],
    )
    return len(households)


def measure(client, url: str) -> tuple[float, float]:
    assert client.get(url).status_code == 200, url  # warm caches
    wall, cpu = [], []
    for _ in range(REPEATS):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(wall), statistics.median(cpu)


def main(n: int) -> None:
    for label, url in backends():
        app = bench_app(url)
        with app.app_context():
            upgrade()
        started = time.perf_counter()
        sizes = load(app, n)
        print(
            f"\n[loan statistics, {label}] {', '.join(f'{v:,} {k}' for k, v in sizes.items())} "
            f"(loaded in {time.perf_counter() - started:.0f} s)"
        )
        client = app.test_client()
        response = client.post(
            "/login", data={"username": "bench_office", "password": "bench-password"}
        )
        assert response.status_code == 302, "bench login failed"
        pages = {
            "statistics page, 12 months": "/loans/statistics?from=2026-01-01&to=2026-12-31",
            "statistics page, one bank": "/loans/statistics?from=2026-01-01&to=2026-12-31&bank=2",
            "statistics export (XLSX)": "/loans/statistics/export.xlsx?from=2026-01-01&to=2026-12-31",
        }
        for name, page in pages.items():
            ms, cpu = measure(client, page)
            verdict = "OK" if ms < TARGET_MS else "OVER TARGET"
            print(
                f"  {name:<30} median {ms:7.1f} ms, CPU {cpu:6.1f} ms (target < {TARGET_MS:.0f} ms: "
                f"{verdict}; load average {os.getloadavg()[0]:.1f})"
            )
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--needs", type=int, default=100_000)
    main(parser.parse_args().needs)
