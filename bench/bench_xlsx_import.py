"""Benchmark: a 5,000-household XLSX (with members) checked and imported, on SQLite and on
PostgreSQL when reachable. Target: under 10 s per upload, peak memory under 500 MB.

    python -m bench.bench_xlsx_import [--rows 5000] [--no-postgres]

Times the service path (parse, plan against the database, bulk write, commit), a re-upload of
the same sheet (everything unchanged), and once the real HTTP path (test client POST).
"""

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a script as well as with -m
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from openpyxl import load_workbook  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from agri_credit.config import TestConfig  # noqa: E402
from agri_credit.extensions import id_cipher  # noqa: E402
from agri_credit.household_import import services  # noqa: E402
from app import create_app  # noqa: E402
from bench.memory import peak_rss_mb  # noqa: E402
from models import Household, HouseholdMember, Region, RegionLevel, Role, User, db  # noqa: E402
from village_forms import household_fields as hf  # noqa: E402
from village_forms.household_sheet import (  # noqa: E402
    HOUSEHOLD_COLUMNS,
    MEMBER_COLUMNS,
    build_template,
)
from village_forms.household_sheet_reader import parse_workbook  # noqa: E402
from village_forms.identifiers import id_check_char  # noqa: E402

PG_ADMIN_DSN = os.environ.get(
    "BENCH_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)
COUNTY, VILLAGE = "610528", "610528100001"
PASSWORD = "bench-password"
TARGET_SECONDS, TARGET_MB = 10.0, 500
EDIT_EVERY = 10


def id_number(serial: int) -> str:
    """Unique, valid 身份证号: one birth date per serial (same rule as tests.factories)."""
    born = date(1940, 1, 1) + timedelta(days=serial)
    body = f"{COUNTY}{born:%Y%m%d}011"
    return body + id_check_char(body)


def make_workbook(rows: int, members_per_household: int = 2, edit_every: int = 0) -> bytes:
    """A filled-in copy of the real template: `rows` households, each with members.
    `edit_every` > 0 changes the phone of every n-th household (an edited re-upload)."""
    wb = load_workbook(BytesIO(build_template("基准村", max(rows, 5000))))
    households, members = wb["农户"], wb["家庭成员"]
    for i in range(rows):
        head_id = id_number(i)
        values = {
            "group_name": hf.GROUPS[i % len(hf.GROUPS)],
            "head_name": f"杨{i:05d}",
            "head_id_number": head_id,
            "phone": f"13{8 if edit_every and i % edit_every == 0 else 9}{i:08d}",
            "address": f"基准村{i % 12 + 1}组{i}号",
            "registration_type": hf.REGISTRATION_TYPES[0],
            "housing": hf.HOUSING[i % len(hf.HOUSING)],
            "head_education": hf.EDUCATION[i % len(hf.EDUCATION)],
            "head_health": hf.HEALTH[i % 3],
            "house_area_m2": 80 + i % 120,
            "land_contracted_mu": round(2 + (i % 50) / 4, 2),
            "land_transferred_mu": i % 7 or None,
            "income_crops": 10_000 + i % 40_000,
            "income_wages": 20_000 + i % 30_000,
            "annual_spending": 15_000 + i % 20_000,
        }
        households.append([values.get(c.key) for c in HOUSEHOLD_COLUMNS])
        for j in range(members_per_household):
            member = {
                "head_id_number": head_id,
                "name": f"王{i:05d}{j}",
                "id_number": id_number(15_000 + i * members_per_household + j),
                "relation": hf.RELATIONS[j % len(hf.RELATIONS)],
                "health": hf.HEALTH[0],
                "labour_ability": hf.LABOUR_ABILITY[j % 3],
                "occupation": "务农",
            }
            members.append([member.get(c.key) for c in MEMBER_COLUMNS])
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---- databases --------------------------------------------------------------------------------


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{tmp}/bench.db"


def postgres_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_DSN, connect_timeout=3).close()
        return True
    except Exception:
        return False


@contextmanager
def postgres_database() -> Iterator[str]:
    import psycopg

    name = f"agri_credit_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_app(url: str, instance: str) -> Flask:
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        TESTING = False  # the real error handling, as in production

    app = create_app(Config)
    app.instance_path = instance
    with app.app_context():
        upgrade()
        regions = [
            ("610000000000", "陕西省", RegionLevel.PROVINCE, None),
            ("610500000000", "渭南市", RegionLevel.CITY, "610000000000"),
            ("610528000000", "富平县", RegionLevel.COUNTY, "610500000000"),
            ("610528100000", "庄里镇", RegionLevel.TOWNSHIP, "610528000000"),
            (VILLAGE, "基准村", RegionLevel.VILLAGE, "610528100000"),
        ]
        for code, name, level, parent in regions:
            db.session.add(Region(code=code, name=name, level=level, parent_code=parent))
        db.session.flush()
        db.session.add(
            User(
                username="bench_cadre",
                display_name="基准村干部",
                password_hash=generate_password_hash(PASSWORD),
                role=Role.CADRE,
                scope_code=VILLAGE,
            )
        )
        db.session.commit()
    return app


def empty_files() -> None:
    for table in ("audit_events", "household_members", "households", "upload_batches"):
        db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()


# ---- measuring --------------------------------------------------------------------------------


def timed(label: str, action: Callable[[], Any], results: dict[str, float]) -> Any:
    start = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - start
    results[label] = round(seconds, 3)
    flag = "" if seconds < TARGET_SECONDS else "  <-- over target"
    print(f"  {label:<46} {seconds:7.2f} s   peak RSS {peak_rss_mb():6.0f} MB{flag}")
    return value


def service_import(content: bytes, user_id: int, max_rows: int) -> services.ImportCounts:
    """The whole upload through the service: parse, plan, bulk write, commit."""
    parsed = parse_workbook(content, max_rows)
    assert not parsed.errors, parsed.errors[:3]
    plan, errors = services.check_upload(db.session, parsed, id_cipher(), VILLAGE)
    assert not errors, errors[:3]
    counts = services.apply_plan(db.session, plan, id_cipher(), user_id)
    db.session.commit()
    return counts


def run_backend(name: str, url: str, content: bytes, edited: bytes, rows: int) -> dict[str, float]:
    results: dict[str, float] = {}
    print(f"[{name}]")
    with tempfile.TemporaryDirectory() as instance:
        app = make_app(url, instance)
        max_rows = max(app.config["XLSX_MAX_ROWS"], rows * 3)
        app.config["XLSX_MAX_ROWS"] = max_rows
        with app.test_request_context():
            user_id = db.session.scalar(select(User.id))
            timed("parse + validate only", lambda: parse_workbook(content, max_rows), results)
            counts = timed(
                f"service import ({rows} new)",
                lambda: service_import(content, user_id, max_rows),
                results,
            )
            assert counts.inserted == rows, counts
            counts = timed(
                "service re-import of the same sheet",
                lambda: service_import(content, user_id, max_rows),
                results,
            )
            assert counts.unchanged == rows and not counts.inserted and not counts.updated
            counts = timed(
                f"service re-import, {rows // EDIT_EVERY} phones edited",
                lambda: service_import(edited, user_id, max_rows),
                results,
            )
            assert counts.updated == rows // EDIT_EVERY, counts
            assert db.session.scalar(select(func.count()).select_from(Household)) == rows
            members = db.session.scalar(select(func.count()).select_from(HouseholdMember))
            empty_files()

        client = app.test_client()
        client.post("/login", data={"username": "bench_cadre", "password": PASSWORD})

        def post() -> None:
            response = client.post(
                "/imports/households",
                data={"file": (BytesIO(content), "bench.xlsx")},
                content_type="multipart/form-data",
            )
            assert response.status_code == 302, response.status_code

        timed(f"HTTP POST /imports/households ({rows} new)", post, results)
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Household)) == rows
            db.engine.dispose()
    print(f"  ({rows} households, {members} members)")
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)

    app = create_app(TestConfig)
    with app.test_request_context():
        start = time.perf_counter()
        content = make_workbook(args.rows)
        edited = make_workbook(args.rows, edit_every=EDIT_EVERY)
    print(
        f"workbooks: {args.rows} households, {len(content) / 1e6:.1f} MB, "
        f"built in {time.perf_counter() - start:.1f} s"
    )
    results: dict[str, Any] = {"rows": args.rows, "xlsx_bytes": len(content)}
    with sqlite_database() as url:
        results["sqlite"] = run_backend("sqlite", url, content, edited, args.rows)
    if args.no_postgres:
        pass
    elif postgres_reachable():
        with postgres_database() as url:
            results["postgresql"] = run_backend("postgresql", url, content, edited, args.rows)
    else:
        print("[postgresql] not reachable, skipped")
    results["peak_rss_mb"] = round(peak_rss_mb())
    verdict = "OK" if results["peak_rss_mb"] < TARGET_MB else "OVER TARGET"
    print(
        f"peak RSS of the whole run: {results['peak_rss_mb']} MB (target < {TARGET_MB}) {verdict}"
    )
    return results


if __name__ == "__main__":
    main()
