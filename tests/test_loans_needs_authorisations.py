"""Financing needs, household consents and authorisations (issue 15 point 2): an applicant
acts for her own subject, a cadre for a household of her village once its signed consent is
on file; an authorisation names a bank, a purpose and a period, sensitive data needs explicit
consent, a revocation closes it at once, and every use is listed."""

from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from loans.authorisations.services import active_authorisation, record_use
from models import Authorisation, FinancingNeed, HouseholdConsent, Role, clock, db
from tests import departmental_factories as d
from tests import factories as f
from tests import loans_factories as lf
from tests.conftest import csrf_token, login

NEED = {
    "amount": "80000",
    "term_months": "24",
    "purpose": "扩建冷库",
    "collateral": "equipment",
    "collateral_note": "冷藏设备一套",
    "guarantee": "none",
    "urgency": "high",
}


def post_form(client, page_url: str, data: dict, action: str | None = None, **kwargs):
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(action or page_url, data={**data, "csrf_token": token}, **kwargs)


@pytest.fixture
def sme(users):
    """An enterprise applicant (applicant_sme) and a bank."""
    enterprise = d.make_enterprise(users["cadre"], name="富平县恒通果品有限公司")
    f.make_user(
        "applicant_sme",
        Role.APPLICANT,
        f.VILLAGE_A,
        subject_type="enterprise",
        subject_id=enterprise.id,
    )
    bank = lf.make_bank()
    lf.make_officer("officer_nsh", bank)
    db.session.commit()
    return {"enterprise": enterprise, "bank": bank}


def test_an_sme_posts_edits_and_withdraws_a_need(client, sme, csrf_on):
    login(client, "applicant_sme")
    response = post_form(client, "/loans/needs/new", NEED)
    assert response.status_code == 302, response.get_data(as_text=True)
    need = db.session.scalar(select(FinancingNeed))
    assert (need.subject_type, need.subject_id) == ("enterprise", sme["enterprise"].id)
    assert need.status == "open" and need.collateral == "equipment"
    page = client.get(f"/loans/needs/{need.id}").get_data(as_text=True)
    assert "扩建冷库" in page and "冷藏设备一套" in page

    edit = f"/loans/needs/{need.id}/edit"
    post_form(client, edit, {**NEED, "amount": "120000", "version": need.version})
    db.session.refresh(need)
    assert need.amount == 120000 and need.version == 2

    post_form(
        client,
        f"/loans/needs/{need.id}",
        {"version": need.version},
        action=f"/loans/needs/{need.id}/withdraw",
    )
    db.session.refresh(need)
    assert need.status == "withdrawn"
    assert "已撤回" in client.get("/loans/needs/").get_data(as_text=True)


def test_a_need_with_bad_input_says_why_per_field_and_saves_nothing(client, sme, csrf_on):
    login(client, "applicant_sme")
    bad = {**NEED, "amount": "500", "term_months": "400", "purpose": "", "collateral": "gold"}
    text = post_form(client, "/loans/needs/new", bad).get_data(as_text=True)
    for message in (
        "融资金额须在 1000 元至 1 亿元之间",
        "期限须在 1 至 360 个月之间",
        "请填写资金用途",
    ):
        assert message in text
    assert "is-invalid" in text
    assert db.session.scalar(select(func.count(FinancingNeed.id))) == 0


def test_another_subjects_need_and_authorisation_are_not_found(client, sme, users, cipher):
    household = f.make_household(cipher, users["cadre"])
    need = lf.make_need("household", household.id, f.VILLAGE_A, users["cadre"])
    grant = lf.make_authorisation("household", household.id, sme["bank"], users["cadre"])
    db.session.commit()
    login(client, "applicant_sme")
    assert client.get(f"/loans/needs/{need.id}").status_code == 404
    assert client.get(f"/loans/needs/{need.id}/edit").status_code == 404
    assert client.get(f"/loans/authorisations/{grant.id}").status_code == 404
    assert "购买化肥种子" not in client.get("/loans/needs/").get_data(as_text=True)


def test_a_cadre_acts_for_a_household_only_after_uploading_its_signed_consent(
    client, users, cipher, csrf_on
):
    household = f.make_household(cipher, users["cadre"], head_name="杨建国")
    db.session.commit()
    login(client, "cadre_a")
    new_need = f"/loans/needs/new?subject_type=household&subject_id={household.id}"
    response = client.get(new_need)
    assert response.status_code == 302 and f"/loans/consents/household/{household.id}" in (
        response.location
    )
    today = clock.today()
    page = f"/loans/consents/household/{household.id}"
    fake = post_form(
        client,
        page,
        {
            "file": (BytesIO(b"MZ not a pdf"), "consent.pdf"),
            "signed_on": today.isoformat(),
            "valid_to": (today + timedelta(days=365)).isoformat(),
        },
        content_type="multipart/form-data",
    )
    assert "文件内容与扩展名不符" in fake.get_data(as_text=True)
    assert db.session.scalar(select(func.count(HouseholdConsent.id))) == 0

    uploaded = post_form(
        client,
        page,
        {
            "file": (BytesIO(lf.PDF), "杨建国授权书.pdf"),
            "signed_on": today.isoformat(),
            "valid_to": (today + timedelta(days=365)).isoformat(),
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    assert "有效至" in client.get("/loans/consents/").get_data(as_text=True)
    assert post_form(client, new_need, NEED).status_code == 302
    need = db.session.scalar(select(FinancingNeed))
    assert (need.subject_type, need.subject_id, need.region_code) == (
        "household",
        household.id,
        f.VILLAGE_A,
    )
    assert "杨建国" in client.get("/loans/needs/").get_data(as_text=True)


def test_a_cadre_cannot_act_for_another_villages_household(client, users, cipher):
    other = f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B)
    lf.make_consent(other.id, users["cadre_b"])
    db.session.commit()
    login(client, "cadre_a")
    assert client.get(f"/loans/consents/household/{other.id}").status_code == 404
    assert (
        client.get(f"/loans/needs/new?subject_type=household&subject_id={other.id}").status_code
        == 404
    )
    assert (
        client.get(
            f"/loans/authorisations/new?subject_type=household&subject_id={other.id}"
        ).status_code
        == 404
    )


GRANT = {
    "purpose": "贷款申请审查",
    "categories": ["file", "rating", "tax"],
    "agree": "y",
}


def test_sensitive_data_needs_explicit_consent_after_the_warning(client, sme, csrf_on):
    login(client, "applicant_sme")
    page = "/loans/authorisations/new"
    form_page = client.get(page).get_data(as_text=True)
    assert "敏感信息提示" in form_page
    valid_until = (clock.today() + timedelta(days=30)).isoformat()
    data = {**GRANT, "bank_id": str(sme["bank"].id), "valid_until": valid_until}
    refused = post_form(client, page, data).get_data(as_text=True)
    assert "须明确同意后才能授权" in refused
    no_agree = post_form(client, page, {**data, "agree": "", "explicit_consent": "y"})
    assert "须勾选同意授权书后才能授权" in no_agree.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Authorisation.id))) == 0

    granted = post_form(client, page, {**data, "explicit_consent": "y"})
    assert granted.status_code == 302
    grant = db.session.scalar(select(Authorisation))
    assert grant.explicit_consent and grant.data_categories == ["file", "rating", "tax"]
    assert grant.last_day == clock.today() + timedelta(days=30)


def test_authorising_a_product_authorises_its_bank(client, sme, csrf_on):
    maker = lf.make_officer("maker", sme["bank"])
    product = lf.make_product(sme["bank"], maker, "listed")
    db.session.commit()
    login(client, "applicant_sme")
    valid_until = (clock.today() + timedelta(days=30)).isoformat()
    data = {
        **GRANT,
        "categories": ["file"],
        "product_id": str(product.id),
        "valid_until": valid_until,
    }
    assert post_form(client, "/loans/authorisations/new", data).status_code == 302
    grant = db.session.scalar(select(Authorisation))
    assert (grant.bank_id, grant.product_id) == (sme["bank"].id, product.id)


def test_every_use_is_listed_and_a_revocation_closes_access_at_once(client, sme, users, csrf_on):
    subject = ("enterprise", sme["enterprise"].id)
    grant = lf.make_authorisation(*subject, sme["bank"], users["applicant"])
    officer = db.session.scalar(select(lf.User).where(lf.User.username == "officer_nsh"))
    assert active_authorisation(sme["bank"].id, *subject, category="rating") == grant
    assert active_authorisation(sme["bank"].id, *subject, category="income") is None
    record_use(grant, officer, "查看画像：信用评级结果", category="rating")
    db.session.commit()

    login(client, "applicant_sme")
    page = f"/loans/authorisations/{grant.id}"
    text = client.get(page).get_data(as_text=True)
    assert "查看画像：信用评级结果" in text and officer.display_name in text
    post_form(client, page, {}, action=f"{page}/revoke")
    assert active_authorisation(sme["bank"].id, *subject) is None
    assert "已撤销" in client.get("/loans/authorisations/").get_data(as_text=True)


def test_an_expired_authorisation_covers_nothing(sme, users):
    grant = lf.make_authorisation(
        "enterprise", sme["enterprise"].id, sme["bank"], users["applicant"]
    )
    after = grant.expires_at + timedelta(seconds=1)
    assert (
        active_authorisation(sme["bank"].id, "enterprise", sme["enterprise"].id, at=after) is None
    )


def test_writes_outside_the_users_scope_are_not_found(client, sme, users, cipher, csrf_on):
    other = f.make_household(cipher, users["cadre_b"], village_code=f.VILLAGE_B)
    lf.make_consent(other.id, users["cadre_b"])
    need = lf.make_need("household", other.id, f.VILLAGE_B, users["cadre_b"])
    grant = lf.make_authorisation("household", other.id, sme["bank"], users["cadre_b"])
    db.session.commit()
    login(client, "cadre_a")
    token = csrf_token(client.get("/loans/needs/").get_data(as_text=True))
    for url in (
        f"/loans/needs/{need.id}/withdraw",
        f"/loans/needs/{need.id}/edit",
        f"/loans/authorisations/{grant.id}/revoke",
    ):
        response = client.post(url, data={**NEED, "version": 1, "csrf_token": token})
        assert response.status_code == 404, url
    db.session.refresh(need)
    db.session.refresh(grant)
    assert need.status == "open" and grant.revoked_at is None
