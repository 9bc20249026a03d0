"""Two people editing one credit file: the form carries the version it was opened on, and a
save on an older version is refused with what changed since, the late editor's input kept.

Each test follows the interleaving from issue 11: A opens, B opens, A saves, B saves, through
the pages with CSRF on, on SQLite and PostgreSQL."""

import threading
from io import BytesIO

import pytest
from sqlalchemy import select

from agri_credit.file_versions import StaleEdit
from agri_credit.households.services import save_household
from models import AgriEntity, AuditEvent, Enterprise, Household, Role, User, db
from tests import departmental_factories as d
from tests import factories as f
from tests import test_household_import as sheets
from tests.browser_forms import form_fields, login_with_csrf

# Two requests in two threads, each committing on its own connection.
pytestmark = pytest.mark.real_commits

STALE = "未保存：您打开此表单后，档案已被他人修改"


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def two_cadres(app, users, csrf_on):
    """杨书记 (cadre_a) and a second cadre of the same village, each in her own browser."""
    f.make_user("cadre_a2", Role.CADRE, f.VILLAGE_A, display_name="王会计")
    db.session.commit()
    return (
        login_with_csrf(app.test_client(), "cadre_a2"),
        login_with_csrf(app.test_client(), "cadre_a"),
    )


def open_form(client, url: str) -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    return form_fields(page.get_data(as_text=True))


def file_events(subject_type: str) -> list[tuple[str, int | None, dict]]:
    db.session.expire_all()
    return [
        (e.action, e.user_id, e.changes)
        for e in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == subject_type, AuditEvent.action.not_like("%.view"))
            .order_by(AuditEvent.id)
        )
    ]


def test_household_stale_save_is_refused_with_the_changes_since_and_her_input_kept(
    two_cadres, users, cipher
):
    a, b = two_cadres
    household = f.make_household(cipher, users["cadre"], phone="13900000000")
    db.session.commit()
    url = f"/households/{household.id}/edit"
    form_a, form_b = open_form(a, url), open_form(b, url)
    assert form_a["version"] == form_b["version"] == "1"

    # A saves a new phone and adds a member.
    form_a |= {
        "phone": "13711112222",
        "members-1-key": "",
        "members-1-name": "杨小军",
        "members-1-id_number": f.make_id_number(male=True),
        "members-1-relation": "子",
        "members-1-health": "健康",
        "members-1-labour_ability": "全劳动力",
        "members-1-occupation": "务工",
    }
    assert a.post(url, data=form_a).status_code == 302

    # B, on her older form, changes the address: refused, nothing of hers saved.
    form_b["address"] = "杨家村二组3号"
    page = b.post(url, data=form_b)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert STALE in html
    db.session.expire_all()
    stored = db.session.get(Household, household.id)
    assert (stored.phone, stored.address) == ("13711112222", "杨家村一组12号")
    assert sorted(m.name for m in stored.members) == ["杨小军", "王秀兰"]
    assert stored.version == 2
    # What changed since she opened it, field by field, by whom.
    conflict = html[html.index('id="edit-conflict"') : html.index("</section>")]
    assert "王会计" in conflict
    assert "联系电话" in conflict and "13900000000" in conflict and "13711112222" in conflict
    assert "家庭成员" in conflict and "新增" in conflict and "杨小军" in conflict
    # Her address is kept; fields she left alone show the current file, A's member is back.
    again = form_fields(html)
    assert again["version"] == "2"
    assert again["address"] == "杨家村二组3号"
    assert again["phone"] == "13711112222"
    assert sorted(
        v for k, v in again.items() if k.startswith("members-") and k.endswith("-name")
    ) == [
        "杨小军",
        "王秀兰",
    ]

    # Saving the kept form again lands on the new version and loses nobody's change.
    assert b.post(url, data=again).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Household, household.id)
    assert (stored.phone, stored.address) == ("13711112222", "杨家村二组3号")
    assert sorted(m.name for m in stored.members) == ["杨小军", "王秀兰"]
    assert stored.version == 3
    # Each is journalled for her own change only.
    cadre_a2 = db.session.scalar(select(User.id).where(User.username == "cadre_a2"))
    assert [(user, set(changes)) for _, user, changes in file_events("household")[1:]] == [
        (cadre_a2, {"phone", "members"}),
        (users["cadre"].id, {"address"}),
    ]


def test_a_field_both_changed_keeps_her_value_and_says_what_the_other_saved(
    two_cadres, users, cipher
):
    a, b = two_cadres
    household = f.make_household(cipher, users["cadre"], phone="13900000000")
    db.session.commit()
    url = f"/households/{household.id}/edit"
    form_a, form_b = open_form(a, url), open_form(b, url)
    assert a.post(url, data=form_a | {"phone": "13711112222"}).status_code == 302
    page = b.post(url, data=form_b | {"phone": "13622223333"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and STALE in html
    assert "他人已改为：13711112222；此处保留的是您的填写" in html
    assert form_fields(html)["phone"] == "13622223333"
    db.session.expire_all()
    assert db.session.get(Household, household.id).phone == "13711112222"


def test_a_member_removed_by_her_stays_removed_when_she_saves_again(two_cadres, users, cipher):
    """Her deletion is input too: only members others added come back into her form."""
    a, b = two_cadres
    household = f.make_household(cipher, users["cadre"])
    db.session.commit()
    url = f"/households/{household.id}/edit"
    form_a, form_b = open_form(a, url), open_form(b, url)
    assert a.post(url, data=form_a | {"notes": "已核实"}).status_code == 302
    kept = {k: v for k, v in form_b.items() if not k.startswith("members-")}
    html = b.post(url, data=kept).get_data(as_text=True)
    assert STALE in html
    again = form_fields(html)
    assert not [k for k in again if k.startswith("members-")]
    assert again["notes"] == "已核实"
    assert b.post(url, data=again).status_code == 302
    db.session.expire_all()
    assert db.session.get(Household, household.id).members == []


def test_a_form_without_its_version_is_refused(two_cadres, users, cipher):
    a, _ = two_cadres
    household = f.make_household(cipher, users["cadre"], phone="13900000000")
    db.session.commit()
    url = f"/households/{household.id}/edit"
    form = open_form(a, url)
    del form["version"]
    page = a.post(url, data=form | {"phone": "13711112222"})
    assert page.status_code == 200 and STALE in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Household, household.id).phone == "13900000000"


def test_entity_stale_save_is_refused_and_the_rebased_form_saves(two_cadres, users, cipher):
    a, b = two_cadres
    entity = f.make_entity(cipher, users["cadre"], phone="13900000000", employees=12)
    db.session.commit()
    url = f"/entities/{entity.id}/edit"
    form_a, form_b = open_form(a, url), open_form(b, url)
    assert a.post(url, data=form_a | {"phone": "13711112222"}).status_code == 302
    page = b.post(url, data=form_b | {"employees": "15"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and STALE in html
    assert "联系电话" in html and "13711112222" in html
    again = form_fields(html)
    assert (again["version"], again["employees"], again["phone"]) == ("2", "15", "13711112222")
    assert b.post(url, data=again).status_code == 302
    db.session.expire_all()
    stored = db.session.get(AgriEntity, entity.id)
    assert (stored.phone, stored.employees, stored.version) == ("13711112222", 15, 3)


def test_enterprise_stale_save_is_refused_and_the_rebased_form_saves(two_cadres, users):
    a, b = two_cadres
    enterprise = d.make_enterprise(users["cadre"], employees=35, phone="13900000000")
    db.session.commit()
    url = f"/enterprises/{enterprise.id}/edit"
    form_a, form_b = open_form(a, url), open_form(b, url)
    assert a.post(url, data=form_a | {"employees": "48"}).status_code == 302
    page = b.post(url, data=form_b | {"phone": "13711112222"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and STALE in html
    assert "从业人数" in html and "48" in html
    again = form_fields(html)
    assert (again["employees"], again["phone"]) == ("48", "13711112222")
    assert b.post(url, data=again).status_code == 302
    db.session.expire_all()
    stored = db.session.get(Enterprise, enterprise.id)
    assert (stored.employees, stored.phone, stored.version) == (48, "13711112222", 3)


def test_two_saves_racing_on_one_version_one_wins_and_the_other_is_stale(app, users, cipher):
    """The version check is one conditional UPDATE that locks the row: a save that starts
    while another one on the same version is still uncommitted waits for it, then finds the
    version moved on. (PostgreSQL: SQLite has one writer at a time, so no such overlap.)"""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL only")
    household = f.make_household(cipher, users["cadre"], phone="13900000000")
    db.session.commit()
    household_id, user_id = household.id, users["cadre"].id
    first_flushed, release_first = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def save(name: str, changes: dict, hold: bool) -> None:
        with app.app_context():
            target = db.session.get(Household, household_id)
            user = db.session.get(User, user_id)
            data = f.household_data(head_id_number="", version=1, **changes)
            data["members"] = [
                dict(data["members"][0], key=str(target.members[0].id), id_number="")
            ]
            try:
                save_household(target, data, cipher, user)
                if hold:
                    first_flushed.set()
                    release_first.wait(10)
                db.session.commit()
                outcome[name] = "saved"
            except StaleEdit:
                db.session.rollback()
                outcome[name] = "stale"
            finally:
                db.session.remove()

    first = threading.Thread(target=save, args=("A", {"phone": "13711112222"}, True))
    first.start()
    assert first_flushed.wait(10)
    second = threading.Thread(target=save, args=("B", {"address": "杨家村二组3号"}, False))
    second.start()
    second.join(1)
    assert second.is_alive()  # waiting on A's row lock
    release_first.set()
    first.join(10)
    second.join(10)
    assert outcome == {"A": "saved", "B": "stale"}
    db.session.expire_all()
    stored = db.session.get(Household, household_id)
    assert (stored.phone, stored.address, stored.version) == ("13711112222", "杨家村一组12号", 2)


def test_a_household_import_between_open_and_save_makes_the_form_stale(two_cadres, users, cipher):
    """A sheet import is a save too: it moves the version, and its changes are listed."""
    a, b = two_cadres
    household = f.make_household(cipher, users["cadre"], phone="13900000000")
    db.session.commit()
    url = f"/households/{household.id}/edit"
    form_b = open_form(b, url)
    row = sheets.head(head_id_number=cipher.decrypt(household.head_id_cipher), phone="13700001111")
    token = open_form(a, "/imports/households")["csrf_token"]
    response = a.post(
        "/imports/households",
        data={"file": (BytesIO(sheets.workbook([row])), "农户登记.xlsx"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 302)
    db.session.expire_all()
    assert db.session.get(Household, household.id).phone == "13700001111"
    html = b.post(url, data=form_b | {"address": "杨家村二组3号"}).get_data(as_text=True)
    assert STALE in html and "批量导入修改农户档案" in html and "13700001111" in html
    again = form_fields(html)
    assert (again["phone"], again["address"]) == ("13700001111", "杨家村二组3号")
