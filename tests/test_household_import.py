"""A cadre enters many household files at once: she downloads the template for her village,
fills it in offline and uploads it. The whole sheet is checked; nothing is written until it
is clean (unless she asks for the valid rows); uploading the same sheet again changes nothing."""

import json
import zipfile
from io import BytesIO

import pytest
from flask import current_app
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from agri_credit.extensions import id_cipher
from agri_credit.household_import import services
from models import AuditEvent, Household, HouseholdMember, UploadBatch, db
from tests import factories as f
from village_forms import household_fields as hf
from village_forms.household_sheet import (
    ERROR_SHEET,
    HOUSEHOLD_COLUMNS,
    MEMBER_COLUMNS,
    build_template,
)
from village_forms.household_sheet_reader import parse_workbook

# ---- building sheets the way a cadre fills them ----------------------------------------------


def head(**overrides) -> dict:
    row = {
        "group_name": "第1组",
        "head_name": "杨建国",
        "head_id_number": f.make_id_number(),
        "phone": "13912345678",
        "address": "杨家村一组12号",
        "registration_type": "农业户口",
        "housing": "砖混",
        "head_education": "初中",
        "head_health": "健康",
        "land_contracted_mu": 8,
        "income_crops": 30000,
        "income_wages": 20000,
        "annual_spending": 25000,
    }
    row.update(overrides)
    return row


def member(head_id: str, **overrides) -> dict:
    row = {
        "head_id_number": head_id,
        "name": "王秀兰",
        "id_number": f.make_id_number(male=False),
        "relation": "配偶",
        "health": "健康",
        "labour_ability": "全劳动力",
        "occupation": "务农",
    }
    row.update(overrides)
    return row


def workbook(households: list[dict], members: list[dict] = ()) -> bytes:
    """The real downloadable template with rows typed in."""
    with current_app.test_request_context():
        wb = load_workbook(BytesIO(build_template("杨家村", 100)))
    for row in households:
        wb["农户"].append([row.get(c.key) for c in HOUSEHOLD_COLUMNS])
    for row in members:
        wb["家庭成员"].append([row.get(c.key) for c in MEMBER_COLUMNS])
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, filename: str = "农户登记.xlsx", **fields):
    data = {"file": (BytesIO(content), filename), **fields}
    return client.post("/imports/households", data=data, content_type="multipart/form-data")


def household_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Household))


def import_events() -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "household.import"))
    )


def latest_batch() -> UploadBatch:
    db.session.expire_all()
    return db.session.scalar(select(UploadBatch).order_by(UploadBatch.id.desc()))


def by_name(name: str) -> Household:
    db.session.expire_all()
    return db.session.scalar(select(Household).where(Household.head_name == name))


# ---- the template ------------------------------------------------------------------------------


def test_template_has_chinese_headers_drop_downs_text_ids_and_instructions(as_cadre):
    response = as_cadre.get("/imports/households/template")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(BytesIO(response.data))
    assert wb.sheetnames == ["农户", "家庭成员", "填写说明"]
    households = wb["农户"]
    assert [c.value for c in households[1]] == [c.header for c in HOUSEHOLD_COLUMNS]
    assert [c.value for c in wb["家庭成员"][1]][:3] == ["户主身份证号", "成员姓名", "成员身份证号"]
    lists = [dv.formula1 for dv in households.data_validations.dataValidation if dv.type == "list"]
    assert '"' + ",".join(hf.GROUPS) + '"' in lists
    assert '"' + ",".join(hf.HOUSING) + '"' in lists
    assert households.freeze_panes == "A2"
    assert households.column_dimensions["C"].number_format == "@"  # 户主身份证号 stays text
    guide = " ".join(str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value)
    assert "杨家村" in guide and "户主身份证号" in guide


def test_upload_page_offers_template_and_office_users_pick_a_village(as_office):
    page = as_office.get("/imports/households").get_data(as_text=True)
    assert "/imports/households/template" in page
    assert "杨家村" in page and "河湾村" in page and 'name="village_code"' in page


def test_cadre_upload_page_has_no_village_choice(as_cadre):
    page = as_cadre.get("/imports/households").get_data(as_text=True)
    assert 'name="file"' in page and 'name="village_code"' not in page


# ---- a clean sheet ---------------------------------------------------------------------------------


def test_clean_sheet_imports_every_household_encrypted_masked_and_journalled(as_cadre, cipher):
    rows = [head(head_name="杨建国"), head(head_name="杨建军"), head(head_name="杨建华", phone="")]
    members = [
        member(rows[0]["head_id_number"]),
        member(rows[0]["head_id_number"], name="杨小明", relation="子", labour_ability="无劳动力"),
    ]
    content = workbook(rows, members)
    response = upload(as_cadre, content)
    assert response.status_code == 302
    page = as_cadre.get(response.headers["Location"]).get_data(as_text=True)
    assert "导入完成" in page

    batch = latest_batch()
    assert (batch.status, batch.rows_read, batch.rows_inserted) == ("imported", 3, 3)
    jianguo = by_name("杨建国")
    assert jianguo.village_code == f.VILLAGE_A and jianguo.county_code == f.COUNTY[:6]
    id_number = rows[0]["head_id_number"]
    assert cipher.decrypt(jianguo.head_id_cipher) == id_number
    assert id_number.encode() not in bytes(jianguo.head_id_cipher)
    assert jianguo.head_id_hash == cipher.blind_index(id_number)
    assert jianguo.head_birth_date.isoformat() == "1975-03-14" and jianguo.head_gender == "男"
    assert (jianguo.household_size, jianguo.labour_count) == (3, 2)
    assert [m.name for m in jianguo.members] == ["王秀兰", "杨小明"]
    assert cipher.decrypt(jianguo.members[0].id_cipher) == members[0]["id_number"]
    assert "联系电话" in by_name("杨建华").missing_fields
    assert "家庭成员" not in jianguo.missing_fields

    listing = as_cadre.get("/households/").get_data(as_text=True)
    assert id_number not in listing and id_number[:4] + "*" * 10 + id_number[-4:] in listing

    events = import_events()
    assert len(events) == 3
    assert {e.subject_id for e in events} == set(db.session.scalars(select(Household.id)))
    journal = json.dumps([e.changes for e in events], ensure_ascii=False)
    for value in [r["head_id_number"] for r in rows] + [m["id_number"] for m in members]:
        assert value not in journal  # only ever masked
    assert events[0].user.username == "cadre_a"
    # The stored upload holds plain ID numbers too, so it is kept encrypted.
    assert batch.content != content and id_cipher().unseal(batch.content) == content


def test_import_service_runs_without_a_request(app, users, cipher):
    """The plain service: frames in, counts out, in the caller's transaction."""
    rows = [head(head_name="杨甲"), head(head_name="杨乙")]
    with app.test_request_context():
        parsed = parse_workbook(workbook(rows), 100)
    counts, rejected = services.import_households(
        db.session,
        parsed.valid_households(),
        parsed.valid_members(),
        cipher,
        f.VILLAGE_A,
        users["cadre"].id,
    )
    db.session.commit()
    assert (counts.inserted, counts.updated, counts.unchanged, rejected) == (2, 0, 0, [])
    assert household_count() == 2


# ---- a sheet with mistakes ------------------------------------------------------------------------


def bad_sheet() -> tuple[bytes, list[dict]]:
    duplicate = f.make_id_number()
    rows = [
        head(head_name="杨好"),  # row 2: fine
        head(head_name="杨错", head_id_number="610528197503140010", phone="12345"),  # row 3
        head(head_name="", land_contracted_mu=-3, income_crops=99_999_999_999),  # row 4
        head(head_name="杨重一", head_id_number=duplicate, housing="茅草"),  # row 5
        head(head_name="杨重二", head_id_number=duplicate),  # row 6
        head(head_name="杨好二"),  # row 7: fine, but its member row is wrong
    ]
    members = [
        member(rows[0]["head_id_number"]),
        member(rows[5]["head_id_number"], relation="朋友"),
    ]
    return workbook(rows, members), rows


def test_sheet_with_bad_cells_imports_nothing_and_lists_every_bad_cell(as_cadre):
    content, _ = bad_sheet()
    response = upload(as_cadre, content)
    assert response.status_code == 302
    page = as_cadre.get(response.headers["Location"]).get_data(as_text=True)
    assert household_count() == 0 and import_events() == []
    assert "整个文件都没有写入" in page
    errors = {(e["sheet"], e["row"], e["column"]): e["message"] for e in latest_batch().errors}
    assert "校验位错误" in errors[("农户", 3, "户主身份证号")]
    assert "电话号码格式不正确" in errors[("农户", 3, "联系电话")]
    assert errors[("农户", 4, "户主姓名")] == "此项为必填项"
    assert errors[("农户", 4, "承包地(亩)")] == "不能小于0"
    assert "超出合理范围" in errors[("农户", 4, "种植收入(元/年)")]
    assert "不是可选值" in errors[("农户", 5, "住房结构")]
    assert "重复（第 5、6 行）" in errors[("农户", 5, "户主身份证号")]
    assert "重复（第 5、6 行）" in errors[("农户", 6, "户主身份证号")]
    assert "不是可选值" in errors[("家庭成员", 3, "与户主关系")]
    for message in errors.values():
        assert message in page
    assert "仅导入有效行" in page and "下载标出错误的文件" in page


def test_marked_workbook_shows_each_error_on_its_cell(as_cadre):
    content, _ = bad_sheet()
    location = upload(as_cadre, content).headers["Location"]
    response = as_cadre.get(location + "/marked.xlsx")
    assert response.status_code == 200
    wb = load_workbook(BytesIO(response.data))
    assert wb.sheetnames[0] == ERROR_SHEET
    listed = [tuple(r) for r in wb[ERROR_SHEET].iter_rows(min_row=2, values_only=True)]
    assert ("农户", 3, "联系电话") in [r[:3] for r in listed]
    households = wb["农户"]
    phone = households["D3"]
    assert phone.fill.fgColor.rgb.endswith("FFC7CE")
    assert "电话号码格式不正确" in phone.comment.text
    assert households["A2"].comment is None or "模板" in households["A2"].comment.author
    last = households.max_column
    assert households.cell(row=1, column=last).value == "错误说明"
    assert "户主身份证号" in households.cell(row=3, column=last).value
    # Fixed or not, the marked copy can be uploaded again as it is.
    with current_app.test_request_context():
        again = parse_workbook(response.data, 100)
    assert not again.fatal and len(again.errors) == len(latest_batch().errors)


def test_import_valid_rows_imports_only_the_good_households(as_cadre):
    content, rows = bad_sheet()
    location = upload(as_cadre, content).headers["Location"]
    response = as_cadre.post(location + "/import")
    assert response.status_code == 302
    page = as_cadre.get(location).get_data(as_text=True)
    db.session.expire_all()
    names = set(db.session.scalars(select(Household.head_name)))
    assert names == {"杨好"}  # 杨好二 is held back whole because its member row is wrong
    batch = latest_batch()
    assert (batch.status, batch.rows_inserted, batch.rows_read) == ("imported", 1, 6)
    assert "有 5 户因错误未导入" in page
    assert as_cadre.post(location + "/import").status_code == 302  # a second click is harmless
    assert household_count() == 1


def test_ticking_the_box_imports_valid_rows_in_one_step(as_cadre):
    content, _ = bad_sheet()
    upload(as_cadre, content, import_valid_rows="y")
    assert latest_batch().status == "imported"
    assert household_count() == 1


# ---- uploading again ------------------------------------------------------------------------------


def test_same_sheet_twice_changes_nothing(as_cadre):
    rows = [head(head_name=f"杨{i}") for i in range(4)]
    content = workbook(rows, [member(rows[0]["head_id_number"])])
    upload(as_cadre, content)
    before = db.session.execute(
        select(Household.id, Household.updated_at).order_by(Household.id)
    ).all()
    members_before = db.session.execute(select(HouseholdMember.id)).all()
    events_before = db.session.scalar(select(func.count()).select_from(AuditEvent))

    location = upload(as_cadre, content).headers["Location"]
    batch = latest_batch()
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_unchanged) == (0, 0, 4)
    assert (
        db.session.execute(select(Household.id, Household.updated_at).order_by(Household.id)).all()
        == before
    )
    assert db.session.execute(select(HouseholdMember.id)).all() == members_before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events_before
    assert as_cadre.get(location).status_code == 200


def test_edited_sheet_updates_only_changed_households_and_journals_before_after(as_cadre):
    rows = [head(head_name="杨一"), head(head_name="杨二"), head(head_name="杨三")]
    members = [member(rows[1]["head_id_number"])]
    upload(as_cadre, workbook(rows, members))
    untouched = by_name("杨三").updated_at

    rows[0]["phone"] = "13700001111"
    rows[0]["land_contracted_mu"] = 12.5
    members = [member(rows[1]["head_id_number"], name="王秀英", id_number=None)]
    upload(as_cadre, workbook(rows, members))

    batch = latest_batch()
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_unchanged) == (0, 2, 1)
    first, second = by_name("杨一"), by_name("杨二")
    assert first.phone == "13700001111" and str(first.land_contracted_mu) == "12.50"
    assert [m.name for m in second.members] == ["王秀英"]
    assert by_name("杨三").updated_at == untouched

    changes = {e.subject_id: e.changes for e in import_events() if "修改" in e.summary}
    assert changes[first.id] == {
        "phone": ["13912345678", "13700001111"],
        "land_contracted_mu": ["8", "12.5"],
    }
    before, after = changes[second.id]["members"]
    assert before[0]["name"] == "王秀兰" and after[0]["name"] == "王秀英"
    assert "*" in before[0]["id_number"]
    history = as_cadre.get(f"/households/{first.id}/history").get_data(as_text=True)
    assert "13700001111" in history and "批量导入修改农户档案" in history


def test_blank_cells_keep_what_the_file_already_holds(as_cadre, users, cipher):
    existing = f.make_household(cipher, users["cadre"], head_name="杨老户", phone="13911112222")
    db.session.commit()
    id_number = cipher.decrypt(existing.head_id_cipher)
    row = {"group_name": "第1组", "head_name": "杨老户", "head_id_number": id_number}
    upload(as_cadre, workbook([row]))
    assert latest_batch().rows_unchanged == 1
    kept = by_name("杨老户")
    assert kept.phone == "13911112222" and len(kept.members) == 1 and kept.total_assets > 0


def test_household_filed_in_another_village_is_rejected_not_moved(as_cadre, users, cipher):
    other = f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B, head_name="李卫东")
    db.session.commit()
    row = head(head_name="李卫东", head_id_number=cipher.decrypt(other.head_id_cipher))
    location = upload(as_cadre, workbook([row, head(head_name="杨新")])).headers["Location"]
    page = as_cadre.get(location).get_data(as_text=True)
    # 西坡村 is not hers to see: the answer names neither the household nor its village.
    assert "该证件号码已在本县建档，请联系信用办" in page and "西坡村" not in page
    assert household_count() == 1
    as_cadre.post(location + "/import")
    assert by_name("李卫东").village_code == f.VILLAGE_B
    assert by_name("杨新").village_code == f.VILLAGE_A


# ---- files that cannot be read ---------------------------------------------------------------------


def _zip_without_workbook() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


def _wrong_columns() -> bytes:
    wb = Workbook()
    wb.active.title = "农户"
    wb.active.append(["姓名", "身份证", "电话"])
    wb.active.append(["杨建国", f.make_id_number(), "13912345678"])
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _no_household_sheet() -> bytes:
    wb = Workbook()
    wb.active.title = "Sheet1"
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make_content", "message"),
    [
        (lambda: b"\x00\x01 definitely not a spreadsheet", "文件已损坏或不是 Excel"),
        (lambda: workbook([head()])[:2000], "文件已损坏或不是 Excel"),  # truncated download
        (_zip_without_workbook, "文件已损坏或不是 Excel"),
        (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "旧版 .xls"),
        (
            lambda: (
                b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
                + "EncryptionInfo".encode("utf-16-le")
                + b"\x00" * 600
            ),
            "设置了打开密码",
        ),
        (_wrong_columns, "缺少列：村民小组"),
        (_no_household_sheet, "找不到“农户”工作表"),
        (lambda: workbook([]), "没有填写任何农户"),
    ],
)
def test_unreadable_file_gets_a_clear_message_never_a_500(as_cadre, make_content, message):
    response = upload(as_cadre, make_content())
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert household_count() == 0
    assert db.session.scalar(select(func.count()).select_from(UploadBatch)) == 0


def test_too_many_rows_is_refused_whole(as_cadre, monkeypatch):
    monkeypatch.setitem(current_app.config, "XLSX_MAX_ROWS", 3)
    response = upload(as_cadre, workbook([head() for _ in range(4)]))
    assert response.status_code == 400
    assert "超过 3 行上限" in response.get_data(as_text=True)
    assert household_count() == 0


def test_a_file_that_is_not_xlsx_is_refused_by_the_form(as_cadre):
    response = upload(as_cadre, b"name,id\n", filename="农户.csv")
    assert response.status_code == 200
    assert "只能上传 .xlsx 文件" in response.get_data(as_text=True)


def test_oversized_upload_gets_the_413_page(as_cadre, monkeypatch):
    monkeypatch.setitem(current_app.config, "MAX_CONTENT_LENGTH", 2048)
    response = upload(as_cadre, workbook([head()]))
    assert response.status_code == 413
    assert "上传的文件太大" in response.get_data(as_text=True)


# ---- scope ------------------------------------------------------------------------------------------


def test_cadre_cannot_import_into_another_village(as_cadre):
    upload(as_cadre, workbook([head(head_name="杨越界")]), village_code=f.VILLAGE_B)
    assert by_name("杨越界").village_code == f.VILLAGE_A


def test_bank_officers_and_applicants_cannot_import(client, users):
    from tests.conftest import login

    login(client, "officer")
    assert client.get("/imports/households").status_code == 403
    assert upload(client, workbook([head()])).status_code == 403
    assert client.get("/imports/households/template").status_code == 403
    assert household_count() == 0


def test_another_users_upload_is_not_disclosed(client, users):
    from tests.conftest import login

    login(client, "cadre_a")
    content, _ = bad_sheet()
    location = upload(client, content).headers["Location"]
    client.post("/logout")
    login(client, "cadre_b")
    assert client.get(location).status_code == 404
    assert client.get(location + "/marked.xlsx").status_code == 404
    assert client.post(location + "/import").status_code == 404
    assert household_count() == 0


def test_office_user_must_pick_a_village_in_her_scope(as_office):
    page = upload(as_office, workbook([head(head_name="张河清")])).get_data(as_text=True)
    assert "请选择要导入的村" in page and household_count() == 0
    upload(as_office, workbook([head(head_name="张河清")]), village_code=f.VILLAGE_C)
    assert by_name("张河清").village_code == f.VILLAGE_C


def test_township_office_cannot_pick_a_village_of_another_township(client, users):
    from tests.conftest import login

    login(client, "office_town")
    upload(client, workbook([head(head_name="张越界")]), village_code=f.VILLAGE_C)
    assert household_count() == 0


# ---- all or nothing ---------------------------------------------------------------------------------


def test_a_crash_mid_import_leaves_the_database_unchanged(as_cadre, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    # Households are inserted first; the crash comes after, while writing members.
    monkeypatch.setattr(services, "_insert_members", explode)
    rows = [head(head_name="杨甲"), head(head_name="杨乙")]
    response = upload(as_cadre, workbook(rows, [member(rows[0]["head_id_number"])]))
    assert response.status_code == 302
    page = as_cadre.get(response.headers["Location"]).get_data(as_text=True)
    assert "已全部撤销" in page
    assert household_count() == 0 and import_events() == []
    assert latest_batch().status == "failed"


# ---- parsing details ----------------------------------------------------------------------------------


def test_id_number_typed_as_a_number_is_caught_with_a_hint(app):
    wb = Workbook()
    ws = wb.active
    ws.title = "农户"
    ws.append([c.header for c in HOUSEHOLD_COLUMNS])
    ws.append(["第1组", "杨建国", 6.10528197503141e17, 13912345678] + [None] * 15)
    buffer = BytesIO()
    wb.save(buffer)
    with app.test_request_context():
        parsed = parse_workbook(buffer.getvalue(), 100)
    assert not parsed.fatal and parsed.members_sheet_present is False
    assert [e["column"] for e in parsed.errors] == ["户主身份证号"]
    assert "存成了数字" in parsed.errors[0]["message"]
    assert parsed.households.loc[0, "phone"] == "13912345678"  # a phone number cell is fine


def test_member_of_a_head_missing_from_the_household_sheet_is_an_error(app):
    rows = [head()]
    with app.test_request_context():
        parsed = parse_workbook(workbook(rows, [member(f.make_id_number())]), 100)
    assert [(e["sheet"], e["row"], e["column"]) for e in parsed.errors] == [
        ("家庭成员", 2, "户主身份证号")
    ]
    assert len(parsed.valid_households()) == 1 and parsed.valid_members().empty


def test_a_sheet_where_every_row_is_wrong_lists_its_errors(as_cadre):
    content = workbook(
        [
            head(head_name="杨错", head_id_number="610528197503140010"),
            head(head_name="", housing="茅草"),
        ]
    )
    response = upload(as_cadre, content)
    assert response.status_code == 302
    page = as_cadre.get(response.headers["Location"]).get_data(as_text=True)
    batch = latest_batch()
    assert batch.status != "failed" and "导入过程中出错" not in page
    assert household_count() == 0 and batch.rows_valid == 0
    errors = {(e["row"], e["column"]): e["message"] for e in batch.errors}
    assert "校验位错误" in errors[(2, "户主身份证号")]
    assert errors[(3, "户主姓名")] == "此项为必填项"
    assert "不是可选值" in errors[(3, "住房结构")]
    for message in errors.values():
        assert message in page
