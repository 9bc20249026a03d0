"""Data-coverage dashboard with 200,000 households and ~2.3 departmental rows per household.

On top of the demo county, one county-wide electricity batch (two months for nine in ten
households), one water batch (half the households), a tax batch for every entity and 10,000
numbers nobody has a file for are written with set-based Core inserts; every village gets a
registered-household count. Then the page and its XLSX export are timed for the county credit
office, a township office and a village cadre.

Target (issue 3): median under 1 s through the test client, on SQLite and PostgreSQL.
Run: .venv/bin/python -m bench.bench_data_coverage [--households N]
"""

import argparse
import hashlib
import statistics
import time
from datetime import datetime

from sqlalchemy import Integer, cast, func, insert, literal, select, update

from bench.fixtures import backends, seeded_app
from models import (
    AgriEntity,
    BatchStatus,
    Household,
    ImportBatch,
    Region,
    RegionLevel,
    Role,
    Source,
    SubjectKey,
    TaxRecord,
    User,
    UtilityRecord,
    db,
    refresh_planner_statistics,
)

REPEATS = 9
TARGET_MS = 1000
STRANGERS = 10_000
PAGES = {"page": "/dashboard/data", "xlsx export": "/dashboard/data.xlsx"}


def _batch(user_id: int, source: Source, scope_code: str) -> int:
    return db.session.execute(
        insert(ImportBatch).returning(ImportBatch.id),
        {
            "source": source.value,
            "user_id": user_id,
            "scope_code": scope_code,
            "filename": f"bench-{source.value}.csv",
            "sha256": hashlib.sha256(source.value.encode()).hexdigest(),
            "status": BatchStatus.IMPORTED.value,
            "finished_at": datetime(2025, 3, 1),
            "created_at": datetime(2025, 3, 1),
        },
    ).scalar_one()


def _utility_rows(batch_id: int, source: Source, year: int, month: int, every: int, skip: int):
    """INSERT … SELECT one row per subject key whose id modulo `every` is not `skip`."""
    keys = select(
        literal(batch_id),
        SubjectKey.id,
        literal(source.value),
        literal(""),
        literal(year),
        literal(month),
        literal(120),
        literal(66),
        SubjectKey.id,
        literal(0),
    ).where(cast(SubjectKey.id, Integer) % every != skip)
    columns = ["batch_id", "subject_key_id", "utility", "account_no", "year", "month"]
    columns += ["consumption", "billed", "fingerprint", "row_number"]
    db.session.execute(insert(UtilityRecord).from_select(columns, keys))


def record_rows(*models) -> None:
    """Set each batch's rows_inserted as the importer would have: every row here is new."""
    for model in models:
        for batch_id, rows in db.session.execute(
            select(model.batch_id, func.count()).group_by(model.batch_id)
        ).all():
            db.session.execute(
                update(ImportBatch).where(ImportBatch.id == batch_id).values(rows_inserted=rows)
            )


def add_departmental_data() -> dict[str, int]:
    """Write the departmental rows in bulk and return the counts written."""
    office = db.session.scalar(select(User).where(User.role == Role.OFFICE).order_by(User.id))
    county = office.scope_code[:6].ljust(12, "0")
    now = datetime(2025, 3, 1)
    db.session.execute(
        update(Region)
        .where(Region.level == RegionLevel.VILLAGE)
        .values(registered_households=800 + cast(func.length(Region.name), Integer) * 7)
    )
    db.session.execute(
        insert(SubjectKey).from_select(
            ["id_hash", "masked", "name", "household_id", "created_at"],
            select(
                Household.head_id_hash,
                Household.head_id_masked,
                Household.head_name,
                Household.id,
                literal(now),
            ),
        )
    )
    db.session.execute(
        insert(SubjectKey).from_select(
            ["uscc", "masked", "name", "entity_id", "created_at"],
            select(
                AgriEntity.uscc, AgriEntity.uscc, AgriEntity.name, AgriEntity.id, literal(now)
            ).where(AgriEntity.uscc.is_not(None)),
        )
    )
    db.session.execute(
        insert(SubjectKey),
        [
            {
                "id_hash": hashlib.sha256(f"stranger-{i}".encode()).hexdigest(),
                "masked": "6105**********0000",
                "created_at": now,
            }
            for i in range(STRANGERS)
        ],
    )
    power = _batch(office.id, Source.ELECTRICITY, county)
    water = _batch(office.id, Source.WATER, county)
    tax = _batch(office.id, Source.TAX, county)
    _utility_rows(power, Source.ELECTRICITY, 2025, 1, every=10, skip=0)
    _utility_rows(power, Source.ELECTRICITY, 2025, 2, every=10, skip=0)
    _utility_rows(water, Source.WATER, 2025, 2, every=2, skip=1)
    db.session.execute(
        insert(TaxRecord).from_select(
            ["batch_id", "subject_key_id", "year", "month", "tax_paid", "fingerprint"],
            select(
                literal(tax), SubjectKey.id, literal(2024), literal(0), literal(1200), SubjectKey.id
            ).where(SubjectKey.uscc.is_not(None)),
        )
    )
    record_rows(UtilityRecord, TaxRecord)
    db.session.commit()
    refresh_planner_statistics()
    return {
        "subject keys": db.session.scalar(select(func.count()).select_from(SubjectKey)),
        "utility rows": db.session.scalar(select(func.count()).select_from(UtilityRecord)),
        "tax rows": db.session.scalar(select(func.count()).select_from(TaxRecord)),
    }


def login_as(app, role: Role, level: RegionLevel):
    """A client logged in as a fresh user of `role` scoped to the first region of `level`."""
    username = f"bench_{role.value}_{level.value}"
    with app.app_context():
        scope = db.session.scalar(
            select(Region.code).where(Region.level == level).order_by(Region.code)
        )
        if db.session.scalar(select(User).where(User.username == username)) is None:
            user = User(username=username, display_name="基准测试", role=role, scope_code=scope)
            user.set_password("bench-password")
            db.session.add(user)
            db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": "bench-password"})
    assert response.status_code == 302, "bench login failed"
    return client


def measure(client, url: str) -> float:
    client.get(url)  # warm caches the way a second visitor would find them
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings)


def main(households: int = 200_000) -> None:
    for name, url in backends():
        app = seeded_app(url, households=households)
        with app.app_context():
            started = time.perf_counter()
            written = add_departmental_data()
            elapsed = time.perf_counter() - started
        summary = ", ".join(f"{n:,} {label}" for label, n in written.items())
        print(f"\n[data coverage] {name}, {households:,} households, median of {REPEATS}")
        print(f"  departmental data: {summary} (written in {elapsed:.1f} s)")
        viewers = {
            "county office": login_as(app, Role.OFFICE, RegionLevel.COUNTY),
            "township office": login_as(app, Role.OFFICE, RegionLevel.TOWNSHIP),
            "village cadre": login_as(app, Role.CADRE, RegionLevel.VILLAGE),
        }
        worst = 0.0
        for viewer, client in viewers.items():
            for label, page in PAGES.items():
                median = measure(client, page)
                worst = max(worst, median)
                print(f"  {viewer + ', ' + label:<40} {median:7.1f} ms")
        verdict = "OK" if worst < TARGET_MS else "OVER TARGET"
        print(f"  worst median {worst:.1f} ms (target < {TARGET_MS} ms): {verdict}")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=200_000)
    main(parser.parse_args().households)
