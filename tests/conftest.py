"""Fixtures: the whole suite that touches the database runs once on SQLite and once on the
real PostgreSQL server (when reachable), each schema built by the Alembic migrations.

Isolation: the region tree is built once per backend and kept. Each test then runs inside one
transaction on one connection that is rolled back at the end; the Flask-SQLAlchemy session is
joined to it with a SAVEPOINT, so a `db.session.commit()` in the app releases the savepoint
and the test sees its effect, and nothing of it survives the test (SQLAlchemy's "Joining a
Session into an External Transaction"). Code that writes through a connection of its own
(the departmental importer, threads, a second app) cannot be seen through that transaction:
such a test is marked `real_commits` and gets the old way, real commits and every table
emptied afterwards. A test not so marked that writes through another connection is failed, and
the tables emptied, so its data never reaches the next test."""

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psycopg
import pytest
from flask import Flask
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, text

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


def new_database(backend: str, directory, prefix: str) -> Iterator[str]:
    """The URL of an empty database on `backend`, dropped afterwards (PostgreSQL) or left in
    pytest's temporary `directory` (SQLite)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory}/{prefix}.db"
        return
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432; CI requires it")
        pytest.skip("PostgreSQL is not reachable")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def own_database_url(request, tmp_path):
    """An empty database for this test alone (migration tests go up and down in it)."""
    yield from new_database(request.param, tmp_path, "agri_credit_test_own")


def app_on(url: str, instance_path: str) -> Flask:
    """The test app on the database at `url`."""

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url

    app = create_app(Config)
    app.instance_path = instance_path
    return app


# Statements that change the database, or wait for a lock the test's transaction may hold.
WRITES = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|TRUNCATE|COPY)\b|pg_advisory", re.I
)


class ForeignWrite(RuntimeError):
    """A rolled-back test's code wrote through a connection of its own."""


class _WriteGuard:
    """Stops writes through any connection other than the test's own while a rolled-back test
    runs: they would be committed and outlive the test, or (PostgreSQL) wait forever for a
    row or lock the test's open transaction holds. Stopped before they run, so nothing lands."""

    def __init__(self) -> None:
        self.own = None  # the DBAPI connection of the running test's transaction
        self.foreign: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.own is None or conn.connection.dbapi_connection is self.own:
            return
        if WRITES.search(statement):
            self.foreign.append(statement.strip().splitlines()[0][:120])
            raise ForeignWrite(f"mark the test real_commits: {self.foreign[-1]}")


def _migrated_app(url: str, instance_path: str) -> Iterator[Flask]:
    """The app on a database freshly built by the migrations, with the region tree; its
    connections closed at the end."""
    app = app_on(url, instance_path)
    guard = _WriteGuard()
    app.extensions["test_write_guard"] = guard
    with app.app_context():
        upgrade()
        f.build_region_tree()
        db.session.commit()
        db.session.remove()
        event.listen(db.engine, "before_cursor_execute", guard)
    yield app
    with app.app_context():
        event.remove(db.engine, "before_cursor_execute", guard)
        db.engine.dispose()


class _BackendApps:
    """Each backend's migrated app, built when a test first asks for it and kept until the
    session ends. A session-scoped parametrised fixture would be torn down and built again
    each time the backend changes between two tests, which pytest-xdist's grouped
    distributions (`--dist loadfile/loadgroup`: one file's SQLite and PostgreSQL tests on one
    worker) do at every file. Each xdist worker is its own session: its own SQLite file under
    its own basetemp, its own uuid-named PostgreSQL database, so `real_commits` cleanups
    empty only that worker's tables."""

    def __init__(self, stack: ExitStack, tmp_path_factory: pytest.TempPathFactory) -> None:
        self.stack, self.tmp_path_factory = stack, tmp_path_factory
        self.apps: dict[str, Flask] = {}
        self.skipped: dict[str, BaseException] = {}

    def get(self, backend: str) -> Flask:
        if backend in self.skipped:  # PostgreSQL unreachable: say so once, not per test
            raise self.skipped[backend]
        if backend not in self.apps:
            try:
                url = self.stack.enter_context(
                    contextmanager(new_database)(
                        backend, self.tmp_path_factory.mktemp("db"), "agri_credit_test"
                    )
                )
            except pytest.skip.Exception as skip:
                self.skipped[backend] = skip
                raise
            instance = str(self.tmp_path_factory.mktemp("instance"))
            self.apps[backend] = self.stack.enter_context(
                contextmanager(_migrated_app)(url, instance)
            )
        return self.apps[backend]


@pytest.fixture(scope="session")
def backend_apps(tmp_path_factory) -> Iterator[_BackendApps]:
    with ExitStack() as stack:
        yield _BackendApps(stack, tmp_path_factory)


@pytest.fixture(params=BACKENDS)
def migrated_app(request, backend_apps):
    """The app on this test's backend, migrated once per session (per xdist worker)."""
    return backend_apps.get(request.param)


def _reset_database() -> None:
    """Real commits' cleanup: every table emptied, the region tree built again."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f"DELETE FROM {table}"))
    f.build_region_tree()
    db.session.commit()


class _JoinedSession(FlaskSession):
    """Flask-SQLAlchemy's session picks its engine itself; this one uses the connection it
    was bound to, the test's."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind or self.bind or super().get_bind(mapper, clause, **kwargs)


@contextmanager
def _real_commits() -> Iterator[None]:
    """Today's commits stay until the test ends; then every table is emptied."""
    try:
        yield
    finally:
        db.session.rollback()
        _reset_database()
        db.session.remove()


@contextmanager
def _rolled_back(guard: _WriteGuard) -> Iterator[None]:
    """The test inside one transaction, rolled back at its end, `db.session` joined to it."""
    connection = db.engine.connect()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # pysqlite starts a transaction only before a write, so a SAVEPOINT would stand alone
        # and its RELEASE commit: issue BEGIN ourselves (SQLAlchemy's pysqlite recipe), on
        # this connection only.
        driver = connection.connection.driver_connection
        driver.isolation_level = None
    outer = connection.begin()
    if sqlite:
        connection.exec_driver_sql("BEGIN")
    app_session = db.session
    db.session = db._make_scoped_session(
        {"bind": connection, "join_transaction_mode": "create_savepoint", "class_": _JoinedSession}
    )
    guard.own, guard.foreign = connection.connection.dbapi_connection, []
    try:
        yield
    finally:
        guard.own = None
        db.session.remove()
        outer.rollback()
        if sqlite:
            driver.isolation_level = ""  # back to pysqlite's default for the pool
        connection.close()
        db.session = app_session
        if guard.foreign:
            _reset_database()
            db.session.remove()
            pytest.fail(
                "wrote through a connection other than the test's own, so it would outlive "
                "the test; mark it @pytest.mark.real_commits: "
                + "; ".join(dict.fromkeys(guard.foreign))
            )


@pytest.fixture
def app(migrated_app, request):
    limiter.reset()  # login throttling counts (in memory) start afresh for each test
    if request.node.get_closest_marker("real_commits"):
        isolation = _real_commits()
    else:
        isolation = _rolled_back(migrated_app.extensions["test_write_guard"])
    with migrated_app.app_context(), isolation:
        yield migrated_app


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
