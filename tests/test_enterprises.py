"""中小微企业 (SME) files: a cadre files the firms of her village, a credit office those of
its township or county; the USCC is checked and unique; every change and view is journalled;
the file shows the SME's departmental records."""

from decimal import Decimal

from sqlalchemy import func, select

from models import AuditEvent, Enterprise, Source, db
from tests import departmental_factories as d
from tests import factories as f
from tests.conftest import login


def enterprise_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Enterprise))


def enterprise_events() -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.subject_type == "enterprise")
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def post_new(client, **overrides):
    return client.post("/enterprises/new", data=f.form_payload(d.enterprise_data(**overrides)))


# ---- who sees what -------------------------------------------------------------------


def test_cadre_sees_only_the_firms_of_her_village(as_cadre, users):
    own = d.make_enterprise(users["cadre"], name="杨家村恒通果品公司")
    other = d.make_enterprise(users["office"], name="西坡村建材公司", region_code=f.VILLAGE_B)
    db.session.commit()
    page = as_cadre.get("/enterprises/").get_data(as_text=True)
    assert "杨家村恒通果品公司" in page and "西坡村建材公司" not in page
    assert as_cadre.get(f"/enterprises/{own.id}").status_code == 200
    for path in ("", "/edit", "/history"):
        assert as_cadre.get(f"/enterprises/{other.id}{path}").status_code == 404


def test_offices_see_their_subtree_including_firms_filed_at_township_or_county(client, users):
    village = d.make_enterprise(users["office"], name="杨家村果品公司")
    township = d.make_enterprise(users["office"], name="庄里镇物流公司", region_code=f.TOWNSHIP_A)
    county = d.make_enterprise(users["office"], name="富平县电商公司", region_code=f.COUNTY)
    elsewhere = d.make_enterprise(users["office"], name="张桥镇餐饮公司", region_code=f.VILLAGE_C)
    db.session.commit()

    login(client, "office_county")
    page = client.get("/enterprises/").get_data(as_text=True)
    for name in ("杨家村果品公司", "庄里镇物流公司", "富平县电商公司", "张桥镇餐饮公司"):
        assert name in page
    client.post("/logout")

    login(client, "office_town")
    page = client.get("/enterprises/").get_data(as_text=True)
    assert "杨家村果品公司" in page and "庄里镇物流公司" in page
    assert "富平县电商公司" not in page and "张桥镇餐饮公司" not in page
    assert client.get(f"/enterprises/{village.id}").status_code == 200
    assert client.get(f"/enterprises/{township.id}").status_code == 200
    assert client.get(f"/enterprises/{county.id}").status_code == 404
    assert client.get(f"/enterprises/{elsewhere.id}").status_code == 404


def test_bank_officer_and_applicant_get_no_access_for_now(client, users):
    enterprise = d.make_enterprise(users["office"])
    db.session.commit()
    for username in ("officer", "applicant"):
        login(client, username)
        assert client.get("/enterprises/").status_code == 403
        assert client.get(f"/enterprises/{enterprise.id}").status_code == 403
        assert client.get("/enterprises/new").status_code == 403
        assert client.post(f"/enterprises/{enterprise.id}/edit", data={}).status_code == 403
        assert client.post("/logout").status_code == 302


# ---- listing ---------------------------------------------------------------------------


def test_search_by_name_or_part_of_the_uscc(as_cadre, users):
    uscc = d.make_sme_uscc()
    d.make_enterprise(users["cadre"], name="恒通果品有限公司", uscc=uscc)
    d.make_enterprise(users["cadre"], name="顺达物流有限公司")
    db.session.commit()
    by_name = as_cadre.get("/enterprises/?q=物流").get_data(as_text=True)
    assert "顺达物流有限公司" in by_name and "恒通果品有限公司" not in by_name
    by_uscc = as_cadre.get(f"/enterprises/?q={uscc[-8:].lower()}").get_data(as_text=True)
    assert "恒通果品有限公司" in by_uscc and "顺达物流有限公司" not in by_uscc


def test_the_list_is_paged(as_office, users):
    for i in range(25):
        d.make_enterprise(users["office"], name=f"企业{i:02d}")
    db.session.commit()
    first = as_office.get("/enterprises/").get_data(as_text=True)
    second = as_office.get("/enterprises/?page=2").get_data(as_text=True)
    assert "企业00" in first and "企业24" not in first
    assert "企业24" in second and "企业00" not in second


# ---- creating and editing ----------------------------------------------------------------


def test_cadre_files_an_sme_in_her_village_and_it_is_journalled(as_cadre, users):
    response = post_new(as_cadre, name="富平县恒通果品有限公司", uscc=d.make_sme_uscc().lower())
    assert response.status_code == 302
    enterprise = db.session.scalar(select(Enterprise))
    assert enterprise.region_code == f.VILLAGE_A and enterprise.county_code == "610528"
    assert enterprise.uscc == enterprise.uscc.upper()
    assert enterprise.registered_capital == Decimal("2000000.00")
    assert enterprise_events() == ["enterprise.create"]
    page = as_cadre.get(response.headers["Location"]).get_data(as_text=True)
    assert "富平县恒通果品有限公司" in page and "部门数据" in page
    assert enterprise_events() == ["enterprise.create", "enterprise.view"]


def test_a_wrong_check_character_is_refused_in_chinese(as_cadre, users):
    uscc = d.make_sme_uscc()
    wrong = uscc[:17] + ("0" if uscc[17] != "0" else "1")
    response = post_new(as_cadre, uscc=wrong)
    assert response.status_code == 200  # the form again, not a redirect to a new file
    assert "统一社会信用代码校验位错误，请核对" in response.get_data(as_text=True)
    assert enterprise_count() == 0


def test_required_fields_are_asked_for_in_chinese(as_cadre, users):
    response = post_new(as_cadre, uscc="", name="")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count('invalid-feedback d-block">此项为必填项') == 2  # under each field
    assert enterprise_count() == 0


def test_a_duplicate_uscc_is_refused_with_a_link_to_the_existing_file(as_cadre, users):
    existing = d.make_enterprise(users["cadre"], name="已建档公司")
    db.session.commit()
    response = post_new(as_cadre, uscc=existing.uscc, name="重复公司")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "该统一社会信用代码已有企业档案" in page
    assert f'href="/enterprises/{existing.id}"' in page
    assert enterprise_count() == 1


def test_a_uscc_filed_as_an_agricultural_entity_is_refused(as_cadre, users, cipher):
    coop = f.make_entity(cipher, users["cadre"], name="杨家柿子合作社")
    db.session.commit()
    response = post_new(as_cadre, uscc=coop.uscc)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "该统一社会信用代码已登记为新型农业经营主体" in page
    assert f'href="/entities/{coop.id}"' in page
    assert enterprise_count() == 0


def test_cadre_cannot_file_an_sme_in_another_village(as_cadre, users):
    response = post_new(as_cadre, region_code=f.VILLAGE_B)
    assert response.status_code == 200
    # 西坡村 is not among her choices of place: the field says so
    assert "不是有效的选择" in response.get_data(as_text=True)
    assert enterprise_count() == 0


def test_office_may_file_an_sme_at_township_level(as_office, users):
    assert post_new(as_office, region_code=f.TOWNSHIP_A).status_code == 302
    assert db.session.scalar(select(Enterprise.region_code)) == f.TOWNSHIP_A


def test_editing_journals_the_changes_and_history_shows_them(as_cadre, users):
    enterprise = d.make_enterprise(users["cadre"], employees=35)
    db.session.commit()
    data = d.enterprise_data(uscc=enterprise.uscc, employees=48, version=1)
    response = as_cadre.post(f"/enterprises/{enterprise.id}/edit", data=f.form_payload(data))
    assert response.status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "enterprise.update"))
    assert event.changes == {"employees": [35, 48]}
    history = as_cadre.get(f"/enterprises/{enterprise.id}/history").get_data(as_text=True)
    assert "从业人数" in history and "48" in history


def test_saving_unchanged_writes_no_journal_entry(as_cadre, users):
    enterprise = d.make_enterprise(users["cadre"])
    db.session.commit()
    data = d.enterprise_data(uscc=enterprise.uscc, version=1)
    response = as_cadre.post(f"/enterprises/{enterprise.id}/edit", data=f.form_payload(data))
    assert response.status_code == 302
    assert "enterprise.update" not in enterprise_events()


# ---- departmental records on the file ----------------------------------------------------


def test_sme_file_shows_its_departmental_records(as_cadre, users):
    enterprise = d.make_enterprise(users["cadre"])
    other = d.make_enterprise(users["cadre"], name="别家公司")
    key = d.key_for_enterprise(enterprise)
    tax = d.make_batch(Source.TAX, users["office"])
    d.tax(key, tax, 2024, "45678.90", grade="A")
    d.tax(d.key_for_enterprise(other), tax, 2024, "11111.11")
    insurance = d.make_batch(Source.SOCIAL_INSURANCE, users["office"])
    d.social_insurance(key, insurance, 2025, 31, month=3)
    db.session.commit()
    page = as_cadre.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert "45,678.90" in page and "纳税信用等级 A（2024）" in page
    assert "11,111.11" not in page
    assert 'id="departmental-social_insurance"' in page
    assert "暂无电费数据" in page
    assert "/vendor/echarts/echarts.min.js" in page


def test_records_that_arrived_before_the_file_appear_once_it_is_filed(as_cadre, users):
    uscc = d.make_sme_uscc()
    key = d.unmatched_key(uscc)
    d.tax(key, d.make_batch(Source.TAX, users["office"]), 2024, "7777.77")
    db.session.commit()
    assert post_new(as_cadre, uscc=uscc).status_code == 302
    enterprise = db.session.scalar(select(Enterprise))
    page = as_cadre.get(f"/enterprises/{enterprise.id}").get_data(as_text=True)
    assert "7,777.77" in page
