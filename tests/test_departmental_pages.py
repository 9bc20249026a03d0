"""The credit office's import pages: upload, map the department's columns once, preview,
import inline or on a real RQ worker with progress, error report, rollback, scope."""

import io
import os
import re
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import func, select

import tests.factories as f
from agri_credit.departmental import jobs
from models import BatchStatus, ColumnMapping, ImportBatch, UtilityRecord, db
from tests.conftest import csrf_token, login
from tests.test_departmental_import import POWER_HEADERS, power_rows

# Parallel runs of the suite use different Redis databases.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TEST_RUN = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:8]}"


def csv_bytes(rows: list[list], headers=POWER_HEADERS, encoding: str = "gb18030") -> bytes:
    lines = [",".join(headers)] + [",".join(str(c) for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


@pytest.fixture(autouse=True)
def _production_csrf(csrf_on):
    """Uploads and their forms are tested as production runs them: CSRF protection on (it
    reads the form before the view, under the route's own size limit)."""


def with_token(data: dict, page: str) -> dict:
    token = csrf_token(page)
    return data | {"csrf_token": token} if token else data


def post_from(client, page_url: str, url: str, data: dict | None = None):
    """Post a form the way its page would, with the page's CSRF token."""
    return client.post(
        url, data=with_token(data or {}, client.get(page_url).get_data(as_text=True))
    )


def upload(client, content: bytes, name: str = "国网电费.csv", source: str = "electricity"):
    page = client.get(f"/data/imports/new?source={source}").get_data(as_text=True)
    return client.post(
        "/data/imports/new",
        data=with_token({"source": source, "file": (io.BytesIO(content), name)}, page),
        content_type="multipart/form-data",
    )


def mapping_fields(page: str) -> dict[str, str]:
    """The option each mapping select has selected, as the browser would submit it."""
    chosen = {}
    for name, body in re.findall(r'<select[^>]*name="(map_\w+)"[^>]*>(.*?)</select>', page, re.S):
        selected = re.search(r'<option selected value="([^"]*)"', body) or re.search(
            r'<option value="([^"]*)" selected', body
        )
        chosen[name] = selected.group(1) if selected else ""
    return chosen


def confirm_mapping(client, response, **overrides):
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    data = mapping_fields(page) | {"on_error": "all_or_nothing"} | overrides
    return client.post(response.headers["Location"], data=with_token(data, page))


@pytest.mark.real_commits  # the importer's own connection
def test_office_uploads_maps_once_and_the_next_file_reuses_the_mapping(client, cipher, users):
    household = f.make_household(cipher, users["cadre"])
    db.session.commit()
    head_id = cipher.decrypt(household.head_id_cipher)
    login(client, "office_county")

    response = upload(client, csv_bytes(power_rows(head_id)))
    assert response.status_code == 302 and "/mapping" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "抄见电量(千瓦时)" in page and "GB18030" in page
    assert head_id not in page  # the preview masks ID numbers
    assert household.head_id_masked in page
    assert mapping_fields(page)["map_subject_code"] == "证件号码"  # suggested from the header

    done = confirm_mapping(client, response)
    batch = db.session.scalar(select(ImportBatch))
    assert done.headers["Location"].endswith(f"/data/imports/{batch.id}")
    assert batch.status == BatchStatus.IMPORTED and batch.rows_inserted == 3
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "导入完成" in result and "撤销整个批次" in result
    saved = db.session.scalar(select(ColumnMapping))
    assert saved.columns["consumption"] == "抄见电量(千瓦时)"

    # Next month: renamed header the suggestion would not guess; the saved mapping still fits
    # everything else, and the same file again is flagged as already imported.
    again = upload(client, csv_bytes(power_rows(head_id)))
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "已套用本单位上次保存" in page
    assert f"批次 #{batch.id}" in page
    confirm_mapping(client, again)
    second = db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    assert (second.rows_inserted, second.rows_unchanged) == (0, 3)
    assert db.session.scalar(select(func.count()).select_from(UtilityRecord)) == 3


def test_a_mapping_missing_a_required_field_is_refused_in_chinese(client, users):
    login(client, "office_county")
    response = upload(client, csv_bytes(power_rows(f.make_id_number())))

    page = confirm_mapping(client, response, map_billed="").get_data(as_text=True)

    assert "“应缴金额(元)”是必填项" in page
    assert db.session.scalar(select(ImportBatch.status)) == BatchStatus.PENDING


@pytest.mark.real_commits  # the importer's own connection
def test_rejected_file_offers_an_error_report_with_masked_ids(client, users):
    login(client, "office_county")
    good = f.make_id_number()
    wrong = good[:17] + ("1" if good[17] != "1" else "2")
    response = upload(
        client, csv_bytes(power_rows(good) + [["9", "错号", wrong, "202503", 1, 1, ""]])
    )
    done = confirm_mapping(client, response)

    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "整个文件未导入" in page and "校验位" in page
    batch = db.session.scalar(select(ImportBatch))
    report = client.get(f"/data/imports/{batch.id}/errors.xlsx")
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("行号", "字段", "文件中的列", "单元格内容", "错误原因")
    assert rows[1][0] == 5 and "校验位" in rows[1][4]
    assert wrong not in str(rows) and wrong[-4:] in rows[1][3]


@pytest.mark.real_commits  # the importer's own connection
def test_rollback_from_the_batch_page(client, users):
    login(client, "office_county")
    done = confirm_mapping(client, upload(client, csv_bytes(power_rows(f.make_id_number()))))
    batch_url = done.headers["Location"]

    post_from(client, batch_url, batch_url + "/rollback")

    assert db.session.scalar(select(ImportBatch.status)) == BatchStatus.ROLLED_BACK
    assert db.session.scalar(select(func.count()).select_from(UtilityRecord)) == 0
    assert "已撤销" in client.get(batch_url).get_data(as_text=True)


@pytest.mark.real_commits  # the importer's own connection
def test_unmatched_subjects_are_listed_masked_on_the_batch_page(client, users):
    login(client, "office_county")
    stranger = f.make_id_number(area="610104")
    done = confirm_mapping(client, upload(client, csv_bytes(power_rows(stranger, name="外来户"))))

    page = client.get(done.headers["Location"]).get_data(as_text=True)

    assert "未匹配到档案的主体" in page and "外来户" in page
    assert stranger not in page and stranger[-4:] in page


@pytest.mark.real_commits  # the importer's own connection
def test_only_credit_offices_import_and_each_sees_its_own_subtree(client, users):
    login(client, "office_town")
    done = confirm_mapping(client, upload(client, csv_bytes(power_rows(f.make_id_number()))))
    batch_url = done.headers["Location"]
    post_from(client, "/data/imports", "/logout")

    login(client, "office_county")  # the county sees its townships' batches
    assert client.get(batch_url).status_code == 200
    county_done = confirm_mapping(client, upload(client, csv_bytes(power_rows(f.make_id_number()))))
    post_from(client, "/data/imports", "/logout")

    login(client, "office_town")  # a township does not see the county's
    assert client.get(county_done.headers["Location"]).status_code == 404
    # Batch numbers run on across tests on a kept database: the town's own batch, by its number.
    listed = client.get("/data/imports").get_data(as_text=True)
    town_batch = batch_url.rstrip("/").rsplit("/", 1)[-1]
    county_batch = county_done.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert f">#{town_batch}</a>" in listed and f">#{county_batch}</a>" not in listed
    post_from(client, "/data/imports", "/logout")

    login(client, "cadre_a")
    assert client.get("/data/imports").status_code == 403
    assert client.get(batch_url).status_code == 403
    assert upload(client, csv_bytes(power_rows(f.make_id_number()))).status_code == 403


def test_department_files_may_be_larger_than_the_form_limit(client, users):
    login(client, "office_county")
    rows = power_rows(f.make_id_number(), months=1) * 1
    big = csv_bytes(rows) + b"\n" * (9 * 1024 * 1024)  # 9 MB: over the 8 MB form limit

    response = upload(client, big)

    assert response.status_code == 302


def test_unreadable_upload_gets_a_clear_message(client, users):
    login(client, "office_county")
    page = upload(client, b"\xd0\xcf\x11\xe0" + b"\0" * 64, name="old.xls").get_data(as_text=True)
    assert "只能上传 CSV 或 .xlsx 文件" in page
    page = upload(client, b"\xd0\xcf\x11\xe0" + b"\0" * 64, name="old.csv").get_data(as_text=True)
    assert "旧版 Excel" in page


@pytest.fixture
def redis_queue(app):
    redis = Redis.from_url(REDIS_URL)
    try:
        redis.ping()
    except Exception:  # noqa: BLE001
        subprocess.run(["make", "services"], check=False, cwd=Path(__file__).parent.parent)
        redis.ping()
    app.config["REDIS_URL"] = REDIS_URL
    # A queue of this process's own: another xdist worker (or another checkout's suite) on
    # the same Redis would otherwise take, or empty away, this test's jobs.
    app.config["IMPORT_QUEUE_NAME"] = f"{jobs.QUEUE_NAME}-test-{TEST_RUN}"
    jobs.queue().empty()
    yield jobs.queue()
    jobs.queue().empty()
    # The queue and its registries (finished, failed, ...): a unique name each run would
    # otherwise leave its keys behind.
    for key in redis.scan_iter(f"rq:*:{app.config['IMPORT_QUEUE_NAME']}"):
        redis.delete(key)
    app.config["REDIS_URL"] = app.config["IMPORT_QUEUE_NAME"] = None


@pytest.mark.real_commits  # the importer's own connection
def test_with_redis_the_import_runs_on_a_worker_and_reports_progress(
    client, users, redis_queue, app
):
    login(client, "office_county")
    done = confirm_mapping(client, upload(client, csv_bytes(power_rows(f.make_id_number()))))
    batch = db.session.scalar(select(ImportBatch))
    assert batch.status == BatchStatus.QUEUED and batch.job_id
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "正在后台导入" in page and 'id="progress-bar"' in page
    assert client.get(f"/data/imports/{batch.id}/progress").json["finished"] is False

    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)

    state = client.get(f"/data/imports/{batch.id}/progress").json
    assert state["finished"] is True and state["status"] == "imported" and state["rows"] == 3
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(UtilityRecord)) == 3
    assert list((Path(app.instance_path) / "imports").glob(f"batch-{batch.id}.*")) == []


def test_a_lost_worker_job_shows_interrupted_and_the_sweep_fails_the_batch(
    client, runner, users, redis_queue
):
    login(client, "office_county")
    confirm_mapping(client, upload(client, csv_bytes(power_rows(f.make_id_number()))))
    batch = db.session.scalar(select(ImportBatch))
    redis_queue.empty()  # the worker died and the queue lost the job

    state = client.get(f"/data/imports/{batch.id}/progress").json

    assert state["finished"] is True and state["interrupted"] is True
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).status == BatchStatus.QUEUED  # a GET wrote nothing
    assert (
        "1 interrupted import(s) marked failed" in runner.invoke(args=["departmental-sweep"]).output
    )
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).status == BatchStatus.FAILED
    assert "中断" in db.session.get(ImportBatch, batch.id).message
    assert db.session.scalar(select(func.count()).select_from(UtilityRecord)) == 0


# ---- uploads left waiting -------------------------------------------------------------------


def test_an_upload_never_mapped_is_deleted_after_a_day_with_its_file(app, client, users):
    login(client, "office_county")
    upload(client, csv_bytes(power_rows(f.make_id_number())))
    upload(client, csv_bytes(power_rows(f.make_id_number())))
    old, fresh = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id)).all()
    old_id, fresh_id = old.id, fresh.id
    folder = Path(app.instance_path) / "imports"
    assert (folder / f"batch-{old_id}.upload").exists()
    old.created_at -= timedelta(hours=25)
    db.session.commit()

    assert client.get("/data/imports/new").status_code == 200
    db.session.expire_all()
    assert len(list(db.session.scalars(select(ImportBatch.id)))) == 2  # a GET deletes nothing
    swept = app.test_cli_runner().invoke(args=["departmental-sweep"]).output
    assert "1 abandoned upload(s) deleted" in swept
    db.session.expire_all()
    assert list(db.session.scalars(select(ImportBatch.id))) == [fresh_id]
    assert not (folder / f"batch-{old_id}.upload").exists()
    assert (folder / f"batch-{fresh_id}.upload").exists()
    assert client.get(f"/data/imports/{old_id}/mapping").status_code == 404


def test_purge_command_deletes_waiting_uploads_older_than_asked(app, client, runner, users):
    login(client, "office_county")
    upload(client, csv_bytes(power_rows(f.make_id_number())))
    batch = db.session.scalar(select(ImportBatch))
    batch_id = batch.id
    batch.created_at -= timedelta(hours=3)
    db.session.commit()
    assert "0 abandoned upload(s) deleted" in runner.invoke(args=["purge-abandoned-uploads"]).output
    result = runner.invoke(args=["purge-abandoned-uploads", "--hours", "2"])
    assert "1 abandoned upload(s) deleted" in result.output
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    assert list((Path(app.instance_path) / "imports").glob(f"batch-{batch_id}.*")) == []


@pytest.mark.real_commits  # the importer's own connection
def test_a_saved_mapping_none_of_whose_columns_exist_is_not_said_to_be_applied(client, users):
    login(client, "office_county")
    confirm_mapping(client, upload(client, csv_bytes(power_rows(f.make_id_number()))))
    other_layout = ["账户", "客户", "身份证", "月份", "电量", "金额", "缴费日"]
    response = upload(client, csv_bytes(power_rows(f.make_id_number()), headers=other_layout))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已套用本单位上次保存" not in page
    assert "本文件中一个也没有，未能套用" in page


def test_an_upload_never_mapped_shows_in_the_import_list(client, users):
    login(client, "office_town")
    response = upload(client, csv_bytes(power_rows(f.make_id_number())))
    batch = db.session.scalar(select(ImportBatch))
    assert batch.status == BatchStatus.PENDING
    listing = client.get("/data/imports").get_data(as_text=True)
    assert "国网电费.csv" in listing and "待确认列对应" in listing
    assert response.headers["Location"].endswith(f"/data/imports/{batch.id}/mapping")
    assert f'href="/data/imports/{batch.id}/mapping"' in listing  # its uploader continues
    post_from(client, "/data/imports", "/logout")
    login(client, "office_county")  # sees it waiting, but the mapping is the uploader's
    listing = client.get("/data/imports").get_data(as_text=True)
    assert "国网电费.csv" in listing and "等待上传人设置列对应" in listing
    assert f"/data/imports/{batch.id}/mapping" not in listing
