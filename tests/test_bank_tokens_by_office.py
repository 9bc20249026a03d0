"""The county credit office issues and revokes a bank's API tokens through its bank page
(issue 15, leftovers of point 8): the token acts for an officer of that bank, its secret is
shown once, only its hash is kept, and both steps are in the audit journal."""

import pytest
from sqlalchemy import select

from loans.api.tokens import hash_secret
from models import ApiToken, AuditEvent, db
from tests.bank_api_factories import bearer, make_api_world
from tests.conftest import csrf_token, login


@pytest.fixture
def world(users, cipher):
    return make_api_world(users, cipher)


def logout(client) -> None:
    token = csrf_token(client.get("/loans/banks/").get_data(as_text=True)) or csrf_token(
        client.get("/officer/api-tokens").get_data(as_text=True)
    )
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def _issue(client, world, **data):
    url = f"/loans/banks/{world.bank_a.id}/api-tokens"
    page = client.get(url).get_data(as_text=True)
    payload = {
        "csrf_token": csrf_token(page),
        "name": "农商行核心系统",
        "officer_id": str(world.checker_a.id),
        "scopes": ["products:read", "needs:read"],
    }
    payload.update(data)
    return client.post(url, data=payload)


def test_the_county_office_issues_a_token_shown_once_and_revokes_it(client, world, csrf_on):
    login(client, "office_county")
    answer = _issue(client, world)
    assert answer.status_code == 200
    shown = answer.get_data(as_text=True)
    secret = shown.split('id="new-token">')[1].split("<")[0]
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "农商行核心系统"))
    assert token.token_hash == hash_secret(secret) and secret not in (
        token.prefix,
        token.token_hash,
    )
    assert token.bank_id == world.bank_a.id
    assert token.created_by_id == world.checker_a.id  # acts for the chosen officer
    assert token.issued_by_id is not None and token.issued_by.username == "office_county"
    issued = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.issue"))
    assert issued.subject_id == token.id and issued.user_id == token.issued_by_id
    assert issued.changes["acts_for"] == world.checker_a.id
    # Shown once: the page does not show it again.
    again = client.get(f"/loans/banks/{world.bank_a.id}/api-tokens").get_data(as_text=True)
    assert secret not in again and token.prefix in again and "代为签发" in again

    # It works inside the bank, for the officer, with its scopes only.
    products = client.get("/api/v1/products", headers=bearer(secret))
    assert products.status_code == 200
    assert {p["name"] for p in products.get_json()["items"]} == {"惠农e贷", "春耕贷（草稿）"}
    assert client.get("/api/v1/needs/1/portrait", headers=bearer(secret)).status_code == 403

    # The bank's officers see it on their own page too.
    logout(client)
    login(client, "officer")
    assert token.prefix in client.get("/officer/api-tokens").get_data(as_text=True)
    logout(client)

    login(client, "office_county")
    page = client.get(f"/loans/banks/{world.bank_a.id}/api-tokens").get_data(as_text=True)
    revoked = client.post(
        f"/loans/banks/{world.bank_a.id}/api-tokens/{token.id}/revoke",
        data={"csrf_token": csrf_token(page)},
    )
    assert revoked.status_code == 302
    assert client.get("/api/v1/products", headers=bearer(secret)).status_code == 401
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token.revoke"))
    assert event.subject_id == token.id and event.user_id == token.issued_by_id


def test_an_officer_of_another_bank_cannot_be_chosen(client, world, csrf_on):
    login(client, "office_county")
    before = db.session.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()))
    answer = _issue(client, world, officer_id=str(world.officer_b.id), name="错配")
    assert answer.status_code == 400
    assert db.session.scalar(select(ApiToken.id).order_by(ApiToken.id.desc())) == before
    empty = _issue(client, world, name="", scopes=[])
    text = empty.get_data(as_text=True)
    assert empty.status_code == 400
    assert "请填写令牌名称" in text and "请至少选择一项权限范围" in text


def test_only_the_county_office_issues_and_another_banks_token_is_404(client, world, csrf_on):
    token_b = db.session.scalar(select(ApiToken).where(ApiToken.bank_id == world.bank_b.id))
    for username in ("office_town", "officer"):
        login(client, username)
        assert client.get(f"/loans/banks/{world.bank_a.id}/api-tokens").status_code == 403
        logout(client)
    login(client, "office_county")
    page = client.get(f"/loans/banks/{world.bank_a.id}/api-tokens").get_data(as_text=True)
    assert token_b.prefix not in page
    wrong_bank = client.post(
        f"/loans/banks/{world.bank_a.id}/api-tokens/{token_b.id}/revoke",
        data={"csrf_token": csrf_token(page)},
    )
    assert wrong_bank.status_code == 404
    db.session.refresh(token_b)
    assert token_b.revoked_at is None
