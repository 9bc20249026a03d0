"""Scope holes found by attacking the platform from inside (issue 10, points 1-3), each
reproduced through the routes with CSRF on:

1. a township office's departmental import writing onto another township's household;
2. typing someone's ID number into a new file to read records another office imported;
3. duplicate checks that name and link a file the user may not see.
"""

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import tests.departmental_factories as d
import tests.factories as f
from agri_credit.departmental.importer import import_file
from models import (
    AgriEntity,
    AuditEvent,
    Household,
    ImportBatch,
    LinkStatus,
    SubjectKey,
    SubjectLinkRequest,
    db,
)
from tests.test_departmental_pages import mapping_fields
from tests.test_household_import import head, workbook

OUT_OF_SCOPE = "该证件号码不在本单位辖区"
FILED_ELSEWHERE = "该证件号码已在本县建档，请联系信用办"
USCC_FILED_ELSEWHERE = "该统一社会信用代码已在本平台建档，请联系信用办"

COURT_HEADERS = ["姓名", "证件号码", "信息类别", "案号", "案件名称", "执行法院", "立案时间"]
COURT_MAPPING = {
    "subject_name": "姓名",
    "subject_code": "证件号码",
    "kind": "信息类别",
    "document_no": "案号",
    "title": "案件名称",
    "authority": "执行法院",
    "decided_on": "立案时间",
}
TAX_HEADERS = ["纳税人名称", "纳税人识别号", "税款所属期", "实缴税额"]
TAX_MAPPING = {
    "subject_name": "纳税人名称",
    "subject_code": "纳税人识别号",
    "period": "税款所属期",
    "tax_paid": "实缴税额",
}


@pytest.fixture
def csrf(app):
    """Forms as in production: every POST needs the session's token."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def login(client, username: str):
    response = client.post(
        "/login",
        data={"username": username, "password": f.PASSWORD, "csrf_token": token(client, "/login")},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def court_rows(*people: tuple[str, str], title: str = "拒不履行生效判决") -> list[list[str]]:
    return [
        [
            name,
            id_number,
            "失信被执行人",
            f"（2025）陕0528执{100 + i}号",
            title,
            "富平县人民法院",
            "2025-03-01",
        ]
        for i, (name, id_number) in enumerate(people)
    ]


def csv_bytes(headers: list[str], rows: list[list]) -> bytes:
    lines = [",".join(headers)] + [",".join(str(c) for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_csv(path: Path, headers: list[str], rows: list[list]) -> Path:
    path.write_bytes(csv_bytes(headers, rows))
    return path


def import_as_county(tmp_path: Path, users, id_number: str, name: str) -> None:
    """The county office's real imports: a 失信 record and a year of tax for one person."""
    for source, headers, mapping, rows in (
        ("public_record", COURT_HEADERS, COURT_MAPPING, court_rows((name, id_number))),
        ("tax", TAX_HEADERS, TAX_MAPPING, [[name, id_number, "2024", "12345.67"]]),
    ):
        batch = import_file(
            write_csv(tmp_path / f"{source}.csv", headers, rows),
            source=source,
            columns=mapping,
            user=users["office"],
            scope_code=f.COUNTY,
        )
        assert batch.rows_rejected == 0, batch.message


# ---- 1. an import writes only inside the importing office's scope ----------------------------


@pytest.mark.real_commits  # the departmental importer's own connection
def test_a_township_import_cannot_plant_a_record_on_another_townships_household(
    client, cipher, users, csrf
):
    ours = f.make_household(cipher, users["cadre"], head_name="杨本镇")
    theirs = f.make_household(cipher, users["cadre"], village_code=f.VILLAGE_C, head_name="赵河湾")
    db.session.commit()
    ours_id = cipher.decrypt(ours.head_id_cipher)
    theirs_id = cipher.decrypt(theirs.head_id_cipher)
    stranger = f.make_id_number()
    rows = court_rows(("杨本镇", ours_id), ("赵河湾", theirs_id), ("无名氏", stranger))
    login(client, "office_town")  # 庄里镇: 杨家村 and 西坡村, not 河湾村

    uploaded = client.post(
        "/data/imports/new",
        data={
            "source": "public_record",
            "file": (io.BytesIO(csv_bytes(COURT_HEADERS, rows)), "失信被执行人.csv"),
            "csrf_token": token(client, "/data/imports/new"),
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    mapping_url = uploaded.headers["Location"]
    page = client.get(mapping_url).get_data(as_text=True)
    form = mapping_fields(page) | {
        "on_error": "keep_valid",
        "csrf_token": token(client, mapping_url),
    }
    done = client.post(mapping_url, data=form)
    assert done.status_code == 302

    batch = db.session.scalar(select(ImportBatch))
    assert (batch.rows_read, batch.rows_inserted, batch.rows_rejected) == (3, 1, 2)
    assert batch.rows_unmatched == 0
    # The other township's household carries nothing, so its rating gates see nothing.
    assert db.session.scalar(select(SubjectKey).where(SubjectKey.household_id == theirs.id)) is None
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert OUT_OF_SCOPE in result
    assert "赵河湾" not in result and "河湾村" not in result

    report = client.get(f"/data/imports/{batch.id}/errors.xlsx")
    assert report.status_code == 200
    lines = list(load_workbook(io.BytesIO(report.data)).worksheets[0].iter_rows(values_only=True))
    filed_elsewhere, unknown = lines[1], lines[2]
    assert (filed_elsewhere[0], unknown[0]) == (3, 4)
    # A number filed in another township and one filed nowhere answer exactly alike.
    assert filed_elsewhere[1:3] + filed_elsewhere[4:] == unknown[1:3] + unknown[4:]
    assert filed_elsewhere[4] == OUT_OF_SCOPE
    assert theirs_id not in str(lines) and "赵河湾" not in str(lines)

    # The county office, who sees both files: the record is on ours only.
    client.post("/logout", data={"csrf_token": token(client, "/dashboard")})
    login(client, "office_county")
    assert "拒不履行生效判决" in client.get(f"/households/{ours.id}").get_data(as_text=True)
    assert "拒不履行生效判决" not in client.get(f"/households/{theirs.id}").get_data(as_text=True)


# ---- 2. typing a number does not hand over another scope's records ---------------------------


@pytest.mark.real_commits  # the departmental importer's own connection
def test_an_entity_typed_with_another_townships_head_shows_nothing_until_the_county_confirms(
    client, tmp_path, cipher, users, csrf
):
    theirs = f.make_household(cipher, users["office"], village_code=f.VILLAGE_C, head_name="赵河湾")
    db.session.commit()
    theirs_id = cipher.decrypt(theirs.head_id_cipher)
    import_as_county(tmp_path, users, theirs_id, "赵河湾")
    login(client, "cadre_a")

    data = f.entity_data(
        entity_type="large_grower", uscc="", name="杨家村种植大户", operator_id_number=theirs_id
    )
    created = client.post(
        "/entities/new",
        data=f.form_payload(data) | {"csrf_token": token(client, "/entities/new")},
    )
    assert created.status_code == 302
    entity = db.session.scalar(select(AgriEntity))
    page = client.get(f"/entities/{entity.id}").get_data(as_text=True)
    assert "拒不履行生效判决" not in page and "12,345.67" not in page

    # The township office does not cover 河湾村: not its task, not its decision.
    client.post("/logout", data={"csrf_token": token(client, "/dashboard")})
    login(client, "office_town")
    assert "杨家村种植大户" not in client.get("/data/links").get_data(as_text=True)
    request = db.session.scalar(select(SubjectLinkRequest))
    refused = client.post(
        f"/data/links/{request.id}/confirm", data={"csrf_token": token(client, "/data/links")}
    )
    assert refused.status_code == 404

    # The county office finds the task from its dashboard and confirms it.
    client.post("/logout", data={"csrf_token": token(client, "/dashboard")})
    login(client, "office_county")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "等待确认部门数据关联" in dashboard and "/data/links" in dashboard
    tasks = client.get("/data/links").get_data(as_text=True)
    assert "杨家村种植大户" in tasks and "赵河湾" in tasks  # the name the departments use
    assert theirs_id not in tasks and theirs.head_id_masked in tasks
    no_token = client.post(f"/data/links/{request.id}/confirm")
    assert no_token.status_code == 400
    confirmed = client.post(
        f"/data/links/{request.id}/confirm", data={"csrf_token": token(client, "/data/links")}
    )
    assert confirmed.status_code == 302
    db.session.expire_all()
    assert db.session.get(SubjectLinkRequest, request.id).status == LinkStatus.CONFIRMED
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "subject_link.confirm"))
    assert event.user_id == users["office"].id and event.subject_id == entity.id
    page = client.get(f"/entities/{entity.id}").get_data(as_text=True)
    assert "拒不履行生效判决" in page and "12,345.67" in page


@pytest.mark.real_commits  # the departmental importer's own connection
def test_a_household_typed_with_an_unfiled_persons_number_waits_and_a_refusal_is_final(
    client, tmp_path, cipher, users, csrf
):
    person = f.make_id_number()
    import_as_county(tmp_path, users, person, "钱无档")
    login(client, "cadre_a")

    data = f.household_data(head_name="钱无档", head_id_number=person)
    created = client.post(
        "/households/new",
        data=f.form_payload(data) | {"csrf_token": token(client, "/households/new")},
    )
    assert created.status_code == 302
    household = db.session.scalar(select(Household))
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "拒不履行生效判决" not in page and "12,345.67" not in page

    client.post("/logout", data={"csrf_token": token(client, "/dashboard")})
    login(client, "office_county")
    request = db.session.scalar(select(SubjectLinkRequest))
    assert "钱无档" in client.get("/data/links").get_data(as_text=True)
    client.post(
        f"/data/links/{request.id}/refuse", data={"csrf_token": token(client, "/data/links")}
    )
    assert "钱无档" not in client.get("/data/links").get_data(as_text=True)
    assert db.session.scalar(
        select(AuditEvent.id).where(AuditEvent.action == "subject_link.refuse")
    )

    # Saving the file again does not ask again, and shows nothing.
    client.post("/logout", data={"csrf_token": token(client, "/dashboard")})
    login(client, "cadre_a")
    edit_url = f"/households/{household.id}/edit"
    data = f.household_data(head_name="钱无档", head_id_number="", notes="再次保存")
    db.session.refresh(household)
    saved = client.post(
        edit_url,
        data=f.form_payload(data)
        | {"csrf_token": token(client, edit_url), "version": str(household.version)},
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(SubjectLinkRequest, request.id).status == LinkStatus.REFUSED
    assert (
        db.session.scalar(select(SubjectLinkRequest.id).where(SubjectLinkRequest.id != request.id))
        is None
    )
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "拒不履行生效判决" not in page


# ---- 3. duplicate checks name no one outside the user's scope ---------------------------------


def test_a_duplicate_household_outside_her_scope_is_not_named_or_linked(
    client, cipher, users, csrf
):
    theirs = f.make_household(cipher, users["office"], village_code=f.VILLAGE_C, head_name="赵河湾")
    db.session.commit()
    theirs_id = cipher.decrypt(theirs.head_id_cipher)
    data = f.household_data(head_name="冒名", head_id_number=theirs_id)

    login(client, "cadre_a")
    response = client.post(
        "/households/new",
        data=f.form_payload(data) | {"csrf_token": token(client, "/households/new")},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and FILED_ELSEWHERE in page
    assert "赵河湾" not in page and "河湾村" not in page
    assert f"/households/{theirs.id}" not in page

    # The county office covers the other file: it gets the name and the link.
    client.post("/logout", data={"csrf_token": token(client, "/dashboard")})
    login(client, "office_county")
    page = client.post(
        "/households/new",
        data=f.form_payload(data) | {"csrf_token": token(client, "/households/new")},
    ).get_data(as_text=True)
    assert "赵河湾" in page and f"/households/{theirs.id}" in page


def test_duplicate_entity_codes_and_operator_ids_outside_her_scope_are_not_named(
    client, cipher, users, csrf
):
    coop = f.make_entity(cipher, users["office"], village_code=f.VILLAGE_C, name="河湾村合作社")
    grower = f.make_entity(
        cipher,
        users["office"],
        village_code=f.VILLAGE_C,
        entity_type="large_grower",
        uscc="",
        name="河湾村养殖大户",
    )
    db.session.commit()
    login(client, "cadre_a")

    by_code = f.entity_data(name="冒名合作社", uscc=coop.uscc)
    page = client.post(
        "/entities/new",
        data=f.form_payload(by_code) | {"csrf_token": token(client, "/entities/new")},
    ).get_data(as_text=True)
    assert USCC_FILED_ELSEWHERE in page
    assert "河湾村合作社" not in page and f"/entities/{coop.id}" not in page

    by_operator = f.entity_data(
        name="冒名大户",
        entity_type="large_grower",
        uscc="",
        operator_id_number=cipher.decrypt(grower.operator_id_cipher),
    )
    page = client.post(
        "/entities/new",
        data=f.form_payload(by_operator) | {"csrf_token": token(client, "/entities/new")},
    ).get_data(as_text=True)
    assert FILED_ELSEWHERE in page
    assert "河湾村养殖大户" not in page and f"/entities/{grower.id}" not in page
    assert db.session.scalar(select(AgriEntity).where(AgriEntity.name.like("冒名%"))) is None


def test_a_duplicate_firm_code_outside_her_scope_is_not_named(client, cipher, users, csrf):
    firm = d.make_enterprise(users["office"], region_code=f.VILLAGE_C, name="河湾建材有限公司")
    coop = f.make_entity(cipher, users["office"], village_code=f.VILLAGE_C, name="河湾村合作社")
    db.session.commit()
    login(client, "cadre_a")

    for uscc, hidden in ((firm.uscc, "河湾建材有限公司"), (coop.uscc, "河湾村合作社")):
        data = d.enterprise_data(name="冒名公司", uscc=uscc)
        page = client.post(
            "/enterprises/new",
            data=f.form_payload(data) | {"csrf_token": token(client, "/enterprises/new")},
        ).get_data(as_text=True)
        assert USCC_FILED_ELSEWHERE in page
        assert hidden not in page and "河湾村" not in page


def test_a_household_sheet_naming_a_head_filed_outside_her_scope_names_no_village(
    client, cipher, users, csrf
):
    theirs = f.make_household(cipher, users["office"], village_code=f.VILLAGE_C, head_name="赵河湾")
    db.session.commit()
    row = head(head_name="冒名", head_id_number=cipher.decrypt(theirs.head_id_cipher))
    login(client, "cadre_a")

    response = client.post(
        "/imports/households",
        data={
            "file": (io.BytesIO(workbook([row, head(head_name="杨新")])), "农户登记.xlsx"),
            "csrf_token": token(client, "/imports/households"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert FILED_ELSEWHERE in page
    assert "河湾村" not in page and "赵河湾" not in page


@pytest.mark.real_commits  # the departmental importer's own connection
def test_a_household_sheet_naming_an_unfiled_persons_number_asks_the_county_office(
    client, tmp_path, cipher, users, csrf
):
    person = f.make_id_number()
    import_as_county(tmp_path, users, person, "孙表格")
    login(client, "cadre_a")

    response = client.post(
        "/imports/households",
        data={
            "file": (
                io.BytesIO(workbook([head(head_name="孙表格", head_id_number=person)])),
                "a.xlsx",
            ),
            "csrf_token": token(client, "/imports/households"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    household = db.session.scalar(select(Household).where(Household.head_name == "孙表格"))
    assert household is not None
    # Nor does the county's next import (of someone else) hand them over on the way.
    import_as_county(tmp_path, users, f.make_id_number(), "别人")
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "拒不履行生效判决" not in page and "12,345.67" not in page

    client.post("/logout", data={"csrf_token": token(client, "/dashboard")})
    login(client, "office_county")
    assert "孙表格" in client.get("/data/links").get_data(as_text=True)
    request = db.session.scalar(select(SubjectLinkRequest))
    assert (request.subject_type, request.subject_id) == ("household", household.id)
    client.post(
        f"/data/links/{request.id}/confirm", data={"csrf_token": token(client, "/data/links")}
    )
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "拒不履行生效判决" in page and "12,345.67" in page
