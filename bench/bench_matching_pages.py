"""The applicant's match page and the officer's queue page (50 rows) with 100,000 open needs
and 800 listed products loaded, on SQLite and PostgreSQL.

Targets (issue 15): each page under 200 ms median.
Run: .venv/bin/python -m bench.bench_matching_pages [--needs N] [--products N]

The needs and products are bench_matching's synthetic ones, written with bulk inserts (the
session hooks that rerun matching are bypassed: the engine's result is stored directly). The
stored results are the eligible pairs, the rows both pages read (`rank > 0`); a third of the
subjects authorise the officer's bank, which lists 40 of the 800 products.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from flask_migrate import upgrade
from sqlalchemy import insert
from werkzeug.security import generate_password_hash

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_matching import COUNTIES, synthetic_needs, synthetic_products  # noqa: E402
from bench.fixtures import backends, bench_app  # noqa: E402
from loans.matching.engine import match  # noqa: E402
from models import (  # noqa: E402
    Authorisation,
    Bank,
    FinancingNeed,
    Household,
    LoanProduct,
    MatchResult,
    Region,
    RegionLevel,
    Role,
    User,
    db,
    refresh_planner_statistics,
    utcnow,
)

REPEATS, TARGET_MS, BANKS, CHUNK = 15, 200.0, 20, 20_000
APPLICANT_SUBJECT = 1


def _insert(connection, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        connection.execute(insert(model.__table__), rows[start : start + CHUNK])


def _regions() -> list[dict]:
    rows = [
        {
            "code": "610000000000",
            "name": "陕西省",
            "level": RegionLevel.PROVINCE,
            "parent_code": None,
        },
        {
            "code": "610500000000",
            "name": "渭南市",
            "level": RegionLevel.CITY,
            "parent_code": "610000000000",
        },
    ]
    for county in COUNTIES:
        rows.append(
            {
                "code": f"{county}000000",
                "name": f"县{county}",
                "level": RegionLevel.COUNTY,
                "parent_code": "610500000000",
            }
        )
        for t in range(9):
            township = f"{county}{100 + t:03d}000"
            rows.append(
                {
                    "code": township,
                    "name": f"镇{t}",
                    "level": RegionLevel.TOWNSHIP,
                    "parent_code": f"{county}000000",
                }
            )
            rows += [
                {
                    "code": f"{county}{100 + t:03d}{1 + v:03d}",
                    "name": f"村{t}-{v}",
                    "level": RegionLevel.VILLAGE,
                    "parent_code": township,
                }
                for v in range(10)
            ]
    return rows


def load(app, needs_count: int, products_count: int) -> tuple[int, int]:
    """Write the synthetic county; returns (an applicant's need id, rows stored)."""
    needs, products = synthetic_needs(needs_count), synthetic_products(products_count)
    needs.loc[0, ["subject_type", "subject_id"]] = ["household", APPLICANT_SUBJECT]
    result = match(needs, products)
    stamp, today = utcnow(), date.today()
    with app.app_context(), db.engine.begin() as connection:
        _insert(connection, Region, _regions())
        _insert(
            connection,
            Bank,
            [
                {
                    "id": b,
                    "name": f"银行{b}",
                    "short_name": f"行{b}",
                    "active": True,
                    "created_at": stamp,
                }
                for b in range(1, BANKS + 1)
            ],
        )
        officer = {
            "username": "bench_officer",
            "display_name": "信贷员",
            "role": Role.OFFICER,
            "scope_code": f"{COUNTIES[0]}000000",
            "bank_id": 1,
            "active": True,
            "created_at": stamp,
            "session_version": 0,
            "failed_logins": 0,
        }
        applicant = {
            "username": "bench_applicant",
            "display_name": "申请人",
            "role": Role.APPLICANT,
            "scope_code": needs.loc[0, "region_code"],
            "subject_type": "household",
            "subject_id": APPLICANT_SUBJECT,
            "active": True,
            "created_at": stamp,
            "session_version": 0,
            "failed_logins": 0,
        }
        for row in (officer, applicant):
            row["password_hash"] = generate_password_hash("bench-password")
        _insert(connection, User, [officer])  # executemany wants the same keys per row
        _insert(connection, User, [applicant])
        _insert(
            connection,
            Household,
            [
                {
                    "id": APPLICANT_SUBJECT,
                    "village_code": needs.loc[0, "region_code"],
                    "county_code": needs.loc[0, "region_code"][:6],
                    "head_name": "杨建国",
                    "head_id_cipher": b"x",
                    "head_id_hash": "0" * 64,
                    "head_id_masked": "6105**1234",
                    "head_id_tail": "1234",
                    "credit_grade": "AA",
                    "created_at": stamp,
                    "updated_at": stamp,
                    "version": 1,
                }
            ],
        )
        bank_of = np.where(
            np.arange(products_count) < 40, 1, 2 + np.arange(products_count) % (BANKS - 1)
        )
        _insert(
            connection,
            LoanProduct,
            [
                {
                    "id": int(p.product_id),
                    "bank_id": int(bank_of[i]),
                    "code": f"P{p.product_id}",
                    "name": f"产品{p.product_id}",
                    "product_type": "credit",
                    "description": "",
                    "amount_min": p.amount_min,
                    "amount_max": p.amount_max,
                    "term_min_months": int(p.term_min),
                    "term_max_months": int(p.term_max),
                    "rate_min": p.rate_min,
                    "rate_max": p.rate_max,
                    "subject_types": list(p.subject_types),
                    "region_codes": list(p.region_codes),
                    "min_grade": p.min_grade,
                    "min_score": None if np.isnan(p.min_score) else int(p.min_score),
                    "tax_grades": list(p.tax_grades),
                    "min_years_operating": None if np.isnan(p.min_years) else int(p.min_years),
                    "collateral_required": bool(p.requires_collateral),
                    "guarantee_required": bool(p.requires_guarantee),
                    "valid_from": today - timedelta(days=30),
                    "status": "listed",
                    "created_by_id": 1,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "version": 1,
                }
                for i, p in enumerate(products.itertuples(index=False))
            ],
        )
        _insert(
            connection,
            FinancingNeed,
            [
                {
                    "id": int(n.need_id),
                    "subject_type": n.subject_type,
                    "subject_id": int(n.subject_id),
                    "region_code": n.region_code,
                    "amount": float(n.amount),
                    "term_months": int(n.term_months),
                    "purpose": "扩大种植",
                    "collateral": "house" if n.has_collateral else "none",
                    "collateral_note": "",
                    "guarantee": "person" if n.has_guarantee else "none",
                    "urgency": "normal",
                    "status": "open",
                    "created_by_id": 2,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "version": 1,
                }
                for n in needs.itertuples(index=False)
            ],
        )
        authorising = needs.drop_duplicates(["subject_type", "subject_id"]).iloc[::3]
        _insert(
            connection,
            Authorisation,
            [
                {
                    "subject_type": a.subject_type,
                    "subject_id": int(a.subject_id),
                    "bank_id": 1,
                    "purpose": "贷款审查",
                    "data_categories": ["file", "score"],
                    "explicit_consent": False,
                    "consent_text_version": "bench",
                    "granted_at": stamp - timedelta(days=1),
                    "expires_at": stamp + timedelta(days=90),
                    "granted_by_id": 2,
                }
                for a in authorising.itertuples(index=False)
            ],
        )
        points = needs.set_index("need_id")["score_points"]
        grades = needs.set_index("need_id")["credit_grade"]
        eligible = result.eligible.assign(bank_id=bank_of[result.eligible["product_id"] - 1])
        eligible["bank_rank"] = (
            eligible.sort_values(["need_id", "bank_id", "rank"])
            .groupby(["need_id", "bank_id"])
            .cumcount()
            + 1
        )
        _insert(
            connection,
            MatchResult,
            [
                {
                    "need_id": int(e.need_id),
                    "product_id": int(e.product_id),
                    "bank_id": int(e.bank_id),
                    "failures": 0,
                    "rank": int(e.rank),
                    "bank_rank": int(e.bank_rank),
                    "queue_order": -1 if np.isnan(points[e.need_id]) else int(points[e.need_id]),
                    "rank_key": float(e.rank_key),
                    "approval_chance": None
                    if np.isnan(e.approval_chance)
                    else float(e.approval_chance),
                    "need_version": 1,
                    "product_version": 1,
                    "score_points": None if np.isnan(points[e.need_id]) else int(points[e.need_id]),
                    "credit_grade": grades[e.need_id],
                    "matched_at": stamp,
                }
                for e in eligible.itertuples(index=False)
            ],
        )
    with app.app_context():
        refresh_planner_statistics()  # as after any bulk load (autovacuum would, later)
    return 1, len(eligible)


def measure(client, url: str) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (on a shared machine the wall
    time also counts waiting for a core; on SQLite the CPU time is the whole request)."""
    assert client.get(url).status_code == 200, url  # warm caches as a second visitor finds them
    wall, cpu = [], []
    for _ in range(REPEATS):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(wall), statistics.median(cpu)


def main(needs_count: int = 100_000, products_count: int = 800) -> None:
    for label, url in backends():
        app = bench_app(url)
        with app.app_context():
            upgrade()
        started = time.perf_counter()
        need_id, stored = load(app, needs_count, products_count)
        print(
            f"\n[matching pages, {label}] {needs_count:,} needs × {products_count:,} products, "
            f"{stored:,} eligible pairs stored (loaded in {time.perf_counter() - started:.0f} s)"
        )
        figures = {}
        for user, pages in {
            "bench_applicant": {"applicant match page": f"/needs/{need_id}/matches"},
            "bench_officer": {
                "officer queue page (50 rows)": "/officer/queue",
                "officer queue, filtered (grade AA, 600–650)": "/officer/queue?grade=AA&score=600-650",
                "officer queue, page 20": "/officer/queue?page=20",
            },
        }.items():
            client = app.test_client()
            response = client.post("/login", data={"username": user, "password": "bench-password"})
            assert response.status_code == 302, "bench login failed"
            for name, page in pages.items():
                figures[name] = measure(client, page)
        load_average = os.getloadavg()[0]
        for name, (ms, cpu) in figures.items():
            verdict = "OK" if ms < TARGET_MS else "OVER TARGET"
            print(
                f"  {name:<46} median {ms:7.1f} ms, CPU {cpu:6.1f} ms "
                f"(target < {TARGET_MS:.0f} ms: {verdict}; load average {load_average:.1f})"
            )
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=800)
    args = parser.parse_args()
    main(args.needs, args.products)
