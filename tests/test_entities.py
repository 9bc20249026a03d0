"""A village cadre builds and keeps the credit files of 新型农业经营主体 (家庭农场, 合作社,
种养大户, 龙头企业); every role sees only its scope, and identifiers are checked and protected."""

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from agri_credit.entities.completeness import assess_entities
from models import AgriEntity, AuditEvent, CreditRecord, EntityType, clock, db
from models.sensitive import mask_id
from tests import factories as f
from tests.conftest import login


def entity_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AgriEntity))


def entity_named(name: str) -> AgriEntity | None:
    return db.session.scalar(select(AgriEntity).where(AgriEntity.name == name))


def entity_events() -> list[str]:
    """Actions journalled about entity files (logins are journalled too, and ignored here)."""
    query = select(AuditEvent.action).where(AuditEvent.subject_type == "entity")
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def refused(response) -> str:
    """The page of a refused form: shown again (200, not a redirect to a saved file)."""
    assert response.status_code == 200, response.headers.get("Location")
    return response.get_data(as_text=True)


# ---- who sees what -------------------------------------------------------------------


def test_cadre_lists_only_her_village(as_cadre, users, cipher):
    f.make_entity(cipher, users["cadre"], name="杨家村柿子合作社")
    f.make_entity(cipher, users["cadre_b"], village_code=f.VILLAGE_B, name="西坡村苹果合作社")
    db.session.commit()
    page = as_cadre.get("/entities/").get_data(as_text=True)
    assert "杨家村柿子合作社" in page
    assert "西坡村苹果合作社" not in page


def test_another_villages_entity_is_a_404(as_cadre, users, cipher):
    other = f.make_entity(cipher, users["cadre_b"], village_code=f.VILLAGE_B)
    db.session.commit()
    for path in ("", "/edit", "/history"):
        assert as_cadre.get(f"/entities/{other.id}{path}").status_code == 404
    assert as_cadre.post(f"/entities/{other.id}/edit", data={}).status_code == 404


def test_county_office_sees_every_village_in_the_county(as_office, users, cipher):
    f.make_entity(cipher, users["cadre"], name="杨家村柿子合作社")
    f.make_entity(cipher, users["cadre_b"], village_code=f.VILLAGE_C, name="河湾村家庭农场")
    db.session.commit()
    page = as_office.get("/entities/").get_data(as_text=True)
    assert "杨家村柿子合作社" in page and "河湾村家庭农场" in page


def test_bank_officer_and_applicant_get_403(client, users, cipher):
    entity = f.make_entity(cipher, users["cadre"])
    db.session.commit()
    for username in ("officer", "applicant"):
        login(client, username)
        assert client.get("/entities/").status_code == 403
        assert client.get(f"/entities/{entity.id}").status_code == 403
        assert client.get(f"/entities/{entity.id}/history").status_code == 403
        assert client.get("/entities/new").status_code == 403
        assert client.post(f"/entities/{entity.id}/edit", data={}).status_code == 403
        assert client.post("/logout").status_code == 302


def test_anonymous_users_are_sent_to_login(client, users):
    response = client.get("/entities/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_cadre_cannot_create_an_entity_in_another_village(as_cadre, users):
    page = refused(as_cadre.post("/entities/new", data=f.form_payload(f.entity_data(f.VILLAGE_B))))
    assert "不是有效的选择" in page  # 西坡村 is not among her villages
    assert entity_count() == 0


# ---- listing -------------------------------------------------------------------------


def test_search_by_name_uscc_and_operator(as_cadre, users, cipher):
    uscc = f.make_uscc()
    f.make_entity(cipher, users["cadre"], name="杨家柿子合作社", uscc=uscc, operator_name="杨建国")
    f.make_entity(cipher, users["cadre"], name="王家养猪场", operator_name="王小明")
    db.session.commit()
    by_name = as_cadre.get("/entities/?q=柿子").get_data(as_text=True)
    assert "杨家柿子合作社" in by_name and "王家养猪场" not in by_name
    by_uscc = as_cadre.get(f"/entities/?q={uscc[-8:].lower()}").get_data(as_text=True)
    assert "杨家柿子合作社" in by_uscc and "王家养猪场" not in by_uscc
    by_operator = as_cadre.get("/entities/?q=小明").get_data(as_text=True)
    assert "王家养猪场" in by_operator and "杨家柿子合作社" not in by_operator


def test_filter_by_type_village_and_completeness(as_office, users, cipher):
    f.make_entity(cipher, users["cadre"], name="杨家柿子合作社")
    f.make_entity(
        cipher,
        users["cadre"],
        name="杨家家庭农场",
        entity_type=EntityType.FAMILY_FARM.value,
        phone="",
        insurance="",
    )
    f.make_entity(cipher, users["cadre_b"], village_code=f.VILLAGE_B, name="西坡苹果合作社")
    db.session.commit()
    farms = as_office.get("/entities/?type=family_farm").get_data(as_text=True)
    assert "杨家家庭农场" in farms and "杨家柿子合作社" not in farms
    village_b = as_office.get(f"/entities/?village={f.VILLAGE_B}").get_data(as_text=True)
    assert "西坡苹果合作社" in village_b and "杨家柿子合作社" not in village_b
    incomplete = as_office.get("/entities/?completeness=incomplete").get_data(as_text=True)
    assert "杨家家庭农场" in incomplete and "杨家柿子合作社" not in incomplete
    complete = as_office.get("/entities/?completeness=complete").get_data(as_text=True)
    assert "杨家柿子合作社" in complete and "杨家家庭农场" not in complete


def test_search_by_a_whole_operator_id_number_goes_through_the_blind_index(as_cadre, users, cipher):
    id_number = f.make_id_number()
    f.make_entity(cipher, users["cadre"], name="王家种粮大户", operator_id_number=id_number)
    f.make_entity(cipher, users["cadre"], name="李家养牛场")
    db.session.commit()
    page = as_cadre.get(f"/entities/?q={id_number.lower()}").get_data(as_text=True)
    assert "王家种粮大户" in page and "李家养牛场" not in page


def test_filter_by_a_missing_item_from_the_dashboard(as_cadre, users, cipher):
    f.make_entity(cipher, users["cadre"], name="杨家柿子合作社")
    f.make_entity(cipher, users["cadre"], name="王家养猪场", insurance="")
    db.session.commit()
    page = as_cadre.get("/entities/?missing=农业保险").get_data(as_text=True)
    assert "王家养猪场" in page and "杨家柿子合作社" not in page
    assert "仅显示缺少“农业保险”的经营主体" in page


def test_pagination_and_sorting(as_cadre, users, cipher):
    for i in range(25):
        f.make_entity(cipher, users["cadre"], name=f"合作社{i:02d}")
    db.session.commit()
    first = as_cadre.get("/entities/?sort=name").get_data(as_text=True)
    second = as_cadre.get("/entities/?sort=name&page=2").get_data(as_text=True)
    assert "合作社00" in first and "合作社24" not in first
    assert "合作社24" in second and "合作社00" not in second
    assert as_cadre.get("/entities/?page=99").status_code == 404


def test_list_never_shows_an_operator_id_in_full(as_cadre, users, cipher):
    id_number = f.make_id_number()
    f.make_entity(
        cipher,
        users["cadre"],
        entity_type=EntityType.LARGE_GROWER.value,
        uscc="",
        operator_id_number=id_number,
    )
    db.session.commit()
    assert id_number not in as_cadre.get("/entities/").get_data(as_text=True)


# ---- creating each type -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity_type", "label"),
    [
        (EntityType.FAMILY_FARM, "家庭农场"),
        (EntityType.COOPERATIVE, "农民专业合作社"),
        (EntityType.LARGE_GROWER, "种养大户"),
        (EntityType.LEADING_ENTERPRISE, "农业产业化龙头企业"),
    ],
)
def test_cadre_creates_each_type_and_sees_the_whole_file(as_cadre, users, entity_type, label):
    data = f.entity_data(
        entity_type=entity_type.value,
        name=f"杨家村{label}",
        records=[
            {
                "polarity": "positive",
                "category": "荣誉表彰",
                "description": "省级示范社",
                "occurred_on": "2023-05-01",
                "ended_on": "",
                "source": "省农业农村厅",
            }
        ],
    )
    response = as_cadre.post("/entities/new", data=f.form_payload(data))
    assert response.status_code == 302, response.get_data(as_text=True)
    entity = entity_named(f"杨家村{label}")
    assert entity.entity_type == entity_type.value
    assert entity.certifications == "绿色食品,地理标志"
    assert entity.records[0].entity_id == entity.id and entity.records[0].household_id is None
    assert entity.completeness == 100 and entity.missing_fields == ""
    page = as_cadre.get(response.headers["Location"]).get_data(as_text=True)
    for shown in (f"杨家村{label}", label, data["uscc"], "富平柿饼", "省级示范社", "地理标志"):
        assert shown in page
    assert data["operator_id_number"] not in page


def test_operator_id_number_is_encrypted_at_rest(as_cadre, users):
    data = f.entity_data()
    as_cadre.post("/entities/new", data=f.form_payload(data))
    raw = db.session.execute(
        select(AgriEntity.operator_id_cipher, AgriEntity.operator_id_hash)
    ).one()
    assert data["operator_id_number"].encode() not in bytes(raw[0])
    assert data["operator_id_number"] not in raw[1]


def test_uscc_typed_in_lower_case_with_spaces_is_stored_normalised(as_cadre, users):
    uscc = f.make_uscc()
    data = f.entity_data(uscc=f" {uscc[:9]} {uscc[9:].lower()} ")
    assert as_cadre.post("/entities/new", data=f.form_payload(data)).status_code == 302
    assert db.session.scalar(select(AgriEntity.uscc)) == uscc


# ---- identification rules -------------------------------------------------------------


def test_wrong_uscc_check_character_is_refused_in_chinese(as_cadre, users):
    uscc = f.make_uscc()
    wrong = uscc[:17] + ("0" if uscc[17] != "0" else "1")
    page = refused(as_cadre.post("/entities/new", data=f.form_payload(f.entity_data(uscc=wrong))))
    assert "统一社会信用代码校验位错误" in page
    short = as_cadre.post("/entities/new", data=f.form_payload(f.entity_data(uscc=uscc[:17])))
    assert "统一社会信用代码应为18位" in refused(short)
    assert entity_count() == 0


@pytest.mark.parametrize(
    "entity_type", [EntityType.FAMILY_FARM, EntityType.COOPERATIVE, EntityType.LEADING_ENTERPRISE]
)
def test_every_type_but_a_large_grower_needs_a_uscc(as_cadre, users, entity_type):
    data = f.entity_data(entity_type=entity_type.value, uscc="")
    page = refused(as_cadre.post("/entities/new", data=f.form_payload(data)))
    assert "须填写统一社会信用代码" in page
    assert entity_count() == 0


def test_large_grower_with_only_the_operators_id_number_is_accepted(as_cadre, users, cipher):
    id_number = f.make_id_number()
    data = f.entity_data(
        entity_type=EntityType.LARGE_GROWER.value,
        name="王家种粮大户",
        uscc="",
        operator_id_number=id_number,
        member_count=None,
        farmer_capital_share=None,
    )
    assert as_cadre.post("/entities/new", data=f.form_payload(data)).status_code == 302
    entity = entity_named("王家种粮大户")
    assert entity.uscc is None
    assert cipher.decrypt(entity.operator_id_cipher) == id_number


def test_large_grower_without_uscc_or_id_number_is_refused(as_cadre, users):
    data = f.entity_data(entity_type=EntityType.LARGE_GROWER.value, uscc="", operator_id_number="")
    page = refused(as_cadre.post("/entities/new", data=f.form_payload(data)))
    assert "种养大户须填写统一社会信用代码或经营者身份证号" in page
    assert entity_count() == 0


def test_two_large_growers_without_uscc_may_coexist(as_cadre, users, cipher):
    """NULL, never "", is stored for a missing USCC, so the unique index lets both in."""
    for name in ("王家种粮大户", "李家养牛大户"):
        data = f.entity_data(entity_type=EntityType.LARGE_GROWER.value, name=name, uscc="")
        assert as_cadre.post("/entities/new", data=f.form_payload(data)).status_code == 302
    assert entity_count() == 2


def test_bad_operator_id_number_is_refused_in_chinese(as_cadre, users):
    data = f.entity_data(operator_id_number="110105194912310021")
    page = refused(as_cadre.post("/entities/new", data=f.form_payload(data)))
    assert "身份证号校验位错误" in page
    assert entity_count() == 0


def test_duplicate_uscc_is_refused_with_a_link_to_the_existing_file(as_cadre, users, cipher):
    """In her own village; outside it the answer names no one (test_scope_holes.py)."""
    existing = f.make_entity(cipher, users["cadre"], name="西坡苹果合作社")
    db.session.commit()
    data = f.entity_data(uscc=existing.uscc, name="另一个合作社")
    text = refused(as_cadre.post("/entities/new", data=f.form_payload(data)))
    assert "该统一社会信用代码已有档案" in text
    assert f'href="/entities/{existing.id}"' in text and "西坡苹果合作社" in text
    assert entity_count() == 1


def test_same_unregistered_operator_twice_in_the_county_is_refused(as_cadre, users, cipher):
    id_number = f.make_id_number()
    existing = f.make_entity(
        cipher,
        users["cadre"],
        entity_type=EntityType.LARGE_GROWER.value,
        uscc="",
        operator_id_number=id_number,
        name="王家种粮大户",
    )
    db.session.commit()
    data = f.entity_data(
        entity_type=EntityType.LARGE_GROWER.value, uscc="", operator_id_number=id_number
    )
    text = refused(as_cadre.post("/entities/new", data=f.form_payload(data)))
    assert "本县已有该经营者的无代码主体档案" in text and f"/entities/{existing.id}" in text
    assert entity_count() == 1


# ---- cooperative rules and number bounds ----------------------------------------------------


def test_cooperative_needs_a_member_count_of_at_least_five(as_cadre, users):
    blank = f.entity_data(member_count=None)
    text = refused(as_cadre.post("/entities/new", data=f.form_payload(blank)))
    assert "农民专业合作社须填写成员数" in text
    too_few = f.entity_data(member_count=3)
    text = refused(as_cadre.post("/entities/new", data=f.form_payload(too_few)))
    assert "成员应不少于5名" in text
    assert entity_count() == 0


def test_family_farm_needs_no_member_count(as_cadre, users):
    data = f.entity_data(
        entity_type=EntityType.FAMILY_FARM.value, member_count=None, farmer_capital_share=None
    )
    assert as_cadre.post("/entities/new", data=f.form_payload(data)).status_code == 302


def test_cooperative_uscc_must_carry_the_cooperative_prefix(as_cadre, users):
    body = "91610528MA0000001"  # 91: an enterprise, not a co-op
    from village_forms.identifiers import uscc_check_char

    data = f.entity_data(uscc=body + uscc_check_char(body))
    text = refused(as_cadre.post("/entities/new", data=f.form_payload(data)))
    assert "农民专业合作社的统一社会信用代码应以93开头" in text
    assert entity_count() == 0


def test_bad_numbers_are_refused_and_nothing_is_saved(as_cadre, users):
    data = f.entity_data(
        farmer_capital_share=120,
        total_debts=-1,
        annual_revenue=99_000_000_000,
        land_mu=9_999_999,
        employees=-3,
        phone="12345",
        founded_on=(clock.today() + timedelta(days=1)).isoformat(),
        name="",
    )
    text = refused(as_cadre.post("/entities/new", data=f.form_payload(data)))
    assert "超出合理范围（上限 100%）" in text
    assert "不能小于0" in text
    assert "超出合理范围（上限 10,000,000,000元）" in text
    assert "超出合理范围（上限 500,000亩）" in text
    assert "电话号码格式不正确" in text
    assert "成立日期不能晚于今天" in text
    assert "此项为必填项" in text
    assert entity_count() == 0
    assert entity_events() == []


def test_a_bad_record_row_blocks_the_save(as_cadre, users):
    data = f.entity_data(
        records=[
            {
                "polarity": "negative",
                "category": "贷款逾期",
                "description": "",
                "occurred_on": (clock.today() + timedelta(days=3)).isoformat(),
                "ended_on": "",
                "source": "",
            }
        ]
    )
    text = refused(as_cadre.post("/entities/new", data=f.form_payload(data)))
    assert "发生日期不能晚于今天" in text and "此项为必填项" in text
    assert entity_count() == 0
    assert db.session.scalar(select(func.count()).select_from(CreditRecord)) == 0


# ---- editing and the journal ---------------------------------------------------------------


def test_editing_journals_before_and_after_and_keeps_a_blank_operator_id(as_cadre, users, cipher):
    entity = f.make_entity(cipher, users["cadre"], phone="13900000000", total_debts=800_000)
    db.session.commit()
    original_id = cipher.decrypt(entity.operator_id_cipher)
    assert "留空则保持原身份证号不变" in as_cadre.get(f"/entities/{entity.id}/edit").get_data(
        as_text=True
    )
    data = f.entity_data(
        uscc=entity.uscc,
        operator_id_number="",
        version=1,
        phone="13711112222",
        total_debts=650_000.5,
        certifications=["有机产品"],
    )
    response = as_cadre.post(f"/entities/{entity.id}/edit", data=f.form_payload(data))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    entity = db.session.get(AgriEntity, entity.id)
    assert entity.phone == "13711112222"
    assert cipher.decrypt(entity.operator_id_cipher) == original_id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "entity.update"))
    assert event.user_id == users["cadre"].id and event.subject_type == "entity"
    assert event.changes == {
        "phone": ["13900000000", "13711112222"],
        "total_debts": ["800000", "650000.5"],
        "certifications": ["绿色食品,地理标志", "有机产品"],
    }
    history = as_cadre.get(f"/entities/{entity.id}/history").get_data(as_text=True)
    assert "13711112222" in history and "杨书记" in history and "联系电话" in history
    assert "农民专业合作社" in history and "cooperative" not in history  # names, not codes


def test_saving_an_unchanged_file_journals_nothing_new(as_cadre, users, cipher):
    entity = f.make_entity(cipher, users["cadre"], farmer_capital_share=92.5, land_mu=100)
    db.session.commit()
    edit_page = as_cadre.get(f"/entities/{entity.id}/edit")
    assert edit_page.status_code == 200
    data = f.entity_data(
        uscc=entity.uscc,
        operator_id_number="",
        farmer_capital_share="92.50",
        land_mu="100.00",
        version=1,
    )
    assert (
        as_cadre.post(f"/entities/{entity.id}/edit", data=f.form_payload(data)).status_code == 302
    )
    assert entity_events() == ["entity.create"]


def test_creating_journals_the_file_with_the_id_masked(as_cadre, users):
    data = f.entity_data()
    as_cadre.post("/entities/new", data=f.form_payload(data))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "entity.create"))
    assert event.changes["name"] == [None, data["name"]]
    assert data["operator_id_number"] not in str(event.changes)
    assert event.changes["operator_id_number"][1].count("*") == 10


def test_large_grower_keeps_its_stored_id_when_the_uscc_is_removed(as_cadre, users, cipher):
    """Blank on edit keeps the stored ID, and that stored ID still identifies the grower."""
    entity = f.make_entity(cipher, users["cadre"], entity_type=EntityType.LARGE_GROWER.value)
    db.session.commit()
    data = f.entity_data(
        entity_type=EntityType.LARGE_GROWER.value, uscc="", operator_id_number="", version=1
    )
    assert (
        as_cadre.post(f"/entities/{entity.id}/edit", data=f.form_payload(data)).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(AgriEntity, entity.id).uscc is None


def test_invalid_edit_leaves_the_file_untouched(as_cadre, users, cipher):
    entity = f.make_entity(cipher, users["cadre"], phone="13900000000")
    db.session.commit()
    data = f.entity_data(uscc=entity.uscc, phone="13711112222", farmer_capital_share=101, version=1)
    response = as_cadre.post(f"/entities/{entity.id}/edit", data=f.form_payload(data))
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(AgriEntity, entity.id).phone == "13900000000"
    assert entity_events() == ["entity.create"]


# ---- revealing the operator's ID ----------------------------------------------------------


def test_revealing_the_operator_id_needs_permission_and_is_logged(client, users, cipher):
    entity = f.make_entity(cipher, users["cadre"])
    db.session.commit()
    id_number = cipher.decrypt(entity.operator_id_cipher)
    login(client, "cadre_a")
    assert client.post(f"/entities/{entity.id}/reveal").status_code == 403
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "id.reveal")) is None
    assert client.post("/logout").status_code == 302
    login(client, "office_county")
    file_page = client.get(f"/entities/{entity.id}")
    assert file_page.status_code == 200
    assert mask_id(id_number) in file_page.get_data(as_text=True)  # shown, but masked
    assert id_number not in file_page.get_data(as_text=True)
    assert client.post(f"/entities/{entity.id}/reveal", data={}).status_code == 400
    response = client.post(f"/entities/{entity.id}/reveal", data={"reason": "授信审查"})
    assert response.status_code == 302
    assert id_number in client.get(response.headers["Location"]).get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "id.reveal"))
    assert event.changes["reason"] == "授信审查"
    assert event.user_id == users["office"].id
    assert (event.subject_type, event.subject_id) == ("entity", entity.id)
    assert id_number not in str(event.changes)


def test_every_view_of_a_file_is_logged_but_kept_out_of_its_history(as_cadre, users, cipher):
    entity = f.make_entity(cipher, users["cadre"])
    db.session.commit()
    as_cadre.get(f"/entities/{entity.id}")
    assert entity_events() == ["entity.create", "entity.view"]
    history = as_cadre.get(f"/entities/{entity.id}/history").get_data(as_text=True)
    assert "新建经营主体档案" in history and "查看经营主体档案" not in history


# ---- completeness rule ------------------------------------------------------------------


def test_completeness_counts_cooperative_only_checks_only_for_cooperatives():
    base = {
        "operator_id_masked": "6105**********1234",
        "phone": "13912345678",
        "address": "杨家村",
        "founded_on": date(2015, 1, 1),
        "land_mu": 0,
        "herd_size": 300,
        "main_products": "生猪",
        "annual_revenue": 1,
        "total_assets": 1,
        "total_debts": 0,  # no debts is a full answer
        "insurance": "能繁母猪险",
        "sales_channels": "屠宰场",
        "demonstration_level": "无",
        "member_count": None,
        "farmer_capital_share": None,
    }
    frame = pd.DataFrame(
        [
            {**base, "entity_type": "family_farm"},
            {**base, "entity_type": "cooperative"},
            {**base, "entity_type": "family_farm", "herd_size": None, "phone": ""},
        ]
    )
    result = assess_entities(frame)
    assert result["completeness"].tolist()[0] == 100
    assert result["missing_fields"][1] == "成员数、农民成员出资占比"
    assert result["missing_fields"][2] == "联系电话、经营规模（土地或存栏）"
