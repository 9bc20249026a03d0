"""Files refuse what cannot be true (issue 12, point 5): one registration per person in a
county, a child head only once confirmed, relations that agree with the sex in the ID number,
a call-back number that is a phone number, rating years that have data. Through the pages,
with CSRF on, and with the Chinese reason naming the field (and the member row)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import Household, Objection, RatingRun, db
from tests import factories as f
from tests import publication_factories as pf
from tests import rating_factories as rf
from tests.browser_forms import form_fields, login_with_csrf


@pytest.fixture
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def cadre(app, users, csrf_on):
    return login_with_csrf(app.test_client(), "cadre_a")


def submit(browser, url: str, data: dict) -> tuple[int, str]:
    """Open the form, fill it in as `data` says (service-shaped rows allowed), and post it
    with the page's own hidden fields (CSRF token, version)."""
    page = browser.get(url)
    assert page.status_code == 200
    fields = form_fields(page.get_data(as_text=True))
    fields = {k: v for k, v in fields.items() if not k.startswith("members-")}
    response = browser.post(url, data=fields | f.form_payload(data))
    return response.status_code, response.get_data(as_text=True)


def member(name: str, id_number: str, relation: str, key: str = "") -> dict:
    return {
        "key": key,
        "name": name,
        "id_number": id_number,
        "relation": relation,
        "health": "健康",
        "labour_ability": "全劳动力",
        "occupation": "务农",
    }


def household_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Household))


# ---- one registration per person in a county ------------------------------------------------


def test_a_member_of_one_household_is_refused_as_the_head_of_another(cadre, users, cipher):
    wife_id = f.make_id_number(male=False)
    f.make_household(
        cipher, users["cadre"], head_name="杨建国", members=[member("王秀兰", wife_id, "配偶")]
    )
    db.session.commit()
    status, html = submit(
        cadre,
        "/households/new",
        f.household_data(head_name="王秀兰", head_id_number=wife_id, members=[]),
    )
    assert status == 200
    assert "该证件号码已登记为本县另一农户的家庭成员" in html and "杨建国" in html  # her village
    assert household_count() == 1


def test_a_person_filed_in_another_village_is_refused_without_naming_that_household(
    cadre, users, cipher
):
    other = f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B, head_name="李卫东")
    db.session.commit()
    li_id = cipher.decrypt(other.head_id_cipher)
    data = f.household_data(members=[member("李卫东", li_id, "子")])
    status, html = submit(cadre, "/households/new", data)
    assert status == 200
    assert "第1位成员（李卫东）身份证号：该证件号码已在本县建档，请联系信用办" in html
    assert f"/households/{other.id}" not in html and "西坡村" not in html
    assert household_count() == 1


def test_the_same_id_number_twice_in_one_file_is_refused(cadre, users):
    head_id = f.make_id_number()
    data = f.household_data(head_id_number=head_id, members=[member("杨小军", head_id, "子")])
    status, html = submit(cadre, "/households/new", data)
    assert status == 200
    assert "第1位成员（杨小军）身份证号：与户主的相同" in html
    assert household_count() == 0


# ---- a child at the head of a household -------------------------------------------------------


def test_a_head_under_18_is_saved_only_once_confirmed_and_is_not_labour(cadre, users):
    eight = date.today().replace(month=1, day=1) - timedelta(days=8 * 366)
    child_id = f.make_id_number(born=eight)
    data = f.household_data(
        head_name="杨小宝", head_id_number=child_id, head_health="健康", members=[]
    )
    status, html = submit(cadre, "/households/new", data)
    assert status == 200
    assert "户主身份证号：户主未满18周岁（8岁）" in html
    assert 'name="confirm_minor_head"' in html and "已核实：户主确未满18周岁" in html
    assert household_count() == 0
    status, _ = submit(cadre, "/households/new", data | {"confirm_minor_head": True})
    assert status == 302
    household = db.session.scalar(select(Household))
    assert household.head_name == "杨小宝" and household.labour_count == 0


def test_an_adult_head_needs_no_confirmation(cadre, users):
    status, html = submit(cadre, "/households/new", f.household_data())
    assert status == 302 and household_count() == 1


# ---- relation and sex --------------------------------------------------------------------------


def test_a_granddaughter_with_a_male_id_number_is_refused(cadre, users):
    data = f.household_data(
        members=[member("杨丽", f.make_id_number(born=date(2010, 5, 1)), "孙女")]
    )
    status, html = submit(cadre, "/households/new", data)
    assert status == 200
    assert "第1位成员（杨丽）与户主关系：“孙女”应为女性，但身份证号显示为男性，请核对" in html
    assert "家庭成员有 1 处需要核对" in html
    assert household_count() == 0


def test_a_spouse_of_the_heads_own_sex_is_refused(cadre, users):
    data = f.household_data(members=[member("杨二", f.make_id_number(male=True), "配偶")])
    status, html = submit(cadre, "/households/new", data)
    assert status == 200
    assert "第1位成员（杨二）与户主关系：“配偶”应为女性，但身份证号显示为男性" in html


def test_a_stored_id_kept_blank_is_still_checked_against_a_new_relation(cadre, users, cipher):
    household = f.make_household(cipher, users["cadre"])  # 王秀兰, 配偶, a female ID
    db.session.commit()
    key = str(household.members[0].id)
    data = f.household_data(head_id_number="", members=[member("王秀兰", "", "子", key=key)])
    status, html = submit(cadre, f"/households/{household.id}/edit", data)
    assert status == 200
    assert "第1位成员（王秀兰）与户主关系：“子”应为男性，但身份证号显示为女性" in html
    data["members"][0]["relation"] = "配偶"
    assert submit(cadre, f"/households/{household.id}/edit", data)[0] == 302


# ---- net income ---------------------------------------------------------------------------------


def test_net_income_with_nothing_entered_shows_a_dash_not_zero(cadre, users, cipher):
    blank = {k: None for k in ("income_crops", "income_wages", "annual_spending")}
    household = f.make_household(cipher, users["cadre"], **blank)
    db.session.commit()
    html = cadre.get(f"/households/{household.id}").get_data(as_text=True)
    net = html[html.index("家庭纯收入") :]
    assert net[: net.index("</dd>")].endswith(">—")


# ---- an objection's call-back number -----------------------------------------------------------


@pytest.fixture
def result_under_publicity(users, cipher):
    run = pf.make_run(users["office"])
    tree = pf.make_tree(run, (f.VILLAGE_A,))
    result = pf.make_result(
        run, f.make_household(cipher, users["cadre"], head_name="王小明"), 58, None
    )
    pf.publish(tree[f.VILLAGE_A], users["cadre"], date.today() - timedelta(days=2))
    db.session.commit()
    return result


@pytest.mark.parametrize("contact", ["123", "1390000222", "23900002222", "0913-12"])
def test_an_objection_with_a_contact_that_is_no_phone_number_is_refused(
    cadre, result_under_publicity, contact
):
    url = f"/ratings/objections/new/{result_under_publicity.id}"
    status, html = submit(
        cadre, url, {"raised_by_name": "王小明", "contact": contact, "reason": "收入漏计"}
    )
    assert status == 200
    assert "电话号码格式不正确（手机号11位，以1开头；固话如 0913-1234567）" in html
    assert db.session.scalar(select(func.count()).select_from(Objection)) == 0


@pytest.mark.parametrize("contact", ["13900002222", "0913-1234567", ""])
def test_an_objection_with_a_mobile_a_landline_or_no_number_is_registered(
    cadre, result_under_publicity, contact
):
    url = f"/ratings/objections/new/{result_under_publicity.id}"
    status, _ = submit(
        cadre, url, {"raised_by_name": "王小明", "contact": contact, "reason": "收入漏计"}
    )
    assert status == 302
    assert db.session.scalar(select(func.count()).select_from(Objection)) == 1


# ---- the year of a rating run ------------------------------------------------------------------


@pytest.fixture
def office(app, users, csrf_on):
    return login_with_csrf(app.test_client(), "office_county")


def run_form(rule_set, year: int, as_of: date) -> dict:
    return {"region": f.COUNTY, "year": year, "as_of": as_of.isoformat(), "rule_set": rule_set.id}


def test_a_run_of_a_year_without_data_or_in_the_future_is_refused(office, users, cipher):
    rf.rated_household(cipher, users["cadre"])  # a 村评议 of 2025: data from 2025 on
    rule_set = rf.rule_set_row(users["office"])
    db.session.commit()
    this_year = date.today().year
    status, html = submit(office, "/ratings/runs/new", run_form(rule_set, 2000, date(2000, 12, 31)))
    assert status == 200
    assert f"评定年度：2000年没有可评定的数据，请选择 2025–{this_year} 年" in html
    status, html = submit(
        office, "/ratings/runs/new", run_form(rule_set, this_year + 1, date.today())
    )
    assert status == 200
    assert f"评定年度不能晚于今年（{this_year}年）" in html
    assert db.session.scalar(select(func.count()).select_from(RatingRun)) == 0
    status, _ = submit(office, "/ratings/runs/new", run_form(rule_set, rf.YEAR, rf.AS_OF))
    assert status == 302
    assert db.session.scalar(select(RatingRun.year)) == rf.YEAR
