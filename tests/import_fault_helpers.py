"""What the fault and race tests of departmental imports share: the pages driven with CSRF
on, the counts they compare with a clean single import, and fault injection in the database
(a statement that blocks, one that fails)."""

import io
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select, text

import tests.factories as f
from agri_credit.departmental.importer import run_batch
from models import AuditEvent, ImportBatch, SubjectKey, UtilityRecord, db
from tests.test_departmental_pages import mapping_fields

CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def token(page: str) -> str:
    return CSRF.search(page).group(1)


def sign_in(client, username: str):
    """Log in through the login form, CSRF token and all."""
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"username": username, "password": f.PASSWORD, "csrf_token": token(page)}
    )
    assert response.status_code == 302
    return client


def upload(client, content: bytes, source: str = "electricity", name: str = "国网电费.csv"):
    page = client.get(f"/data/imports/new?source={source}").get_data(as_text=True)
    return client.post(
        "/data/imports/new",
        data={"csrf_token": token(page), "source": source, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def mapping_data(client, location: str) -> dict[str, str]:
    """The mapping form as the browser would submit it (suggested columns, CSRF token)."""
    page = client.get(location).get_data(as_text=True)
    return mapping_fields(page) | {"on_error": "all_or_nothing", "csrf_token": token(page)}


def import_through_pages(client, content: bytes, source: str = "electricity") -> ImportBatch:
    location = upload(client, content, source).headers["Location"]
    done = client.post(location, data=mapping_data(client, location))
    assert done.status_code == 302
    batch_id = int(done.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    db.session.expire_all()
    return db.session.get(ImportBatch, batch_id)


def post_on_batch_page(client, batch_id: int, action: str):
    """Press a button of the batch page (撤销整个批次, 重新导入) with its CSRF token."""
    page = client.get(f"/data/imports/{batch_id}").get_data(as_text=True)
    return client.post(f"/data/imports/{batch_id}/{action}", data={"csrf_token": token(page)})


def counts() -> dict[str, int]:
    """What a clean single import is compared with."""
    db.session.expire_all()

    def count(query) -> int:
        return db.session.scalar(select(func.count()).select_from(query.subquery()))

    return {
        "current": count(select(UtilityRecord.id).where(UtilityRecord.superseded_by_id.is_(None))),
        "rows": count(select(UtilityRecord.id)),
        "keys": count(select(SubjectKey.id)),
        "imports": count(select(AuditEvent.id).where(AuditEvent.action == "departmental.import")),
    }


def run_paused(
    app: Flask, batch_id: int, path: Path
) -> tuple[threading.Thread, Callable[[], None]]:
    """Run a batch on a thread (as a worker would) and hold it between its first chunks,
    inside its transaction. Returns the thread and the function that lets it go on."""
    paused, resume = threading.Event(), threading.Event()

    def hold(_rows: int, _fraction: float) -> None:
        if not paused.is_set():
            paused.set()
            resume.wait(60)

    def work() -> None:
        with app.app_context():
            try:
                run_batch(batch_id, path, progress=hold, chunk_rows=1)
            finally:
                db.session.remove()

    thread = threading.Thread(target=work)
    thread.start()
    assert paused.wait(60), "the import never reached its second chunk"

    def go_on() -> None:
        resume.set()
        thread.join(60)

    return thread, go_on


# ---- PostgreSQL fault injection ----------------------------------------------------------------


def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def sessions_waiting_for_locks() -> int:
    # A connection of its own: pg_stat_activity is a snapshot per transaction.
    with db.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'"
            )
        ).scalar()


def wait_until(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def active_inserts(table: str) -> int:
    """Statements inserting into `table` the server is still running (other sessions)."""
    with db.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state = 'active' AND pid <> pg_backend_pid()"
                " AND query ILIKE :pattern"
            ),
            {"pattern": f"INSERT INTO {table}%"},
        ).scalar()


def slow_inserts_into(table: str, seconds: float) -> None:
    """Every INSERT into `table` first sleeps (a statement the server runs for long)."""
    db.session.execute(
        text(
            "CREATE OR REPLACE FUNCTION test_slow_insert() RETURNS trigger AS $$"
            f" BEGIN PERFORM pg_sleep({seconds}); RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    )
    db.session.execute(
        text(
            f"CREATE TRIGGER test_slow_insert BEFORE INSERT ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION test_slow_insert()"
        )
    )
    db.session.commit()


def drop_slow_inserts(table: str) -> None:
    db.session.rollback()
    db.session.execute(text(f"DROP TRIGGER IF EXISTS test_slow_insert ON {table}"))
    db.session.commit()
