"""A village cadre builds and keeps household credit files; every role sees only its scope."""

from sqlalchemy import func, select

from models import AuditEvent, Household, db
from tests import factories as f
from tests.conftest import login


def test_cadre_lists_only_her_village(as_cadre, users, cipher):
    f.make_household(cipher, users["cadre"], head_name="杨建国")
    f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B, head_name="李卫东")
    db.session.commit()
    page = as_cadre.get("/households/").get_data(as_text=True)
    assert "杨建国" in page
    assert "李卫东" not in page


def test_another_villages_household_is_a_404(as_cadre, users, cipher):
    other = f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B)
    db.session.commit()
    assert as_cadre.get(f"/households/{other.id}").status_code == 404
    assert as_cadre.get(f"/households/{other.id}/edit").status_code == 404
    assert as_cadre.get(f"/households/{other.id}/history").status_code == 404


def test_county_office_sees_every_village_in_the_county(as_office, users, cipher):
    f.make_household(cipher, users["cadre"], head_name="杨建国")
    f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_C, head_name="张河清")
    db.session.commit()
    page = as_office.get("/households/").get_data(as_text=True)
    assert "杨建国" in page and "张河清" in page


def test_list_shows_ids_masked_never_in_full(as_cadre, users, cipher):
    id_number = f.make_id_number()
    f.make_household(cipher, users["cadre"], head_id_number=id_number)
    db.session.commit()
    page = as_cadre.get("/households/").get_data(as_text=True)
    assert id_number not in page
    assert id_number[:4] + "*" * 10 + id_number[-4:] in page


def test_search_by_name_id_tail_and_phone(as_cadre, users, cipher):
    id_number = f.make_id_number()
    f.make_household(
        cipher, users["cadre"], head_name="杨建国", head_id_number=id_number, phone="13800001111"
    )
    f.make_household(cipher, users["cadre"], head_name="王小明", phone="13900002222")
    db.session.commit()
    assert "王小明" not in as_cadre.get("/households/?q=建国").get_data(as_text=True)
    by_tail = as_cadre.get(f"/households/?q={id_number[-4:]}").get_data(as_text=True)
    assert "杨建国" in by_tail and "王小明" not in by_tail
    by_phone = as_cadre.get("/households/?q=1390000").get_data(as_text=True)
    assert "王小明" in by_phone and "杨建国" not in by_phone
    by_whole_id = as_cadre.get(f"/households/?q={id_number}").get_data(as_text=True)
    assert "杨建国" in by_whole_id and "王小明" not in by_whole_id


def test_filter_by_group_grade_and_completeness(as_cadre, users, cipher):
    complete = f.make_household(cipher, users["cadre"], head_name="杨完整", group_name="第2组")
    complete.credit_grade = "AAA"
    f.make_household(cipher, users["cadre"], head_name="杨缺项", phone="", assets=[])
    db.session.commit()
    assert "杨缺项" not in as_cadre.get("/households/?group=第2组").get_data(as_text=True)
    graded = as_cadre.get("/households/?grade=AAA").get_data(as_text=True)
    assert "杨完整" in graded and "杨缺项" not in graded
    incomplete = as_cadre.get("/households/?completeness=incomplete").get_data(as_text=True)
    assert "杨缺项" in incomplete


def test_pagination_and_sorting(as_cadre, users, cipher, app):
    for i in range(25):
        f.make_household(cipher, users["cadre"], head_name=f"杨{i:02d}")
    db.session.commit()
    first = as_cadre.get("/households/?sort=name").get_data(as_text=True)
    second = as_cadre.get("/households/?sort=name&page=2").get_data(as_text=True)
    assert "杨00" in first and "杨24" not in first
    assert "杨24" in second and "杨00" not in second
    assert as_cadre.get("/households/?page=99").status_code == 404


def test_cadre_creates_a_household_with_members_and_sees_its_file(as_cadre, users):
    data = f.household_data(head_name="杨新户")
    response = as_cadre.post("/households/new", data=f.form_payload(data))
    assert response.status_code == 302
    household = db.session.scalar(select(Household).where(Household.head_name == "杨新户"))
    assert household.household_size == 2 and household.members[0].name == "王秀兰"
    page = as_cadre.get(response.headers["Location"]).get_data(as_text=True)
    assert "杨新户" in page and "王秀兰" in page and "小麦" in page


def test_id_number_is_encrypted_at_rest(as_cadre, users):
    data = f.household_data()
    as_cadre.post("/households/new", data=f.form_payload(data))
    raw = db.session.execute(select(Household.head_id_cipher, Household.head_id_hash)).one()
    assert data["head_id_number"].encode() not in bytes(raw[0])
    assert data["head_id_number"] not in raw[1]


def test_bad_input_is_refused_with_chinese_messages_and_nothing_saved(as_cadre, users):
    data = f.household_data(
        head_id_number="110105194912310021", phone="12345", land_contracted_mu=999999, head_name=""
    )
    data["assets"] = [{"kind": "房产", "description": "", "value": -5}]
    page = as_cadre.post("/households/new", data=f.form_payload(data)).get_data(as_text=True)
    assert "身份证号校验位错误" in page
    assert "电话号码格式不正确" in page
    assert "超出合理范围" in page
    assert "不能小于0" in page
    assert "此项为必填项" in page
    assert db.session.scalar(select(func.count()).select_from(Household)) == 0


def test_duplicate_id_in_the_county_is_refused_naming_the_file_only_within_scope(
    client, users, cipher
):
    existing = f.make_household(
        cipher, users["cadre_b"], village_code=f.VILLAGE_B, head_name="李卫东"
    )
    db.session.commit()
    id_number = cipher.decrypt(existing.head_id_cipher)
    payload = f.form_payload(f.household_data(head_id_number=id_number))
    # The cadre of the next village learns only that the number is taken, not by whom.
    page = login(client, "cadre_a").post("/households/new", data=payload)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "该证件号码已在本县建档，请联系信用办" in text
    assert "李卫东" not in text and f"/households/{existing.id}" not in text
    client.post("/logout")
    # The township office, whose scope holds both villages, gets the link to the file.
    text = login(client, "office_town").post("/households/new", data=payload).get_data(as_text=True)
    assert "本县已有该身份证号的农户档案" in text
    assert f"/households/{existing.id}" in text
    assert db.session.scalar(select(func.count()).select_from(Household)) == 1


def test_editing_without_retyping_the_id_keeps_it_and_journals_the_change(as_cadre, users, cipher):
    household = f.make_household(cipher, users["cadre"], phone="13900000000")
    db.session.commit()
    original = cipher.decrypt(household.head_id_cipher)
    data = f.household_data(head_id_number="", phone="13711112222", version=1)
    data["members"] = [dict(data["members"][0], key=str(household.members[0].id), id_number="")]
    member_id = cipher.decrypt(household.members[0].id_cipher)
    assert (
        as_cadre.post(f"/households/{household.id}/edit", data=f.form_payload(data)).status_code
        == 302
    )
    db.session.expire_all()
    household = db.session.get(Household, household.id)
    assert household.phone == "13711112222"
    assert cipher.decrypt(household.head_id_cipher) == original
    assert cipher.decrypt(household.members[0].id_cipher) == member_id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household.update"))
    assert event.changes["phone"] == ["13900000000", "13711112222"]
    assert event.user_id == users["cadre"].id
    history = as_cadre.get(f"/households/{household.id}/history").get_data(as_text=True)
    assert "13711112222" in history and "杨书记" in history


def test_cadre_cannot_create_a_household_in_another_village(as_cadre, users):
    data = f.household_data(village_code=f.VILLAGE_B)
    page = as_cadre.post("/households/new", data=f.form_payload(data))
    assert page.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Household)) == 0


def test_revealing_an_id_needs_permission_and_is_logged(client, users, cipher):
    household = f.make_household(cipher, users["cadre"])
    db.session.commit()
    id_number = cipher.decrypt(household.head_id_cipher)
    from tests.conftest import login

    login(client, "cadre_a")
    assert client.post(f"/households/{household.id}/reveal").status_code == 403
    client.post("/logout")
    login(client, "office_county")
    assert id_number not in client.get(f"/households/{household.id}").get_data(as_text=True)
    url = f"/households/{household.id}/reveal"
    refused = client.post(url, data={"reason": " "})  # a reason is asked for
    assert refused.status_code == 400 and "请填写查看完整身份证号的原因" in refused.get_data(
        as_text=True
    )
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "id.reveal")) is None
    response = client.post(url, data={"reason": "核实贷款申请人身份"})
    assert response.status_code == 302  # redirect after POST: a reload never posts again
    assert response.headers["Location"].endswith(f"/households/{household.id}")
    assert id_number in client.get(response.headers["Location"]).get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "id.reveal"))
    assert event.user_id == users["office"].id and event.subject_id == household.id
    assert event.changes["reason"] == "核实贷款申请人身份" and "核实贷款申请人身份" in event.summary
    assert id_number not in str(event.changes)
    # The grant is used up by that one view: reloading the page masks the number again.
    assert id_number not in client.get(f"/households/{household.id}").get_data(as_text=True)


def test_bank_officer_and_applicant_cannot_open_household_files(client, users, cipher):
    household = f.make_household(cipher, users["cadre"])
    db.session.commit()
    from tests.conftest import login

    for username in ("officer", "applicant"):
        login(client, username)
        assert client.get("/households/").status_code == 403
        assert client.get(f"/households/{household.id}").status_code == 403
        client.post("/logout")


def test_anonymous_users_are_sent_to_login(client, users):
    response = client.get("/households/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_look_at_a_file_is_logged_with_who_looked(as_cadre, users, cipher):
    household = f.make_household(cipher, users["cadre"])
    db.session.commit()
    as_cadre.get(f"/households/{household.id}")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "household.view"))
    assert event.user_id == users["cadre"].id and event.subject_id == household.id


def test_township_office_sees_its_villages_and_not_the_next_township(client, users, cipher):
    from tests.conftest import login

    f.make_household(cipher, users["cadre"], head_name="杨甲")
    f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B, head_name="李乙")
    other = f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_C, head_name="张丙")
    db.session.commit()
    login(client, "office_town")
    page = client.get("/households/").get_data(as_text=True)
    assert "杨甲" in page and "李乙" in page and "张丙" not in page
    assert client.get(f"/households/{other.id}").status_code == 404
