"""The bank API's list calls with 100,000 open needs and 800 listed products loaded, on
SQLite and PostgreSQL (the data of bench_matching_pages: a third of the subjects authorise
bank 1, which lists 40 of the products).

Target (issue 15): an API list call under 100 ms median. Each call is measured whole:
token check, query, JSON, and the token's call log written and committed.
Run: .venv/bin/python -m bench.bench_api [--needs N] [--products N]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from flask_migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_matching_pages import load  # noqa: E402
from bench.fixtures import backends, bench_app  # noqa: E402
from loans.api.tokens import create_token  # noqa: E402
from models import User, db, refresh_planner_statistics  # noqa: E402

REPEATS, TARGET_MS = 15, 100.0
CALLS = {
    "GET /api/v1/needs (50 rows)": "/api/v1/needs",
    "GET /api/v1/needs?grade=AA&score_band=600-650": "/api/v1/needs?grade=AA&score_band=600-650",
    "GET /api/v1/needs?page=20": "/api/v1/needs?page=20",
    "GET /api/v1/needs?per_page=100": "/api/v1/needs?per_page=100",
    "GET /api/v1/products": "/api/v1/products",
}


def measure(client, url: str, headers: dict[str, str]) -> tuple[float, float]:
    """Median wall time and median CPU time of this process (on SQLite the CPU time is the
    whole call; the wall time on a shared machine also counts waiting for a core)."""
    assert client.get(url, headers=headers).status_code == 200, url  # warm caches
    wall, cpu = [], []
    for _ in range(REPEATS):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(wall), statistics.median(cpu)


def main(needs_count: int = 100_000, products_count: int = 800) -> None:
    for label, url in backends():
        app = bench_app(url)
        app.config["API_RATE_LIMIT"] = "100000 per minute"
        with app.app_context():
            upgrade()
        started = time.perf_counter()
        _need_id, stored = load(app, needs_count, products_count)
        print(
            f"\n[bank API, {label}] {needs_count:,} needs × {products_count:,} products, "
            f"{stored:,} eligible pairs stored (loaded in {time.perf_counter() - started:.0f} s)"
        )
        with app.app_context():
            refresh_planner_statistics()  # as after any bulk load
            officer = db.session.scalar(db.select(User).where(User.username == "bench_officer"))
            secret = create_token(officer, "bench", ["needs:read", "products:read"]).secret
            db.session.commit()
        headers = {"Authorization": f"Bearer {secret}"}
        client = app.test_client()
        for name, call in CALLS.items():
            ms, cpu = measure(client, call, headers)
            verdict = "OK" if ms < TARGET_MS else "OVER TARGET"
            print(
                f"  {name:<48} median {ms:7.1f} ms, CPU {cpu:6.1f} ms "
                f"(target < {TARGET_MS:.0f} ms: {verdict}; load average {os.getloadavg()[0]:.1f})"
            )
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=800)
    args = parser.parse_args()
    main(args.needs, args.products)
