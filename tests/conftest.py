"""Fixtures: the whole suite that touches the database runs once on SQLite and once on the
real PostgreSQL server (when reachable), each schema built by the Alembic migrations."""

import os
import re
import uuid

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from agri_credit.config import TestConfig
from agri_credit.extensions import id_cipher, limiter
from app import create_app
from models import Role, db
from tests import factories as f

PG_ADMIN_DSN = os.environ.get(
    "TEST_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)


def postgres_available() -> bool:
    try:
        psycopg.connect(PG_ADMIN_DSN, connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db')}/test.db"
        return
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432; CI requires it")
        pytest.skip("PostgreSQL is not reachable")
    name = f"agri_credit_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_app(database_url, tmp_path_factory):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(Config)
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_all_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f"DELETE FROM {table}"))
    db.session.commit()


@pytest.fixture
def app(migrated_app):
    limiter.reset()  # login throttling counts (in memory) start afresh for each test
    with migrated_app.app_context():
        f.build_region_tree()
        db.session.commit()
        yield migrated_app
        db.session.rollback()
        _empty_all_tables()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def cipher(app):
    return id_cipher()


@pytest.fixture
def users(app):
    """One user per role; two cadres in neighbouring villages to test scope."""
    made = {
        "cadre": f.make_user("cadre_a", Role.CADRE, f.VILLAGE_A, display_name="杨书记"),
        "cadre_b": f.make_user("cadre_b", Role.CADRE, f.VILLAGE_B, display_name="李主任"),
        "township": f.make_user(
            "office_town", Role.OFFICE, f.TOWNSHIP_A, display_name="庄里镇信用办"
        ),
        "office": f.make_user("office_county", Role.OFFICE, f.COUNTY, display_name="县信用办"),
        "officer": f.make_user(
            "officer", Role.OFFICER, f.COUNTY, organisation="富平县农村信用合作联社"
        ),
        "applicant": f.make_user("applicant", Role.APPLICANT, f.VILLAGE_A),
    }
    db.session.commit()
    return made


def csrf_token(page: str) -> str | None:
    """The CSRF token a page's form carries (None when the test config has CSRF off)."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    return match.group(1) if match else None


@pytest.fixture
def csrf_on(app, monkeypatch):
    """Production behaviour for forms and uploads: every post needs its page's token."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    return app


def login(client, username: str):
    """Log in through the form, with its CSRF token when the page carries one."""
    data = {"username": username, "password": f.PASSWORD}
    if token := csrf_token(client.get("/login").get_data(as_text=True)):
        data["csrf_token"] = token
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def as_cadre(client, users):
    return login(client, "cadre_a")


@pytest.fixture
def as_office(client, users):
    return login(client, "office_county")
