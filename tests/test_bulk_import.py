"""Bulk entry beyond households and members: a cadre (her village) or an office (its scope)
downloads a template for 村评议, assets, land, crops and livestock, insurance or entities,
fills it in Excel or saves it as CSV, and uploads it through the page with CSRF on. Every
cell is checked; nothing lands until the sheet is clean (unless she asks for the valid rows);
re-importing the same sheet changes nothing; bulk 村评议 counts as the form's does."""

import csv
import io
from datetime import date
from io import BytesIO

import pytest
from flask import current_app
from openpyxl import load_workbook
from sqlalchemy import func, select

from agri_credit.dashboard.file_coverage import load_file_groups, summarise_files
from agri_credit.rating_cycle.runs.inputs import household_facts
from models import (
    AgriEntity,
    AuditEvent,
    Household,
    InsurancePolicy,
    ProductionItem,
    Region,
    UploadBatch,
    User,
    VillageEvaluation,
    clock,
    db,
)
from tests import factories as f
from tests.conftest import csrf_token
from village_forms.bulk_sheets import BULK_SHEETS, EXAMPLE_SHEET, build_bulk_template
from village_forms.household_sheet import ERROR_SHEET, GUIDE_SHEET

YEAR = clock.today().year


def sheet(kind: str, rows: list[dict], max_rows: int = 100) -> bytes:
    """The real downloadable template with rows typed in, as openpyxl saves it."""
    spec = BULK_SHEETS[kind]
    with current_app.test_request_context():
        wb = load_workbook(BytesIO(build_bulk_template(spec, "杨家村", max_rows)))
    for row in rows:
        wb[spec.sheet].append([row.get(c.key) for c in spec.columns])
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_sheet(kind: str, rows: list[dict], encoding: str = "utf-8-sig") -> bytes:
    spec = BULK_SHEETS[kind]
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow([c.header for c in spec.columns])
    for row in rows:
        writer.writerow(["" if row.get(c.key) is None else row.get(c.key) for c in spec.columns])
    return text.getvalue().encode(encoding)


def upload(client, kind: str, content: bytes, filename: str = "录入.xlsx", **fields):
    """As a browser does it: open the page, post its token with the file."""
    page = client.get(f"/imports/bulk/{kind}").get_data(as_text=True)
    data = {"file": (BytesIO(content), filename), **fields}
    if token := csrf_token(page):
        data["csrf_token"] = token
    return client.post(f"/imports/bulk/{kind}", data=data, content_type="multipart/form-data")


def latest_batch() -> UploadBatch:
    db.session.expire_all()
    return db.session.scalar(select(UploadBatch).order_by(UploadBatch.id.desc()))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def evaluation(household: Household, id_number: str, **overrides) -> dict:
    row = {
        "head_id_number": id_number,
        "head_name": household.head_name,
        "year": YEAR,
        "law_abiding": 23,
        "neighbourliness": 22,
        "elder_care": 24,
        "diligence": 20,
        "overall": "优秀",
        "remarks": "按时还贷",
    }
    row.update(overrides)
    return row


@pytest.fixture
def filed(users, cipher):
    """Two households of 杨家村 and one of the neighbouring 西坡村, with their ID numbers."""
    ids = [f.make_id_number() for _ in range(3)]
    yang = f.make_household(cipher, users["cadre"], head_name="杨建国", head_id_number=ids[0])
    wang = f.make_household(cipher, users["cadre"], head_name="王小明", head_id_number=ids[1])
    li = f.make_household(
        cipher,
        users["cadre_b"],
        village_code=f.VILLAGE_B,
        head_name="李卫东",
        head_id_number=ids[2],
    )
    db.session.commit()
    return {"yang": (yang, ids[0]), "wang": (wang, ids[1]), "li": (li, ids[2])}


# ---- templates ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(BULK_SHEETS))
def test_each_template_has_drop_downs_examples_and_an_explanation_of_every_column(as_cadre, kind):
    response = as_cadre.get(f"/imports/bulk/{kind}/template")
    assert response.status_code == 200
    spec = BULK_SHEETS[kind]
    wb = load_workbook(BytesIO(response.data))
    assert wb.sheetnames == [spec.sheet, EXAMPLE_SHEET, GUIDE_SHEET]
    data = wb[spec.sheet]
    assert [c.value for c in data[1]] == [c.header for c in spec.columns]
    assert data.max_row == 1  # nothing she could import by mistake
    lists = [v.formula1 for v in data.data_validations.dataValidation if v.type == "list"]
    for column in spec.columns:
        if column.kind == "choice":
            assert '"' + ",".join(column.choices) + '"' in lists
    examples = wb[EXAMPLE_SHEET]
    assert examples.max_row == 1 + len(spec.examples) >= 3
    guide = "\n".join(str(c.value) for row in wb[GUIDE_SHEET].iter_rows() for c in row if c.value)
    for column in spec.columns:
        assert column.header in guide
    assert spec.key_headers in guide


def test_template_examples_pass_the_checks_they_illustrate(app):
    """The example rows are what a correct row looks like: the parser accepts every one."""
    from village_forms.bulk_sheet_reader import parse_bulk_xlsx

    for kind, spec in BULK_SHEETS.items():
        rows = [dict(zip([c.key for c in spec.columns], e, strict=True)) for e in spec.examples]
        with app.test_request_context():
            parsed = parse_bulk_xlsx(sheet(kind, rows), spec, 100)
        assert parsed.errors == [], kind


def test_every_kind_is_offered_beside_the_household_sheet(as_cadre):
    page = as_cadre.get("/imports/households").get_data(as_text=True)
    for kind in BULK_SHEETS:
        assert f"/imports/bulk/{kind}" in page
    page = as_cadre.get("/imports/bulk/evaluations").get_data(as_text=True)
    assert "村评议批量录入" in page and "/imports/bulk/evaluations/template" in page
    assert 'name="village_code"' not in page  # a cadre imports into her own village


# ---- 村评议 --------------------------------------------------------------------------------------


def missing_evaluations() -> int:
    """The county office dashboard's count of files missing 村评议."""
    db.session.expire_all()
    office = db.session.scalar(select(User).where(User.username == "office_county"))
    return dict(summarise_files(load_file_groups(office)).missing).get("村评议", 0)


def test_bulk_village_evaluations_count_in_missing_items_and_rating_inputs(
    csrf_on, as_cadre, filed, users
):
    (yang, yang_id), (wang, wang_id) = filed["yang"], filed["wang"]
    assert "村评议" in yang.missing_fields
    assert missing_evaluations() == 3
    version = yang.version
    response = upload(
        as_cadre,
        "evaluations",
        sheet(
            "evaluations",
            [evaluation(yang, yang_id), evaluation(wang, wang_id, overall="较好")],
        ),
    )
    assert response.status_code == 302
    batch = latest_batch()
    assert (batch.status, batch.rows_inserted, batch.errors) == ("imported", 2, [])
    db.session.expire_all()
    yang = db.session.get(Household, yang.id)
    assert "村评议" not in yang.missing_fields
    assert yang.completeness == 100
    assert yang.version == version + 1  # an edit form opened before is now stale
    assert missing_evaluations() == 1  # the dashboard's 缺项 figure: only 李卫东's is left
    [event] = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.subject_id == yang.id, AuditEvent.action == "household.bulk_part"
        )
    )
    assert event.changes["evaluations"][0] == []
    assert event.changes["evaluations"][1][0]["overall"] == "优秀"
    assert event.subject_version == yang.version
    # The rating reads them as it reads the form's.
    facts = household_facts(db.session.get(Region, f.VILLAGE_A), YEAR).set_index("household_id")
    assert facts.at[yang.id, "evaluation_overall"] == "优秀"
    assert facts.at[wang.id, "evaluation_overall"] == "较好"
    # The history page shows the bulk entry.
    history = as_cadre.get(f"/households/{yang.id}/history").get_data(as_text=True)
    assert "批量导入村评议" in history


def test_same_sheet_twice_changes_nothing_and_an_edited_row_updates_in_place(
    csrf_on, as_cadre, filed
):
    (yang, yang_id), (wang, wang_id) = filed["yang"], filed["wang"]
    rows = [evaluation(yang, yang_id), evaluation(wang, wang_id)]
    upload(as_cadre, "evaluations", sheet("evaluations", rows))
    upload(as_cadre, "evaluations", sheet("evaluations", rows))
    batch = latest_batch()
    assert (batch.status, batch.rows_inserted, batch.rows_updated, batch.rows_unchanged) == (
        "imported",
        0,
        0,
        2,
    )
    assert count(VillageEvaluation) == 2
    rows[0]["overall"], rows[0]["diligence"] = "一般", 12
    upload(as_cadre, "evaluations", sheet("evaluations", rows))
    batch = latest_batch()
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_unchanged) == (0, 1, 1)
    assert count(VillageEvaluation) == 2
    stored = db.session.scalar(
        select(VillageEvaluation).where(VillageEvaluation.household_id == yang.id)
    )
    assert (stored.overall, stored.diligence) == ("一般", 12)


# ---- the other parts, from XLSX and from CSV -------------------------------------------------


def part_rows(kind: str, household: Household, id_number: str) -> list[dict]:
    base = {"head_id_number": id_number, "head_name": household.head_name}
    return {
        "assets": [
            {**base, "kind": "农机具", "description": "拖拉机", "value": 35000},
            {**base, "kind": "合作社股金", "description": "柿饼社", "value": 5000},
        ],
        "land": [
            {**base, "land_type": "承包地", "area_mu": 9.5},
            {**base, "land_type": "流转地", "area_mu": 30},
        ],
        "production": [
            {**base, "kind": "种植", "name": "柿子", "quantity": 12, "unit": "亩"},
            {**base, "kind": "养殖", "name": "奶山羊", "quantity": 40, "unit": "只"},
        ],
        "insurance": [
            {
                **base,
                "kind": "种植险",
                "insurer": "人保财险",
                "insured_amount": 12000,
                "year": YEAR,
            },
            {**base, "kind": "农房险", "insurer": "", "insured_amount": 50000, "year": YEAR},
        ],
    }[kind]


@pytest.mark.parametrize("fmt", ["xlsx", "csv-utf8", "csv-gbk"])
@pytest.mark.parametrize("kind", ["assets", "land", "production", "insurance"])
def test_each_part_imports_from_xlsx_and_csv_and_again_without_duplicates(
    csrf_on, as_cadre, filed, kind, fmt
):
    yang, yang_id = filed["yang"]
    rows = part_rows(kind, yang, yang_id)
    if fmt == "xlsx":
        content, name = sheet(kind, rows), "录入.xlsx"
    else:
        content = csv_sheet(kind, rows, "utf-8-sig" if fmt == "csv-utf8" else "gb18030")
        name = "录入.csv"
    for _ in range(2):
        assert upload(as_cadre, kind, content, name).status_code == 302
        batch = latest_batch()
        assert batch.status == "imported", batch.errors
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_unchanged) == (0, 0, 2)
    db.session.expire_all()
    yang = db.session.get(Household, yang.id)
    if kind == "assets":
        # The factory's 自建房 stays; the sheet's two are added once.
        assert sorted(a.description for a in yang.assets) == ["拖拉机", "柿饼社", "自建房"]
        assert yang.total_assets == 190000 and yang.coop_shares == 5000
    elif kind == "land":
        assert (yang.land_contracted_mu, yang.land_transferred_mu) == (9.5, 30)
    elif kind == "production":
        assert count(ProductionItem) == 5  # the three filed households' 小麦, and two here
        assert {(p.name, p.unit) for p in yang.production} >= {("柿子", "亩"), ("奶山羊", "只")}
    else:
        assert count(InsurancePolicy) == 2
        assert {p.insurer for p in yang.insurance} == {"人保财险", ""}


# ---- errors -----------------------------------------------------------------------------------


def test_bad_cells_import_nothing_and_each_error_names_row_and_column_in_chinese(
    csrf_on, as_cadre, filed
):
    (yang, yang_id), (wang, wang_id) = filed["yang"], filed["wang"]
    wrong_check = yang_id[:17] + ("0" if yang_id[17] != "0" else "1")
    rows = [
        evaluation(yang, yang_id, law_abiding=30),  # row 2: out of 0-25
        evaluation(wang, wang_id, overall="很好"),  # row 3: not a choice
        evaluation(yang, wrong_check),  # row 4: bad check digit
        evaluation(wang, wang_id, year=YEAR + 1, overall="一般"),  # row 5: the future
        evaluation(yang, yang_id, head_name="杨建军", year=YEAR - 1),  # row 6: wrong name
        evaluation(wang, wang_id, year=YEAR - 2, diligence=None),  # row 7: required
    ]
    assert upload(as_cadre, "evaluations", sheet("evaluations", rows)).status_code == 302
    batch = latest_batch()
    assert batch.status == "checked" and count(VillageEvaluation) == 0
    found = {(e["row"], e["column"]): e["message"] for e in batch.errors}
    assert "应在0至25之间" in found[(2, "遵纪守法(0-25)")]
    assert "不是可选值" in found[(3, "综合评价")]
    assert "校验位" in found[(4, "户主身份证号")]
    assert f"年份应在2000至{YEAR}之间" in found[(5, "评议年度")]
    assert "户主姓名与档案不符" in found[(6, "户主姓名")]
    assert found[(7, "勤劳致富(0-25)")] == "此项为必填项"
    page = as_cadre.get(f"/imports/bulk/evaluations/{batch.id}").get_data(as_text=True)
    assert "检查发现 6 处错误，整个文件都没有写入" in page
    assert "户主姓名与档案不符" in page
    marked = as_cadre.get(f"/imports/bulk/evaluations/{batch.id}/errors.xlsx")
    wb = load_workbook(BytesIO(marked.data))
    assert wb.sheetnames[0] == ERROR_SHEET and wb[ERROR_SHEET].max_row == 7
    assert wb["村评议"]["D2"].fill.fgColor.rgb.endswith("FFC7CE")
    # Import the valid rows: none here, so nothing changes.
    token = csrf_token(page)
    as_cadre.post(f"/imports/bulk/evaluations/{batch.id}/import", data={"csrf_token": token})
    assert count(VillageEvaluation) == 0


def test_ranges_units_and_duplicate_keys_of_the_other_parts(csrf_on, as_cadre, filed):
    yang, yang_id = filed["yang"]
    base = {"head_id_number": yang_id, "head_name": yang.head_name}
    upload(
        as_cadre,
        "land",
        csv_sheet(
            "land",
            [
                {**base, "land_type": "承包地", "area_mu": 0},
                {**base, "land_type": "流转地", "area_mu": "三十"},
                {**base, "land_type": "流转地", "area_mu": 60000},
            ],
        ),
        "land.csv",
    )
    found = {(e["row"], e["column"]): e["message"] for e in latest_batch().errors}
    assert found[(2, "面积(亩)")] == "应大于0"
    assert found[(3, "面积(亩)")] == "应填写数字"
    assert "超出合理范围" in found[(4, "面积(亩)")]
    assert "“户主身份证号+地类”在本表中重复（第 3、4 行）" in found[(3, "户主身份证号")]
    upload(
        as_cadre,
        "production",
        sheet("production", [{**base, "kind": "养殖", "name": "牛", "quantity": 5, "unit": "亩"}]),
    )
    [error] = latest_batch().errors
    assert (error["row"], error["column"], error["message"]) == (
        2,
        "单位",
        "养殖的单位应为头、只、羽、箱",
    )
    # The CSV's error list downloads as a workbook too.
    report = as_cadre.get(f"/imports/bulk/land/{latest_batch().id - 1}/errors.xlsx")
    assert load_workbook(BytesIO(report.data))[ERROR_SHEET].max_row == 1 + 5


def test_valid_rows_import_on_request_and_the_rest_are_listed(csrf_on, as_cadre, filed):
    (yang, yang_id), (wang, wang_id) = filed["yang"], filed["wang"]
    rows = [evaluation(yang, yang_id), evaluation(wang, wang_id, overall="很好")]
    upload(as_cadre, "evaluations", sheet("evaluations", rows), import_valid_rows="y")
    batch = latest_batch()
    assert (batch.status, batch.rows_inserted, batch.rows_valid, batch.rows_read) == (
        "imported",
        1,
        1,
        2,
    )
    page = as_cadre.get(f"/imports/bulk/evaluations/{batch.id}").get_data(as_text=True)
    assert "有 1 行因错误未导入" in page


# ---- scope ------------------------------------------------------------------------------------


def test_a_household_outside_her_village_is_refused_naming_nothing(csrf_on, as_cadre, filed):
    li, li_id = filed["li"]
    upload(as_cadre, "evaluations", sheet("evaluations", [evaluation(li, li_id, head_name=None)]))
    batch = latest_batch()
    [error] = batch.errors
    assert error["message"] == "该证件号码已在本县建档，请联系信用办"
    page = as_cadre.get(f"/imports/bulk/evaluations/{batch.id}").get_data(as_text=True)
    assert "西坡村" not in page and "李卫东" not in page
    assert count(VillageEvaluation) == 0


def test_an_office_names_the_village_it_may_see_and_imports_into_a_village_it_picks(
    csrf_on, client, filed
):
    from tests.conftest import login

    login(client, "office_town")
    (li, li_id), (yang, yang_id) = filed["li"], filed["yang"]
    rows = [evaluation(li, li_id), evaluation(yang, yang_id)]
    upload(client, "evaluations", sheet("evaluations", rows), village_code=f.VILLAGE_A)
    found = {e["row"]: e["message"] for e in latest_batch().errors}
    assert found == {2: "该户主在“西坡村”建档，不属于本村，请在该村导入"}
    before = latest_batch().id
    response = upload(client, "evaluations", sheet("evaluations", rows), village_code=f.VILLAGE_C)
    assert response.status_code in (200, 403)  # the picker offers only its own villages
    assert latest_batch().id == before and count(VillageEvaluation) == 0


def test_another_users_batch_and_unknown_kinds_are_not_disclosed(client, filed, users):
    from tests.conftest import login

    login(client, "cadre_a")
    yang, yang_id = filed["yang"]
    upload(client, "evaluations", sheet("evaluations", [evaluation(yang, yang_id)]))
    batch_id = latest_batch().id
    client.post("/logout")
    login(client, "cadre_b")
    assert client.get(f"/imports/bulk/evaluations/{batch_id}").status_code == 404
    assert client.get(f"/imports/bulk/assets/{batch_id}").status_code == 404
    assert client.get("/imports/bulk/loans").status_code == 404


# ---- entities ---------------------------------------------------------------------------------


def entity_row(**overrides) -> dict:
    row = {
        "entity_type": "农民专业合作社",
        "name": "杨家村柿饼专业合作社",
        "uscc": f.make_uscc(),
        "operator_name": "杨建国",
        "operator_id_number": f.make_id_number(),
        "phone": "13912345678",
        "address": "杨家村一组",
        "founded_on": "2016-04-01",
        "member_count": 40,
        "farmer_capital_share": 90,
        "land_mu": 500,
        "main_products": "柿饼",
        "annual_revenue": 2_000_000,
        "total_assets": 3_000_000,
        "total_debts": 500_000,
        "insurance": "种植险",
        "demonstration_level": "县级",
        "sales_channels": "电商",
        "keeps_books": "是",
    }
    row.update(overrides)
    return row


def test_entities_are_filed_in_bulk_once_with_the_forms_rules(csrf_on, as_cadre, users, cipher):
    coop = entity_row()
    grower = entity_row(
        entity_type="种养大户",
        name="王小明养殖场",
        uscc=None,
        operator_name="王小明",
        member_count=None,
        farmer_capital_share=None,
        herd_size=300,
    )
    content = sheet("entities", [coop, grower])
    upload(as_cadre, "entities", content)
    batch = latest_batch()
    assert (batch.status, batch.rows_inserted) == ("imported", 2), batch.errors
    stored = db.session.scalar(select(AgriEntity).where(AgriEntity.uscc == coop["uscc"]))
    assert stored.entity_type == "cooperative" and stored.keeps_books is True
    assert stored.operator_id_masked.startswith("6105") and "*" in stored.operator_id_masked
    assert stored.completeness == 100
    upload(as_cadre, "entities", content)
    batch = latest_batch()
    assert (batch.status, batch.errors) == ("imported", [])
    assert (batch.rows_inserted, batch.rows_updated, batch.rows_unchanged) == (0, 0, 2)
    assert count(AgriEntity) == 2
    # A changed revenue updates in place, with a new version and a journal row.
    upload(as_cadre, "entities", sheet("entities", [{**coop, "annual_revenue": 2_500_000}]))
    db.session.expire_all()
    stored = db.session.get(AgriEntity, stored.id)
    assert stored.annual_revenue == 2_500_000 and stored.version == 2
    event = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "entity", AuditEvent.subject_id == stored.id)
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.changes == {"annual_revenue": ["2000000", "2500000"]}


def test_entity_rows_meet_the_forms_checks_and_scope(csrf_on, as_cadre, users, cipher):
    elsewhere = f.make_entity(cipher, users["cadre_b"], village_code=f.VILLAGE_B, name="西坡合作社")
    db.session.commit()
    good = f.make_uscc()
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [
        entity_row(uscc=bad_check),  # 2
        entity_row(uscc="91" + good[2:17] + "X", member_count=3),  # 3: not 93, too few
        entity_row(entity_type="家庭农场", uscc=None),  # 4: needs a USCC
        entity_row(entity_type="种养大户", uscc=None, operator_id_number=None),  # 5
        entity_row(uscc=elsewhere.uscc),  # 6: filed in 西坡村
        entity_row(founded_on="2099-01-01"),  # 7
    ]
    upload(as_cadre, "entities", sheet("entities", rows))
    batch = latest_batch()
    found = {(e["row"], e["column"]): e["message"] for e in batch.errors}
    assert "校验位" in found[(2, "统一社会信用代码")]
    assert (
        "应以93开头" in found[(3, "统一社会信用代码")] or "校验位" in found[(3, "统一社会信用代码")]
    )
    assert "不少于5名" in found[(3, "成员数")]
    assert found[(4, "统一社会信用代码")] == "家庭农场须填写统一社会信用代码"
    assert "至少一项" in found[(5, "统一社会信用代码")]
    assert found[(6, "统一社会信用代码")] == "该统一社会信用代码已在本平台建档，请联系信用办"
    assert found[(7, "成立日期")] == "日期不能晚于今天"
    assert count(AgriEntity) == 1
    page = as_cadre.get(f"/imports/bulk/entities/{batch.id}").get_data(as_text=True)
    assert "西坡" not in page


# ---- size -------------------------------------------------------------------------------------


def test_a_file_at_the_promised_row_limit_is_checked_and_one_row_more_is_refused(
    csrf_on, as_cadre, filed, monkeypatch
):
    """The page promises XLSX_MAX_ROWS rows per file: a file that long goes through the upload
    route and is checked whole (here every head is unknown, so every row is listed); one row
    more is refused whole with the limit named."""
    limit = current_app.config["XLSX_MAX_ROWS"]
    yang, _ = filed["yang"]
    rows = [
        evaluation(yang, f.make_id_number(seq=n % 1000, born=date(1960 + n // 1000 % 40, 1, 1)))
        for n in range(limit)
    ]
    for n, row in enumerate(rows):
        row["year"] = 2000 + n // 1000 // 40  # distinct keys
        row["head_name"] = None
    content = sheet("evaluations", rows, max_rows=10)
    assert len(content) < current_app.config["MAX_CONTENT_LENGTH"]
    assert upload(as_cadre, "evaluations", content).status_code == 302
    batch = latest_batch()
    assert batch.rows_read == limit and len(batch.errors) == limit
    page = as_cadre.get(f"/imports/bulk/evaluations/{batch.id}").get_data(as_text=True)
    assert f"共 {limit} 处" in page and "此处显示前 500 处" in page
    monkeypatch.setitem(current_app.config, "XLSX_MAX_ROWS", limit - 1)
    response = upload(as_cadre, "evaluations", content)
    assert response.status_code == 400
    assert f"超过 {limit - 1:,} 行上限" in response.get_data(as_text=True)
