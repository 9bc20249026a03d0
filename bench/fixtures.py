"""Databases for benchmarks: fresh temporary SQLite and PostgreSQL databases, migrated and
seeded with the demo county, so every benchmark measures against the same data."""

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from flask import Flask
from flask_migrate import upgrade

from agri_credit.config import DefaultConfig
from agri_credit.demo.loader import load_demo_county
from app import create_app
from models import generate_master_key

PG_ADMIN_DSN = os.environ.get(
    "BENCH_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def postgres_available() -> bool:
    try:
        psycopg.connect(PG_ADMIN_DSN, connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


def backends() -> Iterator[tuple[str, str]]:
    """(label, database URL) for a fresh SQLite file and, when reachable, a fresh PostgreSQL
    database. Each is removed when the caller moves on to the next or finishes the loop.
    BENCH_BACKENDS=sqlite (or postgresql) runs one of them only."""
    only = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").lower().split(",")
    if "sqlite" in only:
        with tempfile.TemporaryDirectory(prefix="agri_bench_") as folder:
            yield "SQLite", f"sqlite:///{Path(folder) / 'bench.db'}"
    if "postgresql" not in only:
        return
    if not postgres_available():
        print("PostgreSQL is not reachable on 127.0.0.1:5432; skipping it.")
        return
    name = f"agri_credit_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield "PostgreSQL", PG_URL.format(name=name)
    finally:
        # FORCE ends the connections the benchmark's app still holds in its pool.
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_app(url: str, id_key: str | None = None) -> Flask:
    """The app on `url`, configured like production but with throwaway secrets (`id_key`:
    the ID-number key of a database seeded before, reused)."""

    class BenchConfig(DefaultConfig):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = "bench-secret-key"
        ID_ENCRYPTION_KEY = id_key or generate_master_key()
        WTF_CSRF_ENABLED = False  # benchmarks post the login form without a page round trip

    app = create_app(BenchConfig)
    app.instance_path = tempfile.mkdtemp(prefix="agri_bench_instance_")
    return app


def seeded_app(url: str, households: int = 30_000, seed: int | None = None) -> Flask:
    """The app on a migrated database holding the demo county with `households` households."""
    app = bench_app(url)
    with app.app_context():
        upgrade()
        load_demo_county(
            seed=seed if seed is not None else app.config["DEMO_SEED"], households=households
        )
    return app
