"""Spreadsheets going in and out are handled as hostile: an uploaded .xlsx that unpacks to far
more than it weighs (a decompression bomb) is refused before it is opened, on every upload
route, within a second; and text that a spreadsheet would run as a formula comes back out of
every export as the text it is. CSRF protection is on, as in production."""

import csv
import io
import time
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

import tests.factories as f
from models import ImportBatch, RatingResult, UploadBatch, db
from tests.conftest import csrf_token, login
from tests.test_department_uploads import confirm_suggested_mapping, upload_file
from tests.test_departmental_import import POWER_HEADERS, power_rows
from tests.test_household_import import head, workbook
from tests.test_rating_reports import make_run

MB = 1024 * 1024
INJECTED = '=HYPERLINK("http://e.x","y")'


def bomb(sheet_mb: int) -> bytes:
    """A zip shaped like an .xlsx whose one sheet part inflates to `sheet_mb` MB of repeated
    row XML: a few hundred KB on the wire."""
    row = b'<row><c t="inlineStr"><is><t>AAAAAAAA</t></is></c></row>'
    block = row * (MB // len(row))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(b"<worksheet><sheetData>")
            for _ in range(sheet_mb):
                part.write(block)
            part.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


# One xdist worker runs this file (`make test`: --dist loadgroup), so its module-scoped
# fixtures are built once, not once per worker.
pytestmark = pytest.mark.xdist_group("test_spreadsheet_safety")


@pytest.fixture(scope="module")
def small_bomb() -> bytes:
    return bomb(60)  # 60 MB of sheet XML: under every size limit, compressed ~1000 times


@pytest.fixture(scope="module")
def large_bomb() -> bytes:
    return bomb(300)  # over the 200 MB a cadre's workbook may unpack to


def timed(call):
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


# ---- decompression bombs ------------------------------------------------------------------


def test_a_zip_bomb_named_xlsx_is_refused_on_the_departmental_upload(
    client, users, csrf_on, small_bomb
):
    assert len(small_bomb) < MB
    login(client, "office_county")

    response, elapsed = timed(
        lambda: upload_file(client, "water", io.BytesIO(small_bomb), "水费.xlsx")
    )

    assert response.status_code == 200
    assert "压缩了" in response.get_data(as_text=True)
    assert "疑似恶意构造的压缩文件，已拒绝" in response.get_data(as_text=True)
    assert elapsed < 1, elapsed
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_a_zip_bomb_named_csv_is_refused_too(client, users, csrf_on, small_bomb):
    login(client, "office_county")
    response = upload_file(client, "electricity", io.BytesIO(small_bomb), "电费.csv")
    assert response.status_code == 200
    assert "疑似恶意构造的压缩文件，已拒绝" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_a_department_xlsx_over_the_unzipped_limit_is_refused(
    client, users, csrf_on, app, monkeypatch, small_bomb
):
    monkeypatch.setitem(app.config, "DEPARTMENTAL_XLSX_MAX_UNZIPPED_BYTES", 50 * MB)
    login(client, "office_county")
    response = upload_file(client, "water", io.BytesIO(small_bomb), "水费.xlsx")
    assert response.status_code == 200
    assert "解压后有 60 MB，超过 50 MB 的上限" in response.get_data(as_text=True)


def household_upload(client, content: bytes):
    page = client.get("/imports/households").get_data(as_text=True)
    return client.post(
        "/imports/households",
        data={"file": (io.BytesIO(content), "农户登记.xlsx"), "csrf_token": csrf_token(page)},
        content_type="multipart/form-data",
    )


def test_a_zip_bomb_is_refused_on_the_household_sheet_import(client, users, csrf_on, small_bomb):
    login(client, "cadre_a")

    response, elapsed = timed(lambda: household_upload(client, small_bomb))

    assert response.status_code == 400
    assert "疑似恶意构造的压缩文件，已拒绝" in response.get_data(as_text=True)
    assert elapsed < 1, elapsed
    assert db.session.scalar(select(func.count()).select_from(UploadBatch)) == 0


def test_a_household_sheet_unpacking_past_its_limit_is_refused(client, users, csrf_on, large_bomb):
    login(client, "cadre_a")

    response, elapsed = timed(lambda: household_upload(client, large_bomb))

    assert response.status_code == 400
    assert "解压后有 300 MB，超过 200 MB 的上限" in response.get_data(as_text=True)
    assert elapsed < 1, elapsed


# ---- formula injection --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "field", "value"),
    [
        ("/households/new", "head_name", INJECTED),
        ("/households/new", "members-0-name", "-2+3"),
        ("/entities/new", "name", "@SUM(1+1)"),
        ("/entities/new", "operator_name", "+1"),
        ("/enterprises/new", "name", "\t=1+1"),
    ],
)
def test_names_that_a_spreadsheet_would_run_are_refused_at_input(
    client, users, csrf_on, url, field, value
):
    login(client, "cadre_a")
    page = client.get(url).get_data(as_text=True)

    response = client.post(url, data={field: value, "csrf_token": csrf_token(page)})

    assert response.status_code == 200  # the form again, nothing saved
    assert "名称不能以 =、+、-、@ 或制表符开头（电子表格会把它当作公式）" in response.get_data(
        as_text=True
    )


def test_the_household_sheet_refuses_such_names_too(client, users, csrf_on):
    login(client, "cadre_a")
    response = household_upload(client, workbook([head(), head(head_name="+SUM(A1:A9)")]))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "名称不能以 =、+、-、@ 或制表符开头" in page
    assert db.session.scalar(select(func.count()).select_from(UploadBatch)) == 1


def assert_text_cell(cell, expected: str) -> None:
    assert cell.value == expected  # shown as the original name, nothing added
    assert cell.data_type == "s"  # a string, not a formula
    assert cell.quotePrefix  # and Excel keeps it text when the cell is edited


def test_a_formula_name_comes_back_as_text_in_the_rating_results_xlsx(
    app, client, users, cipher, csrf_on
):
    household = f.make_household(cipher, users["cadre"], head_name=INJECTED)
    run = make_run(users["office"], 2025)
    db.session.add(
        RatingResult(
            run_id=run.id,
            household_id=household.id,
            village_code=household.village_code,
            score=Decimal("82"),
            grade="AAA",
            breakdown={},
        )
    )
    db.session.commit()
    login(client, "office_county")

    response = client.get(f"/ratings/runs/{run.id}/results.xlsx")

    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in archive.read(n) for n in sheets)  # no formula anywhere
    sheet = load_workbook(io.BytesIO(response.data))["农户评定结果"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[2].value == INJECTED)
    assert_text_cell(row[2], INJECTED)
    assert row[5].value == "AAA"


@pytest.mark.real_commits  # the departmental importer's own connection
def test_a_formula_cell_comes_back_as_text_in_the_departmental_error_report(client, users, csrf_on):
    login(client, "office_county")
    rows = power_rows(f.make_id_number(), name=INJECTED, months=2)
    # 抄表年月: bad periods, each shown as it was in the file in the report's 单元格内容.
    rows[0][3] = INJECTED
    rows[1][3] = "@SUM(1+1)*cmd|' /C calc'!A0"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(POWER_HEADERS)
    writer.writerows(rows)

    uploaded = upload_file(
        client, "electricity", io.BytesIO(buffer.getvalue().encode()), "国网电费.csv"
    )
    batch = confirm_suggested_mapping(client, uploaded)
    report = client.get(f"/data/imports/{batch.id}/errors.xlsx")

    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.data))["错误报告"]
    bad = {r[0].value: r[3] for r in sheet.iter_rows(min_row=2) if r[2].value == "抄表年月"}
    assert set(bad) == {2, 3}
    assert_text_cell(bad[2], INJECTED)
    assert_text_cell(bad[3], "@SUM(1+1)*cmd|' /C calc'!A0")
