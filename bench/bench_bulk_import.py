"""Benchmark: the one-sheet bulk files (村评议, assets, land, crops and livestock, insurance,
entities) at 10,000 rows, checked and imported, on SQLite and on PostgreSQL when reachable.
Target: under 10 s per upload, as the household sheet (bench_xlsx_import).

    python -m bench.bench_bulk_import [--rows 10000] [--no-postgres]

For each kind: parse + validate only, the service import of N new rows (against N filed
households), the re-import of the same sheet (everything unchanged), and once the real HTTP
path (test client POST of the same rows as CSV, replacing nothing: every row unchanged).
"""

import argparse
import csv
import io
import sys
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from openpyxl import load_workbook  # noqa: E402
from sqlalchemy import select  # noqa: E402

from agri_credit.config import TestConfig  # noqa: E402
from agri_credit.extensions import id_cipher  # noqa: E402
from agri_credit.household_import.bulk_batches import process_bulk_batch, read_bulk_upload  # noqa: E402
from agri_credit.household_import.services import store_upload  # noqa: E402
from app import create_app  # noqa: E402
from bench.bench_xlsx_import import (  # noqa: E402
    PASSWORD,
    VILLAGE,
    id_number,
    make_app,
    make_workbook,
    postgres_database,
    postgres_reachable,
    service_import,
    sqlite_database,
    timed,
)
from bench.memory import peak_rss_mb  # noqa: E402
from models import User, clock, db  # noqa: E402
from village_forms.bulk_sheets import BULK_SHEETS, build_bulk_template  # noqa: E402
from village_forms.identifiers import uscc_check_char  # noqa: E402

YEAR = clock.today().year


def row_values(kind: str, i: int) -> dict[str, Any]:
    head = {"head_id_number": id_number(i), "head_name": f"杨{i:05d}"}
    if kind == "evaluations":
        return {
            **head,
            "year": YEAR,
            "law_abiding": 20 + i % 6,
            "neighbourliness": 18 + i % 8,
            "elder_care": 22,
            "diligence": 15 + i % 11,
            "overall": ("优秀", "较好", "一般")[i % 3],
            "remarks": "",
        }
    if kind == "assets":
        return {**head, "kind": "农机具", "description": f"拖拉机{i % 3}", "value": 10000 + i}
    if kind == "land":
        return {**head, "land_type": "流转地", "area_mu": 5 + i % 40}
    if kind == "production":
        return {**head, "kind": "养殖", "name": "奶山羊", "quantity": 10 + i % 90, "unit": "只"}
    if kind == "insurance":
        return {
            **head,
            "kind": "种植险",
            "insurer": "人保财险",
            "insured_amount": 12000,
            "year": YEAR,
        }
    body = f"93610528MA{i:07d}"
    return {
        "entity_type": "农民专业合作社",
        "name": f"基准村第{i}合作社",
        "uscc": body + uscc_check_char(body),
        "operator_name": f"杨{i:05d}",
        "operator_id_number": id_number(i),
        "phone": "13912345678",
        "founded_on": "2016-04-01",
        "member_count": 20 + i % 50,
        "land_mu": 100 + i % 500,
        "annual_revenue": 1_000_000 + i,
        "keeps_books": "是",
    }


def make_sheet(kind: str, rows: int) -> bytes:
    spec = BULK_SHEETS[kind]
    wb = load_workbook(BytesIO(build_bulk_template(spec, "基准村", rows)))
    ws = wb[spec.sheet]
    for i in range(rows):
        values = row_values(kind, i)
        ws.append([values.get(c.key) for c in spec.columns])
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def make_csv(kind: str, rows: int) -> bytes:
    spec = BULK_SHEETS[kind]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([c.header for c in spec.columns])
    for i in range(rows):
        values = row_values(kind, i)
        writer.writerow(["" if values.get(c.key) is None else values[c.key] for c in spec.columns])
    return text.getvalue().encode("utf-8")


def service_bulk(kind: str, content: bytes, user_id: int, max_rows: int):
    """The whole upload through the service: read, check, plan, bulk write, commit."""
    spec = BULK_SHEETS[kind]
    batch = store_upload(db.session, content, "bench.xlsx", user_id, VILLAGE, id_cipher(), kind)
    parsed = read_bulk_upload(content, spec, max_rows)
    process_bulk_batch(
        db.session, batch, spec, content, id_cipher(), user_id, max_rows, False, parsed=parsed
    )
    db.session.commit()
    assert batch.status == "imported", batch.errors[:3]
    return batch


def run_backend(name: str, url: str, households: bytes, sheets: dict, rows: int) -> dict:
    results: dict[str, float] = {}
    print(f"[{name}]")
    with tempfile.TemporaryDirectory() as instance:
        app = make_app(url, instance)
        max_rows = max(app.config["XLSX_MAX_ROWS"], rows)
        app.config["XLSX_MAX_ROWS"] = max_rows
        with app.test_request_context():
            user_id = db.session.scalar(select(User.id))
            service_import(households, user_id, max_rows)  # the files the rows name
            for kind, (content, _) in sheets.items():
                spec = BULK_SHEETS[kind]
                timed(
                    f"{kind}: parse + validate only",
                    lambda c=content, s=spec: read_bulk_upload(c, s, max_rows),
                    results,
                )
                batch = timed(
                    f"{kind}: service import ({rows} rows)",
                    lambda k=kind, c=content: service_bulk(k, c, user_id, max_rows),
                    results,
                )
                assert batch.rows_valid == rows and not batch.errors, batch.errors[:3]
                batch = timed(
                    f"{kind}: re-import of the same sheet",
                    lambda k=kind, c=content: service_bulk(k, c, user_id, max_rows),
                    results,
                )
                assert batch.rows_unchanged == rows, batch.rows_unchanged
        client = app.test_client()
        client.post("/login", data={"username": "bench_cadre", "password": PASSWORD})
        for kind, (_, csv_content) in sheets.items():

            def post(k=kind, c=csv_content) -> None:
                response = client.post(
                    f"/imports/bulk/{k}",
                    data={"file": (BytesIO(c), "bench.csv")},
                    content_type="multipart/form-data",
                )
                assert response.status_code == 302, response.status_code

            timed(f"{kind}: HTTP POST of the CSV (unchanged)", post, results)
        with app.app_context():
            db.engine.dispose()
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--kinds", default=",".join(BULK_SHEETS))
    args = parser.parse_args(argv)
    app = create_app(TestConfig)
    with app.test_request_context():
        households = make_workbook(args.rows, members_per_household=0)
        sheets = {
            k: (make_sheet(k, args.rows), make_csv(k, args.rows)) for k in args.kinds.split(",")
        }
    sizes = ", ".join(f"{k} {len(x) / 1e6:.1f} MB" for k, (x, _) in sheets.items())
    print(f"{args.rows} rows per sheet: {sizes}")
    results: dict[str, Any] = {"rows": args.rows}
    with sqlite_database() as url:
        results["sqlite"] = run_backend("sqlite", url, households, sheets, args.rows)
    if not args.no_postgres and postgres_reachable():
        with postgres_database() as url:
            results["postgresql"] = run_backend("postgresql", url, households, sheets, args.rows)
    elif not args.no_postgres:
        print("[postgresql] not reachable, skipped")
    results["peak_rss_mb"] = round(peak_rss_mb())
    print(f"peak RSS of the whole run: {results['peak_rss_mb']} MB")
    return results


if __name__ == "__main__":
    main()
