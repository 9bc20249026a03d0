"""Department files go in through the upload page as a credit office uses it, with CSRF
protection on as in production: every file the demo writes (CSV and XLSX) imports, a 100 MB
file is accepted, a file over the route's own limit gets a Chinese 413, and a header with
thousands of columns is refused before it reaches the mapping page."""

import io
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

import tests.factories as f
from agri_credit.demo.departments import write_department_files
from agri_credit.demo.loader import generate_demo
from agri_credit.departmental.sources import spec_for
from models import BatchStatus, ImportBatch, db
from tests.conftest import csrf_token, login
from tests.test_departmental_import import POWER_HEADERS, power_rows
from tests.test_departmental_pages import mapping_fields

MB = 1024 * 1024


@pytest.fixture
def county_office(client, users, csrf_on):
    login(client, "office_county")
    return client


def upload_file(client, source: str, handle, name: str):
    token = csrf_token(client.get(f"/data/imports/new?source={source}").get_data(as_text=True))
    return client.post(
        "/data/imports/new",
        data={"source": source, "file": (handle, name), "csrf_token": token},
        content_type="multipart/form-data",
    )


def confirm_suggested_mapping(client, uploaded) -> ImportBatch:
    """Accept the mapping the page offers, as a clerk who checks it would, and import."""
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)[:2000]
    mapping_url = uploaded.headers["Location"]
    page = client.get(mapping_url).get_data(as_text=True)
    data = mapping_fields(page) | {"on_error": "all_or_nothing", "csrf_token": csrf_token(page)}
    done = client.post(mapping_url, data=data)
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    batch_id = int(re.search(r"/imports/(\d+)", done.headers["Location"]).group(1))
    return db.session.get(ImportBatch, batch_id)


def records_of(batch: ImportBatch) -> int:
    model = spec_for(batch.source).model
    return db.session.scalar(
        select(func.count()).select_from(model).where(model.batch_id == batch.id)
    )


# ---- every file the demo writes --------------------------------------------------------------


# One xdist worker runs this file (`make test`: --dist loadgroup), so its module-scoped
# fixtures are built once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_department_uploads")


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    """What `flask demo-department-files OUT_DIR --households 300` writes, with each file's
    department (the command's own functions, so the test knows which source to pick)."""
    data = generate_demo(5, 300)
    files = data.department_files()
    paths = write_department_files(files, tmp_path_factory.mktemp("department-files"))
    return list(zip(files, paths, strict=True))


@pytest.mark.real_commits  # the departmental importer's own connection
def test_every_demo_department_file_imports_through_the_upload_page(county_office, demo_files):
    formats = {file.format for file, _ in demo_files}
    assert formats == {"csv", "xlsx"}
    for file, path in demo_files:
        with open(path, "rb") as handle:
            uploaded = upload_file(county_office, file.source.value, handle, path.name)
        batch = confirm_suggested_mapping(county_office, uploaded)
        db.session.refresh(batch)
        label = f"{path.name}: {batch.message}"
        assert batch.status == BatchStatus.IMPORTED, label
        assert batch.filename == path.name
        assert batch.rows_read == len(file.frame), label
        assert batch.rows_rejected == 0, label
        assert batch.rows_inserted == len(file.frame), label
        assert records_of(batch) == len(file.frame), label
        page = county_office.get(f"/data/imports/{batch.id}").get_data(as_text=True)
        assert "已导入" in page
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == len(demo_files)


# ---- size limits per route -------------------------------------------------------------------


def big_power_csv(path: Path, size: int) -> int:
    """An electricity ledger of `size` bytes or more: real rows, each with a long 备注 (the
    bytes are what the limit is about; few rows keep the import itself quick)."""
    people = [f.make_id_number() for _ in range(300)]
    rows = [row for person in people for row in power_rows(person, months=11)]
    remark = "抄表员备注" * (size // len(rows) // 15 + 1)  # 15 bytes in UTF-8
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(",".join([*POWER_HEADERS, "备注"]) + "\n")
        for row in rows:
            out.write(",".join(str(c) for c in row) + f",{remark}\n")
    assert path.stat().st_size >= size
    return len(rows)


@pytest.mark.real_commits  # the departmental importer's own connection
def test_a_100_mb_department_file_is_accepted_and_its_rows_land(county_office, tmp_path):
    path = tmp_path / "国网电费_全年.csv"
    rows = big_power_csv(path, 100 * MB)

    with open(path, "rb") as handle:
        uploaded = upload_file(county_office, "electricity", handle, path.name)
    batch = confirm_suggested_mapping(county_office, uploaded)

    db.session.refresh(batch)
    assert batch.status == BatchStatus.IMPORTED, batch.message
    assert batch.file_size == path.stat().st_size
    assert batch.rows_read == rows and batch.rows_inserted == rows
    assert records_of(batch) == rows


def test_a_department_file_over_the_routes_limit_gets_a_chinese_413(
    county_office, app, monkeypatch
):
    monkeypatch.setitem(app.config, "DEPARTMENTAL_UPLOAD_MAX_BYTES", 2 * MB)
    content = b"a,b\n" + b"1,2\n" * (MB // 2)  # 2 MB and a little

    response = upload_file(county_office, "electricity", io.BytesIO(content), "电费.csv")

    assert response.status_code == 413
    assert "上传的文件太大（上限 2 MB）" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_cadres_forms_keep_the_app_wide_8_mb_limit(client, users, csrf_on):
    login(client, "cadre_a")
    page = client.get("/imports/households").get_data(as_text=True)
    response = client.post(
        "/imports/households",
        data={"file": (io.BytesIO(b"x" * (9 * MB)), "农户.xlsx"), "csrf_token": csrf_token(page)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "上传的文件太大（上限 8 MB）" in response.get_data(as_text=True)


# ---- too many columns ------------------------------------------------------------------------


def test_a_header_of_ten_thousand_columns_is_refused_quickly_in_chinese(county_office):
    header = ",".join(f"列{i}" for i in range(10_000))
    content = (header + "\n" + ",".join("1" for _ in range(10_000)) + "\n").encode()

    started = time.perf_counter()
    response = upload_file(county_office, "electricity", io.BytesIO(content), "宽表.csv")
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "文件第一行有 10,000 列，超过 200 列的上限" in page
    assert elapsed < 3
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
