"""Departmental imports under faults, races and double clicks (issue 11): each test reproduces
the fault through the pages (CSRF on) or a real worker, and compares the data right after with
a clean single import of the same file: 3 current rows of 1 subject key, one import event.

Tests that need two writers at once run on PostgreSQL only: SQLite serialises writers, so the
race cannot happen there (each such test says so)."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from rq import SimpleWorker
from sqlalchemy import func, select, text

import tests.factories as f
from agri_credit.departmental import jobs
from agri_credit.departmental.importer import create_batch, import_file, run_batch
from agri_credit.departmental.uploads import pending_path, upload_folder
from agri_credit.extensions import id_cipher
from app import create_app
from models import BatchStatus, ImportBatch, User, UtilityRecord, db, utcnow
from tests.import_fault_helpers import (
    active_inserts,
    counts,
    drop_slow_inserts,
    import_through_pages,
    mapping_data,
    on_postgresql,
    post_on_batch_page,
    run_paused,
    sessions_waiting_for_locks,
    sign_in,
    slow_inserts_into,
    upload,
    wait_until,
)
from tests.test_departmental_import import POWER_HEADERS, POWER_MAPPING, power_rows, write_csv
from tests.test_departmental_pages import csv_bytes, redis_queue  # noqa: F401 - fixture

# Imports run on connections of their own, in threads and in other processes.
pytestmark = pytest.mark.real_commits

CLEAN = {"current": 3, "rows": 3, "keys": 1, "imports": 1}  # one 3-month file of one subject
NOTHING = {"current": 0, "rows": 0, "keys": 0, "imports": 0}


@pytest.fixture
def csrf(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def office(client, users, csrf):
    return sign_in(client, "office_county")


def postgresql_only(reason: str) -> None:
    if not on_postgresql():
        pytest.skip(reason)


def folder(app) -> Path:
    return upload_folder(app.instance_path)


def kept_files(app) -> list[str]:
    return sorted(p.name for p in folder(app).glob("batch-*.upload"))


# ---- 1. rollback -------------------------------------------------------------------------------


def test_a_batch_a_later_import_confirmed_cannot_be_rolled_back_before_it(office):
    content = csv_bytes(power_rows(f.make_id_number()))
    first = import_through_pages(office, content)
    assert counts() == CLEAN
    second = import_through_pages(office, content)  # the same file again: all 无变化
    assert (second.rows_inserted, second.rows_unchanged) == (0, 3)
    before = counts()

    refused = post_on_batch_page(office, first.id, "rollback")

    assert refused.status_code == 302
    page = office.get(refused.headers["Location"]).get_data(as_text=True)
    assert f"请先撤销批次 #{second.id}" in page
    after = counts()
    assert after == before == CLEAN | {"imports": 2}  # nothing deleted under batch #2
    assert db.session.get(ImportBatch, first.id).status == BatchStatus.IMPORTED

    # Newest first: #2 goes (its rows were unchanged, #1's stay), then #1.
    assert post_on_batch_page(office, second.id, "rollback").status_code == 302
    assert counts()["current"] == 3
    post_on_batch_page(office, first.id, "rollback")
    assert counts() | {"imports": 0} == NOTHING
    assert db.session.get(ImportBatch, first.id).status == BatchStatus.ROLLED_BACK


def test_a_rollback_is_refused_while_an_import_of_the_same_source_runs(app, office, tmp_path):
    first = import_through_pages(office, csv_bytes(power_rows(f.make_id_number())))
    path = write_csv(tmp_path / "电费2.csv", POWER_HEADERS, power_rows(f.make_id_number()))
    batch, _ = create_batch(
        path,
        source="electricity",
        user=first_user(first),
        scope_code=f.COUNTY,
        filename=path.name,
        columns=POWER_MAPPING,
    )
    _thread, go_on = run_paused(app, batch.id, path)  # inside its transaction, between chunks
    try:
        before = counts()
        refused = post_on_batch_page(office, first.id, "rollback")
        page = office.get(refused.headers["Location"]).get_data(as_text=True)
        assert refused.status_code == 302 and "正在导入" in page and "请等" in page
        assert counts() == before == CLEAN
    finally:
        go_on()

    assert counts() == {"current": 6, "rows": 6, "keys": 2, "imports": 2}  # two clean imports
    refused = post_on_batch_page(office, first.id, "rollback")
    page = office.get(refused.headers["Location"]).get_data(as_text=True)
    assert f"请先撤销批次 #{batch.id}" in page


def first_user(batch: ImportBatch) -> User:
    return db.session.get(User, batch.user_id)


def test_a_rollback_never_deletes_a_subject_key_an_import_of_another_source_is_using(
    app, office, tmp_path
):
    postgresql_only("needs two writers at once; SQLite serialises writers")
    person = f.make_id_number()
    power = import_through_pages(office, csv_bytes(power_rows(person)))  # introduces the key
    path = write_csv(tmp_path / "水费.csv", POWER_HEADERS, power_rows(person))
    water, _ = create_batch(
        path,
        source="water",
        user=first_user(power),
        scope_code=f.COUNTY,
        filename=path.name,
        columns=POWER_MAPPING,
    )
    _thread, go_on = run_paused(app, water.id, path)  # has resolved the person's key
    try:
        done = post_on_batch_page(office, power.id, "rollback")
        assert "已撤销" in office.get(done.headers["Location"]).get_data(as_text=True)
    finally:
        go_on()

    db.session.expire_all()
    water = db.session.get(ImportBatch, water.id)
    assert water.status == BatchStatus.IMPORTED, water.message
    # The electricity rows went; the water import landed whole on the key it staged.
    assert counts() == {"current": 3, "rows": 3, "keys": 1, "imports": 2}
    assert db.session.scalar(select(UtilityRecord.utility).distinct()) == "water"


# ---- 2. double-submitted mapping form -------------------------------------------------------


def test_a_second_submit_of_the_mapping_form_lands_on_the_batch_page(office):
    location = upload(office, csv_bytes(power_rows(f.make_id_number()))).headers["Location"]
    data = mapping_data(office, location)  # the form as it was when the user clicked

    first = office.post(location, data=data)
    second = office.post(location, data=data)

    batch = db.session.scalar(select(ImportBatch))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == f"/data/imports/{batch.id}"
    assert batch.status == BatchStatus.IMPORTED and batch.rows_inserted == 3
    assert counts() == CLEAN


def test_two_simultaneous_submits_of_the_mapping_form_import_once(app, users, csrf):
    postgresql_only("needs two requests writing at once; SQLite serialises writers")
    tabs = [sign_in(app.test_client(), "office_county"), app.test_client()]
    tabs[1].set_cookie("session", tabs[0].get_cookie("session").value)  # a second tab
    location = upload(tabs[0], csv_bytes(power_rows(f.make_id_number()))).headers["Location"]
    forms = [mapping_data(tab, location) for tab in tabs]
    batch_id = db.session.scalar(select(ImportBatch.id))
    responses: list = [None, None]

    # Hold the batch row so that both requests reach their update of it before either goes on.
    gate = db.engine.connect()
    gate.begin()
    gate.execute(text("SELECT id FROM import_batches WHERE id = :id FOR UPDATE"), {"id": batch_id})

    def submit(i: int) -> None:
        responses[i] = tabs[i].post(location, data=forms[i])

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: sessions_waiting_for_locks() >= 2)
    finally:
        gate.rollback()
        gate.close()
    for thread in threads:
        thread.join(60)

    assert [r.status_code for r in responses] == [302, 302]
    assert {r.headers["Location"] for r in responses} == {f"/data/imports/{batch_id}"}
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch_id)
    assert (batch.status, batch.message, batch.rows_inserted) == (BatchStatus.IMPORTED, "", 3)
    assert counts() == CLEAN


def test_a_job_that_finds_its_batch_already_taken_does_nothing(app, office, redis_queue):  # noqa: F811
    location = upload(office, csv_bytes(power_rows(f.make_id_number()))).headers["Location"]
    office.post(location, data=mapping_data(office, location))
    batch = db.session.scalar(select(ImportBatch))
    assert batch.status == BatchStatus.QUEUED
    # A second job for the same batch, as a double submit used to queue.
    redis_queue.enqueue(jobs.run_import_job, batch.id, str(pending_path(folder(app), batch.id)))
    assert redis_queue.count == 2

    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)

    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert (batch.status, batch.message, batch.rows_inserted) == (BatchStatus.IMPORTED, "", 3)
    assert batch.attempt == 1  # taken once
    assert counts() == CLEAN
    # Its upload went when the run that took it ended (files of other tests' batches may
    # share the session's instance folder, so look at this batch's own file).
    assert not pending_path(folder(app), batch.id).exists()


# ---- 5. batches whose process was killed ----------------------------------------------------

KILL_MIDWAY = """
import os, signal, sys
from pathlib import Path
from app import create_app
from agri_credit.departmental.importer import run_batch

app = create_app({
    "SQLALCHEMY_DATABASE_URI": sys.argv[1],
    "SECRET_KEY": "test-secret-key",
    "ID_ENCRYPTION_KEY": sys.argv[2],
})
with app.app_context():
    def killed(rows, fraction):  # the server dies with SIGKILL between two chunks
        os.kill(os.getpid(), signal.SIGKILL)
    run_batch(int(sys.argv[3]), Path(sys.argv[4]), progress=killed, chunk_rows=1)
"""


def kill_an_import_midway(app, tmp_path) -> ImportBatch:
    """A queued batch whose import process is killed with SIGKILL inside its transaction,
    the file kept where the upload page put it."""
    source = write_csv(tmp_path / "电费.csv", POWER_HEADERS, power_rows(f.make_id_number()))
    batch, _ = create_batch(
        source,
        source="electricity",
        user=office_user(),
        scope_code=f.COUNTY,
        filename=source.name,
        columns=POWER_MAPPING,
    )
    path = pending_path(folder(app), batch.id)
    source.rename(path)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            KILL_MIDWAY,
            app.config["SQLALCHEMY_DATABASE_URI"],
            app.config["ID_ENCRYPTION_KEY"],
            str(batch.id),
            str(path),
        ],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    db.session.expire_all()
    return db.session.get(ImportBatch, batch.id)


def office_user() -> User:
    return db.session.scalar(select(User).where(User.username == "office_county"))


def eleven_minutes_pass(app, batch: ImportBatch) -> None:
    """Time passes with nobody beating the batch's heartbeat (IMPORT_STALE_AFTER: 10 min)."""
    then = utcnow() - timedelta(minutes=11)
    batch.heartbeat_at = then
    db.session.commit()
    path = pending_path(folder(app), batch.id)
    os.utime(path, (then.timestamp(), then.timestamp()))


def test_a_killed_import_shows_interrupted_is_failed_by_the_sweep_and_restarts_from_its_file(
    app, office, runner, tmp_path
):
    batch = kill_an_import_midway(app, tmp_path)
    assert batch.status == BatchStatus.RUNNING  # as the killed process left it
    assert counts() == NOTHING  # its transaction never committed
    assert "导入中" in office.get(f"/data/imports/{batch.id}").get_data(as_text=True)

    eleven_minutes_pass(app, batch)
    page = office.get(f"/data/imports/{batch.id}").get_data(as_text=True)
    assert "已中断，未导入" in page and f"/data/imports/{batch.id}/restart" in page
    assert office.get(f"/data/imports/{batch.id}/progress").json["interrupted"] is True
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).status == BatchStatus.RUNNING  # GETs wrote nothing

    result = runner.invoke(args=["departmental-sweep"])
    assert f"1 interrupted import(s) marked failed: #{batch.id}" in result.output
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert batch.status == BatchStatus.FAILED and "数据库未作任何改动" in batch.message
    assert counts() == NOTHING
    assert kept_files(app) == [f"batch-{batch.id}.upload"]  # kept for the restart

    restarted = post_on_batch_page(office, batch.id, "restart")

    assert restarted.status_code == 302
    assert "重新开始导入" in office.get(restarted.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert (batch.status, batch.attempt, batch.message) == (BatchStatus.IMPORTED, 2, "")
    assert counts() == CLEAN
    assert kept_files(app) == []
    again = post_on_batch_page(office, batch.id, "restart")
    assert "只有中断且文件仍保留的批次可以重新导入" in office.get(
        again.headers["Location"]
    ).get_data(as_text=True)


def test_a_killed_rq_work_horse_fails_its_batch_at_once_and_the_server_stops_its_insert(
    app,
    office,
    redis_queue,  # noqa: F811
):
    postgresql_only("holding the import inside one statement needs pg_sleep (PostgreSQL)")
    location = upload(office, csv_bytes(power_rows(f.make_id_number()))).headers["Location"]
    office.post(location, data=mapping_data(office, location))
    batch = db.session.scalar(select(ImportBatch))
    worker = jobs.worker(redis_queue)
    slow_inserts_into("utility_records", 60)
    try:

        def kill_the_horse() -> None:
            with app.app_context():
                wait_until(lambda: active_inserts("utility_records") == 1, 60)
            os.kill(worker.horse_pid, signal.SIGKILL)

        killer = threading.Thread(target=kill_the_horse)
        killer.start()
        worker.work(burst=True)
        killer.join(60)

        db.session.expire_all()
        batch = db.session.get(ImportBatch, batch.id)
        assert batch.status == BatchStatus.FAILED and "中断" in batch.message
        started = time.monotonic()
        wait_until(lambda: active_inserts("utility_records") == 0, 10)
        assert time.monotonic() - started < 5  # not the 60 s the orphaned INSERT had left
        assert counts() == NOTHING
    finally:
        drop_slow_inserts("utility_records")

    assert post_on_batch_page(office, batch.id, "restart").status_code == 302
    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).status == BatchStatus.IMPORTED
    assert counts() == CLEAN


def test_an_import_declared_dead_while_still_alive_lands_nothing_and_restarts_cleanly(
    app, office, runner, tmp_path
):
    postgresql_only(
        "the sweep writes while the import holds its transaction; SQLite has one writer"
    )
    path = write_csv(tmp_path / "电费.csv", POWER_HEADERS, power_rows(f.make_id_number()))
    batch, _ = create_batch(
        path,
        source="electricity",
        user=office_user(),
        scope_code=f.COUNTY,
        filename=path.name,
        columns=POWER_MAPPING,
    )
    kept = pending_path(folder(app), batch.id)
    path.rename(kept)
    _thread, go_on = run_paused(app, batch.id, kept)  # hung, say, for eleven minutes
    try:
        eleven_minutes_pass(app, db.session.get(ImportBatch, batch.id))
        result = runner.invoke(args=["departmental-sweep"])
        assert f"marked failed: #{batch.id}" in result.output
    finally:
        go_on()  # it wakes up and reaches its end

    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert batch.status == BatchStatus.FAILED and "中断" in batch.message
    assert counts() == NOTHING  # what the page says is true: nothing landed
    assert kept_files(app) == [f"batch-{batch.id}.upload"]
    post_on_batch_page(office, batch.id, "restart")
    assert counts() == CLEAN


# ---- 6. uploaded files ------------------------------------------------------------------------


def test_the_upload_is_deleted_whenever_its_batch_ends(app, office):
    person = f.make_id_number()
    imported = import_through_pages(office, csv_bytes(power_rows(person)))
    wrong = person[:17] + ("1" if person[17] != "1" else "2")
    rejected = import_through_pages(
        office,
        csv_bytes(power_rows(f.make_id_number()) + [["9", "错号", wrong, "202503", 1, 1, ""]]),
    )
    # Past the part the upload page reads, bytes that are no GB18030: the import fails.
    many = [power_rows(f.make_id_number(), months=1)[0] for _ in range(6000)]
    broken = csv_bytes(many) + b"0101,\xff\xfe,1,202503,1,1,\n"
    failed = import_through_pages(office, broken)

    statuses = [imported.status, rejected.status, failed.status]
    assert statuses == [BatchStatus.IMPORTED, BatchStatus.REJECTED, BatchStatus.FAILED]
    assert kept_files(app) == []


def test_the_sweep_purges_uploads_kept_past_the_retention(app, office, runner, tmp_path):
    batch = kill_an_import_midway(app, tmp_path)
    eleven_minutes_pass(app, batch)
    runner.invoke(args=["departmental-sweep"])
    stray = folder(app) / "batch-999999.upload"  # of a batch that no longer exists
    stray.write_bytes(b"110101199003071234")
    assert kept_files(app) == [f"batch-{batch.id}.upload", "batch-999999.upload"]

    result = runner.invoke(args=["departmental-sweep"])
    assert "1 kept upload(s) deleted" in result.output  # the stray; the failed one is young
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    batch.finished_at -= timedelta(hours=25)
    db.session.commit()
    result = runner.invoke(args=["departmental-sweep"])

    assert "1 kept upload(s) deleted" in result.output
    assert kept_files(app) == []
    page = office.get(f"/data/imports/{batch.id}").get_data(as_text=True)
    assert "失败，未导入" in page and f"/data/imports/{batch.id}/restart" not in page


# ---- 8. background thread -------------------------------------------------------------------


def test_without_redis_the_import_runs_in_a_background_thread(app, office):
    app.config["IMPORTS_IN_BACKGROUND"] = True
    try:
        location = upload(office, csv_bytes(power_rows(f.make_id_number()))).headers["Location"]
        done = office.post(location, data=mapping_data(office, location))
        assert done.status_code == 302  # the request only queued it
        batch_id = db.session.scalar(select(ImportBatch.id))
        progress = f"/data/imports/{batch_id}/progress"
        wait_until(lambda: office.get(progress).json["finished"], 60)
    finally:
        app.config["IMPORTS_IN_BACKGROUND"] = False

    state = office.get(progress).json
    assert state["status"] == "imported" and state["rows"] == 3
    assert counts() == CLEAN
    # The thread removes the kept upload just after it commits the finished batch. (Only this
    # batch's: on a kept database another test's deliberately interrupted run may leave its own.)
    wait_until(lambda: f"batch-{batch_id}.upload" not in kept_files(app), 10)


# ---- 9. statement timeout, cancelled statements, logs without parameters -------------------


def test_a_web_request_statement_is_cut_off_but_an_import_is_not(app, users, tmp_path):
    postgresql_only("statement_timeout is PostgreSQL's")
    with app.test_request_context():
        assert db.session.scalar(text("SHOW statement_timeout")) == "30s"  # the default
        db.session.remove()
    assert db.session.scalar(text("SHOW statement_timeout")) == "0"  # no request: a job
    strict = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "test-secret-key",
            "ID_ENCRYPTION_KEY": app.config["ID_ENCRYPTION_KEY"],
            "WEB_STATEMENT_TIMEOUT_MS": 300,
        }
    )
    slow_inserts_into("utility_records", 1)
    try:
        with strict.test_request_context():
            with pytest.raises(Exception, match="statement timeout"):
                db.session.execute(text("SELECT pg_sleep(2)"))
            db.session.rollback()
            # An import run inside the request (IMPORTS_IN_BACKGROUND off) lifts the timeout.
            path = write_csv(tmp_path / "电费.csv", POWER_HEADERS, power_rows(f.make_id_number()))
            batch = import_file(
                path,
                source="electricity",
                columns=POWER_MAPPING,
                user=office_user(),
                scope_code=f.COUNTY,
            )
            assert batch.status == BatchStatus.IMPORTED  # its INSERT slept 1 s: no timeout
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_slow_inserts("utility_records")
    assert counts() == CLEAN


class JobTimeout(Exception):
    """What RQ's death penalty raises in a job that ran out of time."""


def test_a_failing_job_cancels_the_statement_it_was_running(users, tmp_path):
    postgresql_only("cancelling a running statement is PostgreSQL's")
    path = write_csv(tmp_path / "电费.csv", POWER_HEADERS, power_rows(f.make_id_number()))
    batch, _ = create_batch(
        path,
        source="electricity",
        user=users["office"],
        scope_code=f.COUNTY,
        filename=path.name,
        columns=POWER_MAPPING,
    )
    slow_inserts_into("utility_records", 60)

    def timeout(*_):
        raise JobTimeout("job exceeded its timeout")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, 1.5)  # inside the 60 s INSERT
    try:
        with pytest.raises(JobTimeout):
            run_batch(batch.id, path)
        signal.setitimer(signal.ITIMER_REAL, 0)
        assert active_inserts("utility_records") == 0  # cancelled, not left running
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        drop_slow_inserts("utility_records")
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).status == BatchStatus.FAILED
    assert counts() == NOTHING


def test_database_errors_are_logged_without_their_parameters(users, tmp_path, caplog):
    person = f.make_id_number()
    keyed_hash = id_cipher().blind_index(person)
    if on_postgresql():
        db.session.execute(
            text(
                "CREATE OR REPLACE FUNCTION test_disk_full() RETURNS trigger AS $$"
                " BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"
            )
        )
        db.session.execute(
            text(
                "CREATE TRIGGER test_disk_full BEFORE INSERT ON subject_keys"
                " FOR EACH ROW EXECUTE FUNCTION test_disk_full()"
            )
        )
    else:
        db.session.execute(
            text(
                "CREATE TRIGGER test_disk_full BEFORE INSERT ON subject_keys"
                " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )
    db.session.commit()
    path = write_csv(tmp_path / "电费.csv", POWER_HEADERS, power_rows(person))
    # Alembic's logging setup (the migrations the fixtures ran) disables existing loggers.
    importer_log = logging.getLogger("agri_credit.departmental.importer")
    importer_log.disabled = False
    try:
        with caplog.at_level(logging.ERROR), pytest.raises(Exception, match="disk full"):
            import_file(
                path,
                source="electricity",
                columns=POWER_MAPPING,
                user=users["office"],
                scope_code=f.COUNTY,
            )
    finally:
        db.session.rollback()
        if on_postgresql():
            db.session.execute(text("DROP TRIGGER IF EXISTS test_disk_full ON subject_keys"))
        else:
            db.session.execute(text("DROP TRIGGER IF EXISTS test_disk_full"))
        db.session.commit()

    assert "departmental import" in caplog.text and "disk full" in caplog.text
    assert "parameters hidden" in caplog.text
    assert keyed_hash not in caplog.text and person not in caplog.text
    batch = db.session.scalar(select(ImportBatch))
    assert batch.status == BatchStatus.FAILED
    assert counts() == NOTHING
    assert db.session.scalar(select(func.count()).select_from(UtilityRecord)) == 0
