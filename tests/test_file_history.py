"""The change history (修改记录) reads on a phone: fields in the cadre's words, member rows one
line each marked 新增 / 删除 / 修改, ID numbers masked and kept apart from the other values."""

import re

from models import db
from tests import factories as f


def edit(client, household, **changes):
    data = f.household_data(head_id_number="", version=household.version)
    data["members"] = [dict(data["members"][0], key=str(household.members[0].id), id_number="")]
    data.update(changes)
    response = client.post(f"/households/{household.id}/edit", data=f.form_payload(data))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()


def history(client, household) -> str:
    page = client.get(f"/households/{household.id}/history")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_member_changes_read_as_marked_rows_with_masked_ids(as_cadre, users, cipher):
    household = f.make_household(cipher, users["cadre"])
    db.session.commit()
    son_id = f.make_id_number(male=True)
    spouse = dict(f.household_data()["members"][0], key=str(household.members[0].id))
    son = {
        "key": "",
        "name": "杨小军",
        "id_number": son_id,
        "relation": "子",
        "health": "健康",
        "labour_ability": "全劳动力",
        "occupation": "务工",
    }
    edit(as_cadre, household, members=[dict(spouse, id_number=""), son])
    html = history(as_cadre, household)
    assert "家庭成员" in html and "Members" not in html and ">members<" not in html
    added = re.search(r'<li class="change-row change-added">(.*?)</li>', html, re.S).group(1)
    assert "新增" in added and "杨小军" in added
    masked = son_id[:4] + "*" * 10 + son_id[-4:]
    assert f'<span class="change-part change-id">{masked}</span>' in added
    assert son_id not in html

    household = db.session.get(type(household), household.id)
    edit(as_cadre, household, members=[dict(spouse, id_number="", occupation="个体经营")])
    html = history(as_cadre, household)
    removed = re.search(r'<li class="change-row change-removed">(.*?)</li>', html, re.S).group(1)
    assert "已删除" in removed and "杨小军" in removed and "<del>" in removed
    changed = re.search(r'<li class="change-row change-changed">(.*?)</li>', html, re.S).group(1)
    assert "已修改" in changed and "王秀兰" in changed
    assert '<span class="change-part change-new">个体经营</span>' in changed


def test_plain_fields_stack_before_and_after_with_labels_for_a_phone(as_cadre, users, cipher):
    household = f.make_household(cipher, users["cadre"], phone="13900000000")
    db.session.commit()
    edit(as_cadre, household, phone="13711112222", address="杨家村二组3号")
    html = history(as_cadre, household)
    # Each value carries its own 修改前 / 修改后 tag, shown when the columns stack on a phone.
    assert re.search(
        r'change-before[^>]*><span class="change-tag d-sm-none">修改前</span>13900000000', html
    )
    assert re.search(
        r'change-after"><span class="change-tag d-sm-none">修改后</span>13711112222', html
    )
    # Fields in the form's order: 联系电话 before 住址.
    assert html.index("联系电话") < html.index("住址")


def test_history_labels_are_english_in_english(as_cadre, users, cipher):
    household = f.make_household(cipher, users["cadre"])
    db.session.commit()
    edit(as_cadre, household, members=[])
    as_cadre.post("/language/en", data={"next": "/"})
    html = history(as_cadre, household)
    assert "Family members" in html and "家庭成员" not in html
