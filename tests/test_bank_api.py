"""The bank API (issue 15 point 8) as a bank's system uses it: a per-bank token, shown once
and stored hashed, scoped and revocable, each call logged; the bank's products, its queue of
matched needs, the portrait of an applicant who authorised it (each read in the applicant's
use log, closed at once on revocation), claims, decisions and repayment events. Anything of
another bank, or of an applicant who did not authorise the bank, is a 404; errors are JSON
with a stable code and a Chinese message."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from loans.api.tokens import hash_secret
from loans.authorisations.services import revoke
from models import ApiToken, ApiTokenUse, AuthorisationUse, RepaymentEvent, clock, db
from tests.bank_api_factories import bearer, make_api_world, token_for
from tests.conftest import csrf_token, login
from tests.test_get_is_read_only import WRITE


@pytest.fixture
def world(users, cipher):
    return make_api_world(users, cipher)


def get(client, url, secret):
    return client.get(url, headers=bearer(secret))


def test_a_token_lists_its_banks_products_only_and_paginates(client, world):
    answer = get(client, "/api/v1/products?per_page=1", world.token_a)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["total"] == 2 and body["pages"] == 2 and len(body["items"]) == 1
    second = get(client, "/api/v1/products?per_page=1&page=2", world.token_a).get_json()
    names = {body["items"][0]["name"], second["items"][0]["name"]}
    assert names == {"惠农e贷", "春耕贷（草稿）"}
    listed = get(client, "/api/v1/products?status=listed", world.token_a).get_json()
    assert [p["name"] for p in listed["items"]] == ["惠农e贷"]


def test_another_banks_product_need_portrait_and_claim_are_404(client, world):
    b = world.token_b
    assert get(client, f"/api/v1/products/{world.product_a.id}", b).status_code == 404
    # Bank B's product matches the need too, but the applicant authorised bank A only.
    assert get(client, "/api/v1/needs", b).get_json()["total"] == 0
    assert get(client, f"/api/v1/needs/{world.need.id}", b).status_code == 404
    portrait = get(client, f"/api/v1/needs/{world.need.id}/portrait", b)
    assert portrait.status_code == 404
    assert portrait.get_json() == {
        "code": "not_found",
        "message": "对象不存在，或不在本行的访问范围内",
    }
    claim = client.post(f"/api/v1/needs/{world.need.id}/claim", headers=bearer(b), json={})
    assert claim.status_code == 404
    patch = client.patch(
        f"/api/v1/products/{world.draft_a.id}", headers=bearer(b), json={"version": 1}
    )
    assert patch.status_code == 404
    assert db.session.scalar(select(AuthorisationUse.id)) is None  # nothing read


def test_without_a_token_or_with_a_revoked_one_the_answer_is_401(client, world):
    assert client.get("/api/v1/products").status_code == 401
    assert get(client, "/api/v1/products", "acb_not-a-token").get_json()["code"] == "unauthorized"
    token = db.session.scalar(select(ApiToken).where(ApiToken.bank_id == world.bank_a.id))
    token.revoked_at = clock.utcnow()
    db.session.commit()
    answer = get(client, "/api/v1/products", world.token_a)
    assert answer.status_code == 401
    assert answer.get_json()["message"].startswith("缺少有效的接口令牌")


def test_a_token_without_the_scope_gets_403_and_every_call_is_logged(client, world):
    reader = token_for(world.officer_a, ("products:read",), name="只读")
    assert get(client, "/api/v1/products", reader).status_code == 200
    answer = get(client, f"/api/v1/needs/{world.need.id}/portrait", reader)
    assert answer.status_code == 403 and answer.get_json()["code"] == "forbidden"
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "只读"))
    uses = db.session.execute(
        select(ApiTokenUse.method, ApiTokenUse.endpoint, ApiTokenUse.status)
        .where(ApiTokenUse.token_id == token.id)
        .order_by(ApiTokenUse.id)
    ).all()
    assert uses == [
        ("GET", "/api/v1/products", 200),
        ("GET", "/api/v1/needs/<int:need_id>/portrait", 403),
    ]
    assert token.last_used_at is not None


def test_the_queue_lists_the_authorised_matched_need_without_naming_the_applicant(client, world):
    body = get(client, "/api/v1/needs", world.token_a).get_json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["id"] == world.need.id and item["product_id"] == world.product_a.id
    assert item["amount"] == "50000.00" and item["claim"] is None
    assert "杨建国" not in str(body)


def test_each_portrait_read_is_in_the_applicants_use_log_and_revocation_closes_it(
    client, world, users
):
    url = f"/api/v1/needs/{world.need.id}/portrait"
    body = get(client, url, world.token_a).get_json()
    assert body["file"]["name"] == "杨建国"
    assert "*" in body["file"]["id_masked"]
    assert sorted(body["authorisation"]["data_categories"]) == [
        "file",
        "rating",
        "records",
        "score",
    ]
    get(client, url, world.token_a)
    uses = db.session.scalars(
        select(AuthorisationUse).where(AuthorisationUse.authorisation_id == world.grant.id)
    ).all()
    assert len(uses) == 2 * 4  # each read, each category it opened
    get(client, f"/api/v1/needs/{world.need.id}", world.token_a)
    db.session.expire_all()
    whats = db.session.scalars(
        select(AuthorisationUse.what).where(AuthorisationUse.authorisation_id == world.grant.id)
    ).all()
    assert len(whats) == 9 and "通过银行接口查看融资需求" in whats
    assert {u.bank_id for u in uses} == {world.bank_a.id}

    revoke(world.grant, users["cadre"])
    db.session.commit()
    assert get(client, url, world.token_a).status_code == 404
    assert get(client, f"/api/v1/needs/{world.need.id}", world.token_a).status_code == 404


def test_an_expired_authorisation_closes_the_portrait(client, world):
    world.grant.expires_at = clock.utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert get(client, f"/api/v1/needs/{world.need.id}/portrait", world.token_a).status_code == 404


def test_claim_decide_and_post_repayments(client, world):
    headers = bearer(world.token_a)
    need_url = f"/api/v1/needs/{world.need.id}"
    claimed = client.post(
        f"{need_url}/claim", headers=headers, json={"product_id": world.product_a.id}
    )
    assert claimed.status_code == 201
    assert claimed.get_json()["claim"]["mine"] is True
    again = client.post(f"{need_url}/claim", headers=headers, json={})
    assert again.status_code == 409 and again.get_json()["message"] == "本行已抢单"

    bad = client.post(f"{need_url}/decisions", headers=headers, json={"outcome": "approved"})
    assert bad.status_code == 422
    assert bad.get_json()["fields"]["amount"] == ["批准时请填写金额"]
    decided = client.post(
        f"{need_url}/decisions",
        headers=headers,
        json={"outcome": "approved", "amount": "50000", "rate": "4.35", "term_months": 24},
    )
    assert decided.status_code == 201
    decision = decided.get_json()
    assert decision["outcome"] == "approved" and decision["amount"] == "50000.00"

    events = f"/api/v1/decisions/{decision['id']}/repayments"
    today = clock.today().isoformat()
    early = client.post(events, headers=headers, json={"kind": "on_time", "occurred_on": today})
    assert early.status_code == 409 and early.get_json()["message"] == "请先登记放款"
    disbursed = {"kind": "disbursed", "occurred_on": today, "amount": "50000"}
    assert client.post(events, headers=headers, json=disbursed).status_code == 201
    overdue = client.post(events, headers=headers, json={"kind": "overdue", "occurred_on": today})
    assert overdue.status_code == 422
    assert overdue.get_json()["fields"]["days_overdue"] == ["逾期时请填写逾期天数"]
    posted = client.post(
        events, headers=headers, json={"kind": "overdue", "occurred_on": today, "days_overdue": 15}
    )
    assert posted.status_code == 201 and posted.get_json()["days_overdue"] == 15
    other_bank = client.post(
        events, headers=bearer(world.token_b), json={"kind": "settled", "occurred_on": today}
    )
    assert other_bank.status_code == 404
    kinds = db.session.scalars(select(RepaymentEvent.kind).order_by(RepaymentEvent.id))
    assert list(kinds) == ["disbursed", "overdue"]


def test_a_draft_product_is_updated_with_its_version_and_a_stale_one_is_refused(client, world):
    url = f"/api/v1/products/{world.draft_a.id}"
    headers = bearer(world.token_a)
    changed = client.patch(url, headers=headers, json={"version": 1, "term_max_months": 48})
    assert changed.status_code == 200
    assert changed.get_json()["term_max_months"] == 48 and changed.get_json()["version"] == 2
    stale = client.patch(url, headers=headers, json={"version": 1, "term_max_months": 60})
    assert stale.status_code == 409 and stale.get_json()["code"] == "conflict"
    invalid = client.patch(url, headers=headers, json={"version": 2, "rate_max": "99"})
    assert invalid.status_code == 422 and "rate_max" in invalid.get_json()["fields"]
    listed = client.patch(
        f"/api/v1/products/{world.product_a.id}", headers=headers, json={"version": 1}
    )
    assert listed.status_code == 409


def test_unknown_paths_and_methods_answer_json_errors(client, world):
    missing = get(client, "/api/v1/nothing", world.token_a)
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"
    wrong = client.delete("/api/v1/products", headers=bearer(world.token_a))
    assert wrong.status_code == 405 and wrong.get_json()["code"] == "method_not_allowed"
    bad_page = get(client, "/api/v1/needs?page=0", world.token_a)
    assert bad_page.status_code == 422 and "page" in bad_page.get_json()["fields"]


def test_an_officer_makes_a_token_sees_it_once_and_revokes_it(client, world, csrf_on):
    login(client, "officer")
    page = client.get("/officer/api-tokens").get_data(as_text=True)
    answer = client.post(
        "/officer/api-tokens",
        data={"csrf_token": csrf_token(page), "name": "核心系统", "scopes": ["needs:read"]},
    )
    assert answer.status_code == 200
    shown = answer.get_data(as_text=True)
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "核心系统"))
    secret = shown.split('id="new-token">')[1].split("<")[0]
    assert hash_secret(secret) == token.token_hash and token.scopes == ["needs:read"]
    assert secret not in client.get("/officer/api-tokens").get_data(as_text=True)
    assert get(client, "/api/v1/needs", secret).status_code == 200

    page = client.get("/officer/api-tokens").get_data(as_text=True)
    revoked = client.post(
        f"/officer/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(page)}
    )
    assert revoked.status_code == 302
    assert get(client, "/api/v1/needs", secret).status_code == 401


def test_a_token_form_without_scopes_changes_nothing(client, world, csrf_on):
    login(client, "officer")
    page = client.get("/officer/api-tokens").get_data(as_text=True)
    answer = client.post("/officer/api-tokens", data={"csrf_token": csrf_token(page), "name": ""})
    assert answer.status_code == 400
    text = answer.get_data(as_text=True)
    assert "请填写令牌名称" in text and "请至少选择一项权限范围" in text
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "")) is None


def test_another_banks_officer_cannot_revoke_our_token(client, world, csrf_on):
    token = db.session.scalar(select(ApiToken).where(ApiToken.bank_id == world.bank_a.id))
    login(client, "officer_b")
    page = client.get("/officer/api-tokens").get_data(as_text=True)
    assert token.prefix not in page
    answer = client.post(
        f"/officer/api-tokens/{token.id}/revoke", data={"csrf_token": csrf_token(page)}
    )
    assert answer.status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None


def test_a_token_calling_too_often_gets_429_as_json(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "2 per minute")
    assert get(client, "/api/v1/products", world.token_a).status_code == 200
    assert get(client, "/api/v1/products", world.token_a).status_code == 200
    answer = get(client, "/api/v1/products", world.token_a)
    assert answer.status_code == 429 and answer.get_json()["code"] == "too_many_requests"
    assert get(client, "/api/v1/products", world.token_b).status_code == 200  # another bank


def test_no_api_get_writes_anything_but_the_logs_of_who_read_what(client, world, app):
    """GETs of the API write only the token's call log (and its last use) and the
    applicant's use log; never domain state."""
    allowed = re.compile(
        r'^\s*(INSERT\s+INTO\s+"?(api_token_uses|authorisation_uses|audit_events)"?'
        r'|UPDATE\s+"?api_tokens"?\s+SET\s+last_used_at)',
        re.I,
    )
    writes: list[str] = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if WRITE.match(statement) and not allowed.match(statement):
            writes.append(statement.split("\n")[0][:120])

    ids = {
        "product_id": world.product_a.id,
        "need_id": world.need.id,
        "decision_id": 1,
    }
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("api.") and "GET" in rule.methods:
                urls.append(app.url_for(rule.endpoint, **{a: ids[a] for a in rule.arguments}))
    event.listen(db.engine, "before_cursor_execute", watch)
    try:
        statuses = {url: get(client, url, world.token_a).status_code for url in urls}
    finally:
        event.remove(db.engine, "before_cursor_execute", watch)
    assert writes == []
    assert len(urls) >= 6 and set(statuses.values()) == {200}, statuses


def test_messages_are_chinese_whatever_language_the_client_asks_for(client, world):
    headers = {**bearer(world.token_a), "Accept-Language": "en"}
    need_url = f"/api/v1/needs/{world.need.id}"
    client.post(f"{need_url}/claim", headers=headers, json={})
    answer = client.post(f"{need_url}/decisions", headers=headers, json={"outcome": "rejected"})
    assert answer.status_code == 422
    assert answer.get_json()["fields"]["reason_code"] == ["拒绝时请选择原因"]


def test_a_need_whose_authorisation_was_revoked_cannot_be_claimed_again(client, world, users):
    headers = bearer(world.token_a)
    need_url = f"/api/v1/needs/{world.need.id}"
    assert client.post(f"{need_url}/claim", headers=headers, json={}).status_code == 201
    decided = client.post(
        f"{need_url}/decisions",
        headers=headers,
        json={"outcome": "rejected", "reason_code": "high_debt"},
    )
    assert decided.status_code == 201  # a rejection releases the claim
    revoke(world.grant, users["cadre"])
    db.session.commit()
    again = client.post(f"{need_url}/claim", headers=headers, json={})
    assert again.status_code == 409 and again.get_json()["code"] == "conflict"
    assert get(client, f"{need_url}/portrait", world.token_a).status_code == 404
