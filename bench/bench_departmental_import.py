"""Benchmark: 1,000,000 electricity rows from a department-style CSV imported through the real
importer (parse, validate, match, stage, merge, one transaction), on SQLite and on PostgreSQL
when reachable, into a database holding the 30,000-household demo county. Targets: under 60 s
per backend, peak memory under 1 GB.

Next to it, the same rows loaded raw into a bare table by the backend's bulk path (SQLite
executemany, PostgreSQL COPY), measured in the same run, and the importer's rows/s as a
ratio of the raw rows/s.

    python -m bench.bench_departmental_import [--rows 1000000] [--no-postgres]

Each import runs in a child process so that its peak RSS is its own.
"""

import argparse
import csv
import io
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # runnable as a script as well as with -m
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from agri_credit.config import DefaultConfig  # noqa: E402
from agri_credit.demo.loader import load_demo_county  # noqa: E402
from app import create_app  # noqa: E402
from bench.bench_rating_run import run_child  # noqa: E402
from bench.fixtures import backends  # noqa: E402
from bench.memory import peak_rss_mb  # noqa: E402
from models import Household, User, db, generate_master_key  # noqa: E402

HEADERS = [
    "户号",
    "户名",
    "证件号码",
    "抄表年月",
    "抄见电量(千瓦时)",
    "应收电费(元)",
    "实缴日期",
    "欠费天数",
]
MAPPING = {
    "account_no": "户号",
    "subject_name": "户名",
    "subject_code": "证件号码",
    "period": "抄表年月",
    "consumption": "抄见电量(千瓦时)",
    "billed": "应收电费(元)",
    "paid_on": "实缴日期",
    "days_late": "欠费天数",
}
MONTHS = 24
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.array(list("10X98765432"))


def make_app(url: str, key: str):
    class Config(DefaultConfig):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = "bench-secret-key"
        ID_ENCRYPTION_KEY = key

    return create_app(Config)


def synthetic_ids(count: int, rng: np.random.Generator) -> np.ndarray:
    """Valid GB 11643 numbers from outside the demo county (area 610104)."""
    born = pd.to_datetime("1950-01-01") + pd.to_timedelta(rng.integers(0, 20000, count), "D")
    body = (
        "610104"
        + pd.Series(born.strftime("%Y%m%d"))
        + pd.Series(np.arange(count) % 1000).astype(str).str.zfill(3)
    )
    digits = np.array([list(b) for b in body], dtype=np.int64)
    check = ID_CHECK[(digits @ ID_WEIGHTS) % 11]
    ids = (body + pd.Series(check)).to_numpy(dtype=object)
    return np.unique(ids)[:count]


def write_file(path: Path, ids: np.ndarray, names: np.ndarray, rows: int, seed: int) -> None:
    """`rows` monthly bills (24 months per subject), written in chunks."""
    rng = np.random.default_rng(seed)
    subjects = -(-rows // MONTHS)
    ids, names = ids[:subjects], names[:subjects]
    written = 0
    with open(path, "w", encoding="gb18030", newline="") as handle:
        csv.writer(handle).writerow(HEADERS)
        for first in range(0, subjects, 20_000):
            who = np.arange(first, min(first + 20_000, subjects))
            n = len(who) * MONTHS
            subject = np.repeat(who, MONTHS)
            month_index = np.tile(np.arange(MONTHS), len(who))
            year = 2024 + month_index // 12
            month = month_index % 12 + 1
            use = rng.gamma(4, 40, n).round(1)
            late = np.where(rng.random(n) < 0.04, rng.integers(1, 90, n), 0)
            paid = (
                pd.to_datetime({"year": year, "month": month, "day": 1})
                + pd.offsets.MonthEnd(1)
                + pd.to_timedelta(rng.integers(1, 25, n) + late, "D")
            )
            frame = pd.DataFrame(
                {
                    "户号": pd.Series(subject + 10_000_000).astype(str).to_numpy(),
                    "户名": names[subject],
                    "证件号码": ids[subject],
                    "抄表年月": year * 100 + month,
                    "电量": use,
                    "电费": (use * 0.4983).round(2),
                    "缴费": paid.dt.strftime("%Y-%m-%d").to_numpy(),
                    "欠费天数": late,
                }
            ).head(rows - written)
            frame.to_csv(handle, header=False, index=False)
            written += len(frame)


def child(url: str, key: str, path: str, user_id: int) -> None:
    """Run one import and the raw load; print figures as JSON."""
    from agri_credit.departmental.importer import import_file

    app = make_app(url, key)
    with app.app_context():
        user = db.session.get(User, user_id)
        started = time.perf_counter()
        batch = import_file(
            Path(path), source="electricity", columns=MAPPING, user=user, scope_code=user.scope_code
        )
        seconds = time.perf_counter() - started
        figures = {
            "status": batch.status,
            "message": batch.message,
            "rows": batch.rows_read,
            "inserted": batch.rows_inserted,
            "unmatched": batch.rows_unmatched,
            "seconds": seconds,
            "peak_mb": peak_rss_mb(),
        }
        started = time.perf_counter()
        again = import_file(
            Path(path), source="electricity", columns=MAPPING, user=user, scope_code=user.scope_code
        )
        figures["reimport_seconds"] = time.perf_counter() - started
        figures["reimport_unchanged"] = again.rows_unchanged
        figures["raw_seconds"] = raw_load(Path(path))
        figures["peak_mb_all"] = peak_rss_mb()
    print("FIGURES " + json.dumps(figures), flush=True)


def raw_load(path: Path) -> float:
    """The same rows, read by pandas in chunks and bulk-loaded into a bare table with no
    validation, keys or indexes: the floor the importer is compared with."""
    conn = db.engine.raw_connection()
    postgres = db.engine.dialect.name == "postgresql"
    cursor = conn.cursor()
    cursor.execute("DROP TABLE IF EXISTS raw_utility")
    cursor.execute(
        "CREATE TABLE raw_utility (account_no varchar(40), name varchar(100), "
        "id_number varchar(18), period integer, consumption numeric(14,2), "
        "billed numeric(14,2), paid_on date, days_late integer)"
    )
    conn.commit()
    started = time.perf_counter()
    for chunk in pd.read_csv(path, encoding="gb18030", dtype=str, chunksize=100_000):
        if postgres:
            buffer = io.StringIO()
            chunk.to_csv(buffer, header=False, index=False)
            with cursor.copy("COPY raw_utility FROM STDIN (FORMAT csv)") as copy:
                copy.write(buffer.getvalue())
        else:
            cursor.executemany(
                "INSERT INTO raw_utility VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                chunk.itertuples(index=False, name=None),
            )
    conn.commit()
    seconds = time.perf_counter() - started
    cursor.execute("DROP TABLE raw_utility")
    conn.commit()
    conn.close()
    return seconds


def run(label: str, url: str, rows: int, folder: Path) -> None:
    key = generate_master_key()
    app = make_app(url, key)
    with app.app_context():
        upgrade()
        load_demo_county(seed=app.config["DEMO_SEED"], households=30_000)
        from agri_credit.extensions import id_cipher

        cipher = id_cipher()
        known = [cipher.decrypt(c) for c in db.session.scalars(select(Household.head_id_cipher))]
        names = list(db.session.scalars(select(Household.head_name)))
        office_id = db.session.scalar(select(User.id).where(User.username == "county_office"))
        db.session.remove()
        db.engine.dispose()
    rng = np.random.default_rng(7)
    strangers = synthetic_ids(max(rows // MONTHS - len(known), 1) + 1000, rng)
    ids = np.concatenate([np.array(known, dtype=object), strangers])
    names = np.concatenate(
        [np.array(names, dtype=object), np.array(["外来户"] * len(strangers), dtype=object)]
    )
    path = folder / f"electricity_{label}.csv"
    write_file(path, ids, names, rows, seed=11)
    size_mb = path.stat().st_size / 1e6
    fig = run_child("bench.bench_departmental_import", url, key, path, office_id)
    rate = fig["rows"] / fig["seconds"]
    raw_rate = fig["rows"] / fig["raw_seconds"]
    print(
        f"{label:10} {fig['rows']:>9,} rows ({size_mb:.0f} MB CSV): import {fig['seconds']:.1f} s "
        f"= {rate:,.0f} rows/s, status {fig['status']} inserted {fig['inserted']:,} "
        f"unmatched {fig['unmatched']:,}; peak RSS {fig['peak_mb']:.0f} MB"
    )
    print(
        f"{'':10} raw bulk load ({'COPY' if label == 'PostgreSQL' else 'executemany'}) "
        f"{fig['raw_seconds']:.1f} s = {raw_rate:,.0f} rows/s; importer/raw = "
        f"{rate / raw_rate:.2f}; re-import unchanged {fig['reimport_unchanged']:,} in "
        f"{fig['reimport_seconds']:.1f} s"
    )
    path.unlink()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("URL", "KEY", "FILE", "USER"))
    args = parser.parse_args(argv if argv is not None else [])
    if args.child:
        url, key, path, user_id = args.child
        child(url, key, path, int(user_id))
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="agri_bench_files_") as folder:
        for label, url in backends():
            if args.no_postgres and label == "PostgreSQL":
                continue
            run(label, url, args.rows, Path(folder))


if __name__ == "__main__":
    main(sys.argv[1:])
    os._exit(0)
