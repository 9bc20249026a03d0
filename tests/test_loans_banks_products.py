"""Banks, officers and loan products (issue 15 point 1): the county credit office registers
banks, branches and officers; an officer manages his bank's products with a maker-checker
step; no bank sees another's unlisted products."""

from datetime import date

import pytest
from sqlalchemy import func, select

from models import Bank, BankBranch, LoanProduct, User, db
from tests import factories as f
from tests import loans_factories as lf
from tests.browser_forms import Browser, login_with_csrf
from tests.conftest import csrf_token, login

PRODUCT_FORM = {
    "code": "XYD-01",
    "name": "信易贷·惠农e贷",
    "product_type": "credit",
    "amount_min": "10000",
    "amount_max": "300000",
    "term_min_months": "6",
    "term_max_months": "36",
    "rate_min": "3.85",
    "rate_max": "6.5",
    "subject_types": ["household", "enterprise"],
    "min_grade": "AA",
    "tax_grades": ["A", "B"],
    "valid_from": "2026-01-01",
}


def post_form(client, page_url: str, data: dict, action: str | None = None):
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(action or page_url, data={**data, "csrf_token": token})


@pytest.fixture
def bank_with_officers(users):
    bank = lf.make_bank()
    maker = lf.make_officer("maker", bank, display_name="张信贷")
    checker = lf.make_officer("checker", bank, display_name="王审核")
    other_bank = lf.make_bank("中国邮政储蓄银行富平县支行", "邮储银行")
    outsider = lf.make_officer("outsider", other_bank)
    db.session.commit()
    return {
        "bank": bank,
        "maker": maker,
        "checker": checker,
        "other": other_bank,
        "outsider": outsider,
    }


def test_county_office_registers_a_bank_its_branch_and_an_officer_who_can_log_in(
    client, users, csrf_on
):
    login(client, "office_county")
    response = post_form(
        client, "/loans/banks/", {"name": "富平县农村商业银行", "short_name": "富平农商行"}
    )
    assert response.status_code == 302
    bank = db.session.scalar(select(Bank))
    page = f"/loans/banks/{bank.id}"
    branch = post_form(
        client,
        page,
        {"branch-name": "庄里支行", "branch-region_code": f.TOWNSHIP_A},
        action=f"{page}/branches",
    )
    assert branch.status_code == 302
    officer = post_form(
        client,
        page,
        {
            "officer-username": "nsh_zhang",
            "officer-display_name": "张信贷",
            "officer-password": "fuping2026x",
        },
        action=f"{page}/officers",
    )
    assert officer.status_code == 302
    assert db.session.scalar(select(BankBranch.name)) == "庄里支行"
    made = db.session.scalar(select(User).where(User.username == "nsh_zhang"))
    assert made.bank_id == bank.id and made.role == "officer"
    other = Browser(client.application.test_client())
    data = {"username": "nsh_zhang", "password": "fuping2026x"}
    data["csrf_token"] = csrf_token(other.get("/login").get_data(as_text=True))
    assert other.post("/login", data=data).status_code == 302
    assert "我的产品" in other.get("/loans/products/").get_data(as_text=True)


def test_bank_forms_with_bad_input_say_why_in_chinese_and_change_nothing(client, users, csrf_on):
    login(client, "office_county")
    response = post_form(client, "/loans/banks/", {"name": "", "short_name": ""})
    text = response.get_data(as_text=True)
    assert "请填写机构全称" in text and "请填写简称" in text
    bank = lf.make_bank()
    db.session.commit()
    page = f"/loans/banks/{bank.id}"
    response = post_form(
        client,
        page,
        {"officer-username": "有 空格", "officer-display_name": "", "officer-password": "short"},
        action=f"{page}/officers",
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "用户名只能包含" in text and "请填写姓名" in text and "密码长度须为" in text
    assert db.session.scalar(select(func.count(Bank.id))) == 1
    assert db.session.scalar(select(func.count(User.id)).where(User.bank_id.is_not(None))) == 0


@pytest.mark.parametrize("username", ["office_town", "cadre_a", "officer", "applicant"])
def test_only_the_county_office_registers_banks(client, users, username):
    login(client, username)
    assert client.get("/loans/banks/").status_code == 403


def test_maker_drafts_submits_and_another_officer_of_the_bank_lists_it(
    client, bank_with_officers, csrf_on
):
    client = login_with_csrf(client, "maker")
    response = post_form(client, "/loans/products/new", PRODUCT_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)
    product = db.session.scalar(select(LoanProduct))
    assert product.status == "draft" and product.subject_types == ["household", "enterprise"]
    page = f"/loans/products/{product.id}"
    post_form(client, page, {"version": product.version}, action=f"{page}/submit")
    db.session.refresh(product)
    assert product.status == "pending"
    # The maker cannot check his own product.
    response = post_form(client, page, {"version": product.version}, action=f"{page}/approve")
    assert "不能审核自己创建的产品" in client.get(response.location).get_data(as_text=True)
    db.session.refresh(product)
    assert product.status == "pending"

    checker = login_with_csrf(client.client.application.test_client(), "checker")
    post_form(checker, page, {"version": product.version}, action=f"{page}/approve")
    db.session.refresh(product)
    assert product.status == "listed"
    assert product.approved_by_id == bank_with_officers["checker"].id
    assert "信易贷·惠农e贷" in checker.get("/loans/products/market").get_data(as_text=True)

    post_form(checker, page, {"version": product.version}, action=f"{page}/delist")
    db.session.refresh(product)
    assert product.status == "delisted"


def test_a_double_submitted_step_moves_the_product_once(client, bank_with_officers, csrf_on):
    product = lf.make_product(bank_with_officers["bank"], bank_with_officers["maker"], "pending")
    db.session.commit()
    login(client, "checker")
    page = f"/loans/products/{product.id}"
    token = csrf_token(client.get(page).get_data(as_text=True))
    version = product.version
    client.post(f"{page}/approve", data={"version": version, "csrf_token": token})
    second = client.post(f"{page}/delist", data={"version": version, "csrf_token": token})
    assert "请刷新" in client.get(second.location).get_data(as_text=True)
    db.session.refresh(product)
    assert product.status == "listed"


def test_product_form_checks_every_range_with_a_message_per_field(
    client, bank_with_officers, csrf_on
):
    login(client, "maker")
    bad = {
        **PRODUCT_FORM,
        "amount_min": "500000",
        "amount_max": "100000",
        "term_min_months": "36",
        "term_max_months": "12",
        "rate_min": "4",
        "rate_max": "40",
        "valid_to": "2025-12-31",
        "min_score": "1000",
        "subject_types": [],
    }
    text = post_form(client, "/loans/products/new", bad).get_data(as_text=True)
    for message in (
        "最高额度不能低于最低额度",
        "最长期限不能短于最短期限",
        "年利率须在 0 至 36% 之间",
        "有效期止不能早于有效期起",
        "评分须在 300 至 900 分之间",
        "请至少选择一类适用对象",
    ):
        assert message in text
    swapped_rates = {**PRODUCT_FORM, "rate_min": "8", "rate_max": "4"}
    text = post_form(client, "/loans/products/new", swapped_rates).get_data(as_text=True)
    assert "最高年利率不能低于最低年利率" in text
    assert db.session.scalar(select(func.count(LoanProduct.id))) == 0


def test_an_edit_on_an_old_version_is_refused(client, bank_with_officers, csrf_on):
    product = lf.make_product(bank_with_officers["bank"], bank_with_officers["maker"])
    db.session.commit()
    login(client, "maker")
    page = f"/loans/products/{product.id}/edit"
    token = csrf_token(client.get(page).get_data(as_text=True))
    old = product.version
    product.name, product.version = "别人改过", old + 1
    db.session.commit()
    response = client.post(page, data={**PRODUCT_FORM, "version": old, "csrf_token": token})
    assert "请刷新后再保存" in response.get_data(as_text=True)
    db.session.refresh(product)
    assert product.name == "别人改过"


def test_another_banks_unlisted_products_are_not_found(client, bank_with_officers):
    bank, maker = bank_with_officers["bank"], bank_with_officers["maker"]
    draft = lf.make_product(bank, maker, code="D1", name="农商行草稿贷")
    listed = lf.make_product(bank, maker, "listed", code="L1", name="农商行惠农贷")
    db.session.commit()
    login(client, "outsider")
    assert client.get(f"/loans/products/{draft.id}").status_code == 404
    assert client.get(f"/loans/products/{draft.id}/edit").status_code == 404
    assert client.get(f"/loans/products/{listed.id}").status_code == 200
    mine = client.get("/loans/products/").get_data(as_text=True)
    assert "农商行草稿贷" not in mine and "农商行惠农贷" not in mine
    market = client.get("/loans/products/market").get_data(as_text=True)
    assert "农商行惠农贷" in market and "农商行草稿贷" not in market


def test_the_product_page_keeps_a_slot_for_open_needs_it_matches(client, bank_with_officers):
    product = lf.make_product(bank_with_officers["bank"], bank_with_officers["maker"], "listed")
    db.session.commit()
    login(client, "maker")
    assert 'id="product-matches"' in client.get(f"/loans/products/{product.id}").get_data(
        as_text=True
    )


def test_valid_product_dates_bound_the_market(client, bank_with_officers):
    bank, maker = bank_with_officers["bank"], bank_with_officers["maker"]
    lf.make_product(
        bank,
        maker,
        "listed",
        code="OLD",
        name="已过期产品",
        valid_from=date(2020, 1, 1),
        valid_to=date(2021, 1, 1),
    )
    db.session.commit()
    login(client, "applicant")
    assert "已过期产品" not in client.get("/loans/products/market").get_data(as_text=True)


def test_an_officer_cannot_touch_another_banks_product(client, bank_with_officers, csrf_on):
    product = lf.make_product(bank_with_officers["bank"], bank_with_officers["maker"], "pending")
    db.session.commit()
    login(client, "outsider")
    token = csrf_token(client.get("/loans/products/").get_data(as_text=True))
    for step in ("approve", "send_back", "delist", "submit"):
        response = client.post(
            f"/loans/products/{product.id}/{step}",
            data={"version": product.version, "csrf_token": token},
        )
        assert response.status_code == 404
    db.session.refresh(product)
    assert product.status == "pending"
